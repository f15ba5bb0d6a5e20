// What a V8 flag change costs Node afterwards: Node compiles its own modules from its built-in
// code cache, which is keyed to V8's flags, so after any `v8.setFlagsFromString` it compiles them
// from source. This loads the modules a zip write uses, and boots a worker thread that loads its
// own, once with the flags as Node starts and once after the change given (README, "Where the
// time goes"; src/zip/prepare.ts, tuneForZip). Run it twice or more: the first load of a file
// warms the disk cache.
//   node scripts/flag-cost.mjs [--no-opt]    (no flag: nothing is changed)
import { spawnSync } from "node:child_process";

const flag = process.argv[2];
const child = `
  const v8 = require("node:v8");
  const { Worker } = require("node:worker_threads");
  const flag = process.env.FLAG_COST_FLAG;
  if (flag) v8.setFlagsFromString(flag);
  let t = performance.now();
  for (const m of ["node:zlib", "node:crypto", "node:fs/promises", "node:vm"]) require(m);
  const loaded = performance.now() - t;
  t = performance.now();
  const src = 'for (const m of ["node:fs", "node:zlib", "node:crypto", "node:v8", "node:vm"]) require(m); require("node:worker_threads").parentPort.postMessage(0);';
  const w = new Worker(src, { eval: true });
  w.on("message", () => {
    console.log(\`\${(flag || "no flag change").padEnd(32)} modules \${loaded.toFixed(1)} ms, worker boot \${(performance.now() - t).toFixed(1)} ms\`);
    void w.terminate();
  });
`;
for (let i = 0; i < 3; i++) {
  const env = { ...process.env, FLAG_COST_FLAG: flag ?? "" };
  const r = spawnSync(process.execPath, ["-e", child], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  process.stdout.write(r.stdout);
}
