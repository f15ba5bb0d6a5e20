// `sam-layer zip`: the layer folder in, a deterministic zip out, rewritten only when the content
// (or a setting that shapes the bytes) changed.
import { existsSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { UserError } from "../errors.js";
import { DigestBuilder } from "../layer/digest.js";
import { hashFileSync } from "../layer/file-hash.js";
import { fsFailure } from "../layer/fs-error.js";
import { ListingDigest, StatCache } from "../layer/stat-cache.js";
import { walkSegments, type Listing } from "../layer/walk.js";
import { fileSums } from "./file-sums.js";
import { DEFAULT_LEVEL, zipTimestamp } from "./format.js";
import { readZipEnd } from "./comment.js";

export interface ZipLayerOptions {
  dir: string;
  output: string;
  level?: number;
  exclude?: string[];
  includePycache?: boolean;
}

export interface ZipResult {
  output: string;
  status: "created" | "updated" | "unchanged";
  entries: number;
  /** zip size */
  bytes: number;
  unzippedBytes: number;
  /** hex, the S3 key `package` uses */
  md5: string;
  /** base64, Lambda CodeSha256 */
  sha256: string;
  digest: string;
}

/**
 * From this many entries in the zip there, its check runs with the zip's V8 flags (tuneForZip):
 * the walk of a big layer grows V8's young generation unless it is held small before (see
 * SEMI_SPACE_FLAG; 40,000 files, peak RSS of the "nothing to do" check Node 24 95 -> 86 MB),
 * collections on demand need `--expose-gc` (see collected), and what V8's optimizing compilers
 * leave of their work on the check's walk stays in the peak RSS of a write that follows (a real
 * 38,000-file layer with one file changed, Node 24: 107 MB with them, 98 without). That costs
 * the "nothing to do" check of such a layer ~0.1 s (40,000 small files: 0.29 -> 0.40 s). Any flag
 * costs ~6 ms of start-up (Node's code cache is keyed to the flags), which a small layer's check
 * would notice.
 */
const MANY_ENTRIES = 10_000;
/**
 * Entries walked between two full collections (~8 ms each; see collected): a write's walk, whose
 * time is zlib's, and the "nothing to do" check's, which is a loop of stat calls that one every
 * 8,192 entries made 30% slower on 40,000 files.
 */
const COLLECT_EVERY = 8_192;
const CHECK_COLLECT_EVERY = 65_536;

/**
 * A walk's segments, with a full collection each time `every` more entries were walked: what the
 * walk left, and what was made of the segments before (entries, names, hashes), is freed then,
 * not when V8 gets to it. With the young generation held small most of it is promoted, and the
 * old space grew with the layer: ~20 MB every 100,000 files in a write, ~10 in a check. Nothing
 * before the flags that allow it are set (a small layer's check).
 */
function* collected(segments: Iterable<Listing>, collectAll: (() => void) | undefined, every = COLLECT_EVERY): Generator<Listing> {
  let since = 0;
  for (const segment of segments) {
    since += segment.length;
    if (since >= every) {
      collectAll?.();
      since = 0;
    }
    yield segment;
  }
}

/** Bumped only with a change to the bytes we write: it forces one rewrite of every zip. */
const FORMAT = 1;

export function validateLevel(level: number): number {
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new UserError(`--level must be a whole number from 0 to 9, got: ${level}`, 2);
  return level;
}

/** Everything besides the content that shapes the bytes, as recorded in the archive comment. */
export function zipComment(level: number, dateSeconds: number, digest: string): string {
  const date = new Date(dateSeconds * 1000).toISOString().replace(".000Z", "Z");
  return `sam-layer zip/${FORMAT} level=${level} date=${date} digest=${digest}`;
}

export function statCachePath(output: string): string {
  return `${output}.stat.json`;
}

/** What both engines check before they touch anything: the level, and where the output goes. */
export function checkZipArgs(opts: ZipLayerOptions): { level: number; dir: string; output: string } {
  const level = validateLevel(opts.level ?? DEFAULT_LEVEL);
  const dir = resolve(opts.dir);
  const output = resolve(opts.output);
  refuseOutputInside(dir, output, opts.output);
  if (existsSync(output) && !statSync(output).isFile()) throw new UserError(`output is not a file: ${opts.output}`, 2);
  return { level, dir, output };
}

export async function zipLayer(opts: ZipLayerOptions): Promise<ZipResult> {
  const startedMs = Date.now();
  const { level, output } = checkZipArgs(opts);
  const time = zipTimestamp();
  const end = readZipEnd(output);
  // A big layer's check runs with the zip's V8 flags from the start (see MANY_ENTRIES).
  const big = end && end.entries >= MANY_ENTRIES ? await import("./prepare.js") : undefined;
  big?.tuneForZip();
  const walk = (): Generator<Listing> => walkSegments(opts.dir, { exclude: opts.exclude, includePycache: opts.includePycache });
  const cache = StatCache.load(statCachePath(output));
  try {
    const existing = end ? end.comment : end;
    // Hash the folder only when the zip there was made by us with the same settings.
    if (typeof existing === "string" && existing.startsWith(zipComment(level, time.seconds, ""))) {
      const unchanged = await checkUnchanged(walk, big, output, existing, cache, (digest) => zipComment(level, time.seconds, digest), startedMs);
      if (unchanged) return unchanged;
    }
    return await writeLayerZip(walk, output, opts.output, level, time, cache, existing !== undefined, startedMs);
  } finally {
    cache.close();
  }
}

/**
 * The zip there is what this folder gives: its result, with the cache brought up to date. The
 * usual "nothing to do" is one walk: the same listing as last time and the same zip file, so no
 * file is read, nor even the cache's file lines. Otherwise a second walk computes the content
 * digest, reading only the files the cache cannot vouch for.
 */
async function checkUnchanged(
  walk: () => Iterable<Listing>,
  big: typeof import("./prepare.js") | undefined,
  output: string,
  existing: string,
  cache: StatCache,
  comment: (digest: string) => string,
  startedMs: number,
): Promise<ZipResult | undefined> {
  const listing = new ListingDigest();
  let entries = 0;
  let unzippedBytes = 0;
  for (const segment of collected(walk(), big?.collectAll, CHECK_COLLECT_EVERY)) {
    for (const e of segment) listing.add(e);
    entries += segment.length;
    unzippedBytes += segment.totalSize();
  }
  const listed = listing.digest();
  const recorded = cache.digestFor(listed);
  const st = statSync(output);
  const known = cache.zip(st.size, st.mtimeMs, st.ino);
  if (recorded !== undefined && known && existing === comment(recorded)) {
    return { output, status: "unchanged", entries, bytes: st.size, unzippedBytes, md5: known.md5, sha256: known.sha256, digest: recorded };
  }
  // The listing changed (a file touched, say): the content may not have.
  const lines = cache.lines(startedMs);
  try {
    const digest = new DigestBuilder();
    const again = new ListingDigest();
    for (const segment of collected(walk(), big?.collectAll)) {
      for (const e of segment) {
        let hash = "";
        if (e.type === "file") {
          hash = cache.lookup(e) ?? hashFileSync(e.absPath, e.path, e.size);
          lines?.add(e, hash);
        }
        digest.add({ path: e.path, type: e.type, mode: e.mode, size: e.size, hash });
        again.add(e);
      }
      // A turn of the event loop per segment: a signal is only delivered then, and the cache's
      // temp file is tracked (see removedOnSignal), so an interrupt would wait for the end of the
      // hashing, then go unheard once nothing is tracked.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const content = digest.digest();
    if (existing !== comment(content)) return undefined;
    const zip = known ?? { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, ...fileSums(output) };
    // The second walk's listing, which the lines are of (the folder may have moved since the first).
    lines?.finish(zip, again.digest(), content);
    return { output, status: "unchanged", entries, bytes: st.size, unzippedBytes, md5: zip.md5, sha256: zip.sha256, digest: content };
  } finally {
    lines?.abandon();
  }
}

async function writeLayerZip(
  walk: () => Generator<Listing>,
  output: string,
  shownOutput: string,
  level: number,
  time: ReturnType<typeof zipTimestamp>,
  cache: StatCache,
  replacing: boolean,
  startedMs: number,
): Promise<ZipResult> {
  const prepare = await import("./prepare.js");
  const { replaceAtomically, removeStaleTemps, tempPathFor } = await import("./atomic.js");
  const { writeZip } = await import("./write.js");
  // No zip yet: the writer's threads boot while the first segments are walked. After a check, the
  // Preparer starts them once it has walked those: on Node 20 a worker's start lets the young
  // generation grow until the worker runs (SEMI_SPACE_FLAG), which a walk then would (8 MB
  // instead of 2 for 10,000 files).
  if (level > 0 && !replacing) prepare.startWorkersEarly();
  const ahead = new prepare.Preparer(collected(walk(), prepare.collectAll), level, tempPathFor(output));
  const lines = cache.lines(startedMs);
  const listing = new ListingDigest();
  try {
    try {
      mkdirSync(dirname(output), { recursive: true });
    } catch (err) {
      throw fsFailure("cannot create the folder of", shownOutput, err);
    }
    removeStaleTemps(output);
    const written = await replaceAtomically(
      output,
      (fh) =>
        writeZip(fh, ahead, {
          level,
          dos: time.dos,
          comment: (digest) => zipComment(level, time.seconds, digest),
          spillPath: tempPathFor(output),
          onEntry: (e, hash) => {
            listing.add(e);
            if (e.type === "file") lines?.add(e, hash);
          },
        }),
      // The cache is put in place while the zip's final sync waits for the disk. It can be, before
      // the rename: it names the zip by the size, mtime and inode the rename keeps, so if the zip
      // never gets there the cache does not vouch for any other.
      (w) => lines?.finish({ size: w.bytes, mtimeMs: w.mtimeMs, ino: w.ino, md5: w.md5, sha256: w.sha256 }, listing.digest(), w.digest),
    );
    // Rewritten only if the zip in place is not what the cache says (a file system whose rename
    // changes either).
    const st = statSync(output);
    if (st.mtimeMs !== written.mtimeMs || st.ino !== written.ino) {
      StatCache.load(statCachePath(output)).rewriteZip({ size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, md5: written.md5, sha256: written.sha256 });
    }
    return {
      output,
      status: replacing ? "updated" : "created",
      entries: written.entries,
      bytes: written.bytes,
      unzippedBytes: written.unzippedBytes,
      md5: written.md5,
      sha256: written.sha256,
      digest: written.digest,
    };
  } finally {
    // After finish() there is nothing left to remove.
    lines?.abandon();
    await ahead.close();
  }
}

/** The zip must not end up in the folder it is made from (it would zip itself next time). */
function refuseOutputInside(dir: string, output: string, shown: string): void {
  const real = (p: string): string => {
    // The output and its folders may not exist yet: resolve the deepest part that does.
    let head = p;
    const tail: string[] = [];
    while (!existsSync(head) && dirname(head) !== head) {
      tail.unshift(basename(head));
      head = dirname(head);
    }
    return join(realpathSync(head), ...tail);
  };
  if (!existsSync(dir)) return; // walkLayer reports it
  const d = real(dir);
  const o = real(output);
  if (o === d || o.startsWith(d + sep)) throw new UserError(`output is inside the layer folder: ${shown} (put the zip next to the folder)`, 2);
}
