// `sam-layer zip`: the layer folder in, a deterministic zip out, rewritten only when the content
// (or a setting that shapes the bytes) changed.
import { existsSync, mkdirSync, realpathSync, statSync } from "node:fs";
import v8 from "node:v8";
import { basename, dirname, join, resolve, sep } from "node:path";
import { UserError } from "../errors.js";
import { DigestBuilder } from "../layer/digest.js";
import { hashFileSync } from "../layer/file-hash.js";
import { fsFailure } from "../layer/fs-error.js";
import { listingDigest, StatCache } from "../layer/stat-cache.js";
import { walkLayer, type Listing } from "../layer/walk.js";
import { fileSums } from "./file-sums.js";
import { DEFAULT_LEVEL, zipTimestamp } from "./format.js";
import { readZipEnd } from "./comment.js";
import { SEMI_SPACE_FLAG } from "./young-generation.js";

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

/** From this many entries on, V8's memory is managed by hand (see zipLayer). */
const MANY_ENTRIES = 10_000;

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
  // No zip yet: one will be written, so the writer's threads can boot while the folder is walked.
  const prepare = !existsSync(output) && level > 0 ? await import("./prepare.js") : undefined;
  prepare?.startWorkersEarly();
  // With a zip there, the walk comes first and the writer's flags only with a write. The walk of a
  // big layer grows V8's young generation unless it is held small before (see SEMI_SPACE_FLAG):
  // 40,000 files, peak RSS of the "nothing to do" check Node 24 95 -> 86 MB, of an update
  // 130 -> 109 MB. Any flag costs ~6 ms of start-up (Node's code cache is keyed to the flags),
  // which a small layer's check would notice, so only when the zip there has many entries.
  const end = readZipEnd(output);
  if (end && end.entries >= MANY_ENTRIES) v8.setFlagsFromString(SEMI_SPACE_FLAG);

  const entries = await walkLayer(opts.dir, { exclude: opts.exclude, includePycache: opts.includePycache });
  // ...and start on the files as soon as they are listed: the set-up below took ~15 ms in which
  // the booted worker had nothing to do.
  let ahead = prepare && new prepare.Preparer(entries, level, (await import("./atomic.js")).tempPathFor(output));
  // The walk's garbage (its growable columns, and what lived long enough to reach the old space)
  // goes before the writer's buffers come on top, rather than whenever V8 gets to it: peak RSS on
  // Node 24, 120,000 small files 105-116 -> 104 MB, a real 38,000-file folder 99-103 -> 98-99 MB
  // (Node 20 does not move). It costs the main thread ~15 ms there, so only for big layers.
  if (prepare && entries.length >= MANY_ENTRIES) prepare.collectAll();
  try {
    const unzippedBytes = entries.totalSize();
    const cache = StatCache.load(statCachePath(output));
    const existing = end ? end.comment : end;

    // Needed now only when there is a zip to compare with; a first write computes it while syncing.
    let listing: string | undefined;
    const listingOf = (): string => (listing ??= listingDigest(entries));

    // Hash the folder only when the zip there was made by us with the same settings.
    if (typeof existing === "string" && existing.startsWith(zipComment(level, time.seconds, ""))) {
      // The usual "nothing to do": the same listing as last time and the same zip file, so neither
      // the per-file hashes nor the digest are looked at (the cache file is not even parsed past its head).
      const recorded = cache.digestFor(listingOf());
      const st = statSync(output);
      const known = cache.zip(st.size, st.mtimeMs, st.ino);
      if (recorded !== undefined && known && existing === zipComment(level, time.seconds, recorded)) {
        return { output, status: "unchanged", entries: entries.length, bytes: st.size, unzippedBytes, md5: known.md5, sha256: known.sha256, digest: recorded };
      }
      const digest = digestWithCache(entries, cache, startedMs);
      if (existing === zipComment(level, time.seconds, digest)) {
        const sums = known ?? { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, ...fileSums(output) };
        cache.setZip(sums);
        cache.keepOnly(entries);
        cache.setListing(entries, listingOf(), digest, startedMs);
        await cache.save();
        return { output, status: "unchanged", entries: entries.length, bytes: st.size, unzippedBytes, md5: sums.md5, sha256: sums.sha256, digest };
      }
    }

    // A write after a digest: the cache's per-file hashes it parsed (~10 MB for 40,000 files) are
    // garbage from here on, and a full collection takes them before the writer's own memory comes
    // on top (40,000 files, one changed: peak RSS sampled every 10 ms, Node 20 133 -> 126 MB,
    // Node 24 173 -> 130 MB, with the digest fed entry by entry instead of from a list of them all).
    if (cache.dropFiles() && level > 0) {
      const p = await import("./prepare.js");
      ahead ??= new p.Preparer(entries, level, (await import("./atomic.js")).tempPathFor(output));
      p.collectAll();
    }

    // Only a real write needs the writer; the "nothing to do" path never loads it.
    const { writeZip } = await import("./write.js");
    const { replaceAtomically, removeStaleTemps, tempPathFor } = await import("./atomic.js");
    try {
      mkdirSync(dirname(output), { recursive: true });
    } catch (err) {
      throw fsFailure("cannot create the folder of", opts.output, err);
    }
    removeStaleTemps(output);
    const written = await replaceAtomically(
      output,
      (fh) =>
        writeZip(fh, entries, { level, dos: time.dos, comment: (digest) => zipComment(level, time.seconds, digest), spillPath: tempPathFor(output) }, ahead),
      // The listing's digest and the stat cache's text are CPU work on one core (~10 and ~15 ms for
      // 5,000 files) that would follow the zip's final sync: they run while that sync waits for the
      // disk. The cache can be saved before the rename: it names the zip by the size, mtime and inode
      // the rename keeps, so if the zip never gets there the cache does not vouch for any other.
      (w) => {
        // The walk's and the writer's garbage goes before the listing adds its own.
        prepare?.collectAll();
        cache.replaceFiles(entries, w.hashes, startedMs);
        cache.setListing(entries, listingOf(), w.digest, startedMs);
        cache.setZip({ size: w.bytes, mtimeMs: w.mtimeMs, ino: w.ino, md5: w.md5, sha256: w.sha256 });
        return cache.save();
      },
    );
    // Saved again only if the zip in place is not what the cache says (a file system whose rename
    // changes either).
    const st = statSync(output);
    const sums = { md5: written.md5, sha256: written.sha256 };
    cache.setZip({ size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, ...sums });
    await cache.save();
    return {
      output,
      status: existing === undefined ? "created" : "updated",
      entries: entries.length,
      bytes: written.bytes,
      unzippedBytes,
      md5: sums.md5,
      sha256: sums.sha256,
      digest: written.digest,
    };
  } finally {
    await ahead?.close();
  }
}

/** The content digest, reading only the files the stat cache cannot vouch for. */
function digestWithCache(entries: Listing, cache: StatCache, startedMs: number): string {
  const digest = new DigestBuilder();
  for (const e of entries) {
    let hash = "";
    if (e.type === "file") {
      const known = cache.lookup(e);
      hash = known ?? hashFileSync(e.absPath, e.path, e.size);
      if (known === undefined) cache.remember(e, hash, startedMs);
    }
    digest.add({ path: e.path, type: e.type, mode: e.mode, size: e.size, hash });
  }
  return digest.digest();
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
