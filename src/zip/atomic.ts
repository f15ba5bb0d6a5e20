// Replaces a file all at once: write a temp file beside it, fsync, rename. On any error or on
// SIGINT/SIGTERM/SIGHUP the temp file is removed and the previous file stays as it was.
import { closeSync, openSync, fsyncSync, readdirSync, unlinkSync } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { fsFailure } from "../layer/fs-error.js";

const live = new Set<string>();
const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

function onSignal(signal: keyof typeof SIGNALS): void {
  for (const temp of live) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
  process.stderr.write(`sam-layer: interrupted (${signal}); previous output left as it was\n`);
  process.exit(SIGNALS[signal]);
}

/** onSignal is listening. */
let listening = false;

function track(temp: string): void {
  if (!listening) for (const s of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.on(s, onSignal);
  listening = true;
  live.add(temp);
}

/**
 * Stops listening once nothing is tracked, but not at once: a signal that came during a
 * synchronous stretch (the check hashing files, with the stat cache's temp file tracked) is only
 * delivered at the event loop's next poll, and is lost if its listener is gone by then (the run
 * went on and replaced the zip, exit 0). An immediate queued from an immediate runs in the next
 * turn of the loop, after its poll.
 */
function untrack(temp: string): void {
  live.delete(temp);
  if (live.size > 0) return;
  setImmediate(() => {
    setImmediate(() => {
      if (live.size > 0 || !listening) return;
      for (const s of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.off(s, onSignal);
      listening = false;
    }).unref();
  }).unref();
}

/**
 * Has `temp` removed if the process is interrupted, as replaceAtomically's own temp file; the
 * function returned forgets it again, once it is removed or renamed.
 */
export function removedOnSignal(temp: string): () => void {
  track(temp);
  return () => untrack(temp);
}

const TEMP_TAG = ".sam-layer-";

/** A temp file's path beside `target`, which removeStaleTemps() removes once its process is gone. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}${TEMP_TAG}${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
}

/** Removes temp files of `target` left by a process that no longer runs (e.g. after SIGKILL). */
export function removeStaleTemps(target: string): void {
  const prefix = `.${basename(target)}${TEMP_TAG}`;
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const pid = Number(name.slice(prefix.length).split("-")[0]);
    if (!Number.isInteger(pid) || pid <= 0 || isRunning(pid)) continue;
    try {
      unlinkSync(join(dirname(target), name));
    } catch {
      // someone else cleaned it
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Calls `write` with a fresh temp file in the target's folder, then syncs and renames it over
 * `target`, calling `whileSyncing` with the result while the sync runs (and waiting for it). Errors name the target;
 * the temp file never survives a failure or a caught signal.
 */
export async function replaceAtomically<T>(
  target: string,
  write: (fh: FileHandle) => Promise<T>,
  whileSyncing?: (result: T) => Promise<void> | void,
): Promise<T> {
  const temp = tempPathFor(target);
  track(temp);
  let fh: FileHandle | undefined;
  try {
    try {
      fh = await open(temp, "wx+", 0o644); // read back too: the writer hashes patched regions
    } catch (err) {
      throw fsFailure("cannot write", target, err);
    }
    let result: T;
    try {
      result = await write(fh);
      const synced = fh.sync();
      synced.catch(() => {}); // awaited below; this only keeps a failure from going unhandled meanwhile
      // The caller's own work on the result runs while the disk catches up, not after it.
      const meanwhile = whileSyncing?.(result);
      await synced;
      await meanwhile;
    } catch (err) {
      throw fsFailure("cannot write", target, err);
    } finally {
      const h = fh;
      fh = undefined;
      await h.close();
    }
    try {
      await rename(temp, target);
    } catch (err) {
      throw fsFailure("cannot replace", target, err);
    }
    syncDir(dirname(target));
    return result;
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  } finally {
    untrack(temp);
  }
}

/** Makes the rename itself durable; some file systems refuse to fsync a folder, which is fine. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}
