// Peak RSS of Node's own zlib, without sam-layer: 6,000 raw deflates of 1-50 KB text, one
// zlib.deflateRawSync (one deflate state, allocated and freed) per input, as the zipper does per
// file, with a garbage collection every 50 ("minor", the zipper's kind, or "major"). Run it on two
// Nodes to compare what each keeps (README, benchmark results):
//   node --expose-gc scripts/zlib-rss.mjs [minor|major]
import { randomBytes } from "node:crypto";
import { deflateRawSync } from "node:zlib";

const type = process.argv[2] ?? "minor";
const inputs = Array.from({ length: 50 }, (_, i) => Buffer.from(randomBytes(1000 + i * 800).toString("base64")));
const mb = (n) => (n / 2 ** 20).toFixed(0);
const start = process.memoryUsage.rss();
let peak = start;
for (let i = 0; i < 6000; i++) {
  const input = inputs[i % inputs.length];
  deflateRawSync(input, { level: 6, chunkSize: input.length + 64 });
  if (i % 50 === 0) {
    globalThis.gc?.({ type });
    peak = Math.max(peak, process.memoryUsage.rss());
  }
}
console.log(`Node ${process.version}, zlib ${process.versions.zlib}, ${type} GC every 50: RSS ${mb(start)} MB at start, ${mb(peak)} MB peak`);
