// Does the zipper's deflate reuse (src/zip/prepare.ts, deflater) give every file the bytes a fresh
// zlib.deflateRawSync gives it? Every file of a folder up to the zipper's whole-file size, in the
// zipper's batches (64 files, 256 KiB) taken in path order or shuffled, each batch shortest first
// as runBatch takes it, is deflated both ways; it prints how many differ and the time of each
// (README, "Where the time goes"). The batches are cut as the Preparer cuts them (BATCH_FILES,
// BATCH_BYTES, empty files included). Files over PIECE_BYTES go in pieces, as the preparer reads
// them (deflater's `pieces`).
//   npx tsx scripts/deflate-reuse.ts <folder> [sorted|shuffled] [level=6] [max files=100000]
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import zlib from "node:zlib";
import { BATCH_BYTES, BATCH_FILES, deflater, PIECE_BYTES, WHOLE_FILE_MAX } from "../src/zip/prepare.js";
import { copyInto } from "../src/zip/ring.js";

const [root, order = "sorted", levelArg = "6", maxArg = "100000"] = process.argv.slice(2);
if (!root) throw new Error("usage: npx tsx scripts/deflate-reuse.ts <folder> [sorted|shuffled] [level] [max files]");
const level = Number(levelArg);
const files: Array<{ path: string; size: number }> = [];
const walk = (dir: string): void => {
  let found: import("node:fs").Dirent[];
  try {
    found = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // unreadable folders of a system tree
  }
  for (const d of found) {
    const path = join(dir, d.name);
    if (d.isDirectory()) walk(path);
    else if (d.isFile()) {
      const size = lstatSync(path).size;
      if (size <= WHOLE_FILE_MAX) files.push({ path, size });
    }
  }
};
walk(root);
files.sort((a, b) => (a.path < b.path ? -1 : 1));
if (order === "shuffled") files.sort(() => Math.random() - 0.5);
files.splice(Number(maxArg));

const batches: Array<typeof files> = [];
let bytes = 0;
for (const f of files) {
  const last = batches.at(-1);
  if (!last || last.length >= BATCH_FILES || bytes + f.size > BATCH_BYTES) {
    batches.push([f]);
    bytes = f.size;
  } else {
    last.push(f);
    bytes += f.size;
  }
}

const deflate = deflater(zlib, copyInto);
const inPieces = (raw: Buffer, dest: Buffer): number => {
  const p = deflate.pieces(level, dest, 0, raw.length);
  if (!p) throw new Error("no reuse on this Node: nothing to compare");
  for (let at = 0; at < raw.length; at += PIECE_BYTES) if (!p.feed(raw.subarray(at, at + PIECE_BYTES))) return -1;
  return p.finish();
};
let pieced = 0;
let n = 0;
let differ = 0;
let freshMs = 0;
let reusedMs = 0;
for (const batch of batches) {
  let data: Buffer[];
  try {
    data = batch.map((f) => readFileSync(f.path));
  } catch {
    continue;
  }
  data.sort((a, b) => a.length - b.length);
  for (const raw of data) {
    if (raw.length === 0) continue; // stored without deflate, as the zipper does
    let t = performance.now();
    const deflated = zlib.deflateRawSync(raw, { level, chunkSize: raw.length + 64 });
    const want = deflated.length < raw.length ? deflated : undefined;
    freshMs += performance.now() - t;
    t = performance.now();
    const dest = Buffer.allocUnsafe(raw.length);
    const length = raw.length > PIECE_BYTES ? inPieces(raw, dest) : deflate(raw, level, dest, 0);
    reusedMs += performance.now() - t;
    n++;
    if (raw.length > PIECE_BYTES) pieced++;
    if (want ? !want.equals(dest.subarray(0, length)) : length !== -1) differ++;
  }
}
console.log(
  `${root} (${order}, level ${level}): ${n} files (${pieced} in pieces) in ${batches.length} batches, ${differ} differ; deflate ${freshMs.toFixed(0)} ms fresh, ${reusedMs.toFixed(0)} ms reused`,
);
