// Would one deflate state per thread, reset between files, give the same bytes as a fresh
// zlib.deflateRawSync per file (what the zipper does)? It deflates every file under a folder both
// ways, in sorted or shuffled order, and counts the files whose bytes differ (README, "Where the
// time goes"). The reused state goes through the handle's internal writeSync, the only way past
// the sync API closing the handle at the end of each stream: for measuring only.
//   node scripts/deflate-reuse.mjs <folder> [sorted|shuffled]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import zlib from "node:zlib";

const [root, order = "sorted"] = process.argv.slice(2);
if (!root) throw new Error("usage: node scripts/deflate-reuse.mjs <folder> [sorted|shuffled]");
const files = [];
const walk = (dir) => {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) walk(p);
    else if (d.isFile()) files.push(p);
  }
};
walk(root);
files.sort();
if (order === "shuffled") files.sort(() => Math.random() - 0.5);

const engine = zlib.createDeflateRaw({ level: 6 });
const handle = engine._handle;
const state = engine._writeState; // [avail_out, avail_in] after each write
let out = Buffer.allocUnsafe(1 << 20);
function reused(input) {
  if (out.length < input.length + 1024) out = Buffer.allocUnsafe(input.length + 1024);
  handle.writeSync(zlib.constants.Z_FINISH, input, 0, input.length, out, 0, out.length);
  if (state[1] !== 0) throw new Error("input left over");
  const result = Buffer.from(out.subarray(0, out.length - state[0]));
  handle.reset(); // deflateReset
  return result;
}

let n = 0;
let differ = 0;
let freshMs = 0;
let reusedMs = 0;
for (const f of files) {
  const input = readFileSync(f);
  if (input.length === 0 || input.length > 4 << 20) continue; // the zipper's whole-file range
  let t = performance.now();
  const a = zlib.deflateRawSync(input, { level: 6, chunkSize: input.length + 64 });
  freshMs += performance.now() - t;
  t = performance.now();
  const b = reused(input);
  reusedMs += performance.now() - t;
  n++;
  if (!a.equals(b)) {
    differ++;
    if (differ <= 5) console.log(`differs: ${f} (${input.length} bytes: ${a.length} fresh, ${b.length} reused)`);
  }
}
console.log(`${n} files (${order}): ${differ} differ; deflate ${freshMs.toFixed(0)} ms fresh, ${reusedMs.toFixed(0)} ms reused`);
