// Which worker should set the zipper's V8 flags when there are several (src/zip/prepare.ts,
// tuneForZip): a flag change makes Node load its own modules the slow way from then on, so a
// worker still booting when another sets them boots slower. This starts N workers together that
// load the writer's modules, and the first or the last of them to be done sets `--max-opt=1`;
// it prints when each was ready (ms after the first was started), 5 runs each way.
//   node scripts/flag-order.mjs [N=2]
import { spawnSync } from "node:child_process";

const n = Number(process.argv[2] ?? 2);
const child = `
  const { Worker } = require("node:worker_threads");
  for (const m of ["node:zlib", "node:crypto", "node:fs/promises", "node:vm", "node:v8"]) require(m);
  const [who, n] = [process.env.FLAG_ORDER, Number(process.env.FLAG_ORDER_N)];
  const loaded = new Int32Array(new SharedArrayBuffer(4));
  const src = \`const { workerData, parentPort } = require("node:worker_threads");
    for (const m of ["node:fs", "node:zlib", "node:crypto", "node:v8", "node:vm"]) require(m);
    const k = Atomics.add(workerData.loaded, 0, 1) + 1;
    if (k === (workerData.who === "first" ? 1 : workerData.n)) require("node:v8").setFlagsFromString("--max-opt=1");
    parentPort.postMessage(0);\`;
  const t = performance.now();
  const ready = [];
  for (let i = 0; i < n; i++) {
    const w = new Worker(src, { eval: true, workerData: { loaded, who, n } });
    w.on("message", () => {
      ready.push((performance.now() - t).toFixed(0));
      void w.terminate();
      if (ready.length === n) console.log(\`\${who} sets the flags: workers ready after \${ready.join(", ")} ms\`);
    });
  }
`;
for (let i = 0; i < 5; i++) {
  for (const who of ["first", "last"]) {
    const env = { ...process.env, FLAG_ORDER: who, FLAG_ORDER_N: String(n) };
    delete env.NODE_EXTRA_CA_CERTS;
    const r = spawnSync(process.execPath, ["-e", child], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    process.stdout.write(r.stdout);
  }
}
