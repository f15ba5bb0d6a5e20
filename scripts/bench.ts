// `npm run bench`: sam-layer's zipper against Info-ZIP on one generated layer-like tree, in one run,
// reported as ratios (absolute times depend on the machine and whatever else runs on it).
//
// Tree: 5,000 files / 100 MiB in nested package folders, a third of the bytes incompressible, the
// rest source-like text; generated from a fixed seed into a temp folder, mtimes set an hour back
// (as after a CI cache restore). Each measurement is the median of several runs, interleaved.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const FILES = Number(process.env.BENCH_FILES ?? 5000);
const TOTAL_BYTES = Number(process.env.BENCH_MB ?? 100) * (1 << 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LEVEL = 6;
const CLI = resolve("dist/sam-layer.mjs");
const KEEP = process.env.BENCH_KEEP === "1";

/** xorshift32: the same tree on every machine. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const WORDS = (
  "def class return import from self if else elif for while in not and or None True False " +
  "try except finally with as lambda yield raise pass break continue global assert async await " +
  "request response session headers params data json cookies timeout verify stream url value key " +
  "items append extend update get set len range str int bytes dict list tuple encode decode"
).split(" ");

function textBytes(n: number, r: () => number): Buffer {
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const line = `${"    ".repeat(Math.floor(r() * 3))}${Array.from({ length: 3 + Math.floor(r() * 8) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(" ")}_${Math.floor(r() * 1000)}\n`;
    parts.push(line);
    len += line.length;
  }
  return Buffer.from(parts.join("")).subarray(0, n);
}

function randomBytesSeeded(n: number, r: () => number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i + 4 <= n; i += 4) b.writeUInt32LE(Math.floor(r() * 0x100000000), i);
  for (let i = n - (n % 4); i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function generateTree(root: string): { files: number; bytes: number } {
  const r = rng(20261125);
  // Heavy-tailed sizes like site-packages: mostly small modules, a few big shared objects.
  const weights = Array.from({ length: FILES }, (_, i) => (i % 500 === 7 ? 400 : Math.exp(r() * 5)));
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((w / sum) * TOTAL_BYTES)));
  const old = new Date(Date.now() - 3600_000);
  let incompressible = 0;
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const pkg = `pkg${String(i % 60).padStart(2, "0")}`;
    const sub = `mod${Math.floor(i / 60) % 12}`;
    const dir = join(root, "python", pkg, sub);
    mkdirSync(dir, { recursive: true });
    const size = sizes[i]!;
    const binary = incompressible + size <= bytes / 2 + size / 2 && r() < 0.5;
    const data = binary ? randomBytesSeeded(size, r) : textBytes(size, r);
    if (binary) incompressible += size;
    const name = binary ? `lib${i}.so` : `m${i}.py`;
    const path = join(dir, name);
    writeFileSync(path, data, { mode: binary ? 0o755 : 0o644 });
    utimesSync(path, old, old);
    bytes += size;
  }
  return { files: FILES, bytes };
}

interface Sample {
  seconds: number;
  maxRssKb: number;
  status: number;
}

/** One timed child process; max RSS from GNU time. */
function measure(cmd: string[], cwd: string, okCodes = [0]): Sample {
  const start = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", ...cmd], { cwd, encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (!okCodes.includes(r.status ?? -1)) throw new Error(`${cmd.join(" ")} exited ${r.status}: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  return { seconds, maxRssKb: Number(lines[lines.length - 1]), status: r.status ?? -1 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// archiver fed the same sorted entries, one Buffer at a time: the approach the zipper replaced.
const ARCHIVER_SCRIPT = `
import { createWriteStream, readdirSync, readFileSync, lstatSync } from "node:fs";
import { join } from "node:path";
const [dir, out, level, archiverUrl] = process.argv.slice(2);
const { ZipArchive } = await import(archiverUrl);
const entries = [];
(function walk(abs, rel) {
  for (const name of readdirSync(abs)) {
    const st = lstatSync(join(abs, name));
    const path = rel ? rel + "/" + name : name;
    if (st.isDirectory()) { entries.push({ name: path + "/", dir: true }); walk(join(abs, name), path); }
    else entries.push({ name: path, abs: join(abs, name), mode: st.mode & 0o111 ? 0o755 : 0o644 });
  }
})(dir, "");
entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
const zip = new ZipArchive({ zlib: { level: Number(level) } });
const done = new Promise((res, rej) => { const ws = createWriteStream(out); ws.on("close", res); ws.on("error", rej); zip.pipe(ws); });
const date = new Date(Date.UTC(1980, 0, 1));
for (const e of entries) {
  const wrote = new Promise((res) => zip.once("entry", res));
  if (e.dir) zip.append(null, { name: e.name, date, mode: 0o755 });
  else zip.append(readFileSync(e.abs), { name: e.name, date, mode: e.mode });
  await wrote;
}
await zip.finalize();
await done;
`;

function main(): void {
  if (spawnSync("zip", ["-v"]).status !== 0) throw new Error("Info-ZIP `zip` is needed: apt-get install zip");
  const work = mkdtempSync(join(tmpdir(), "sam-layer-bench-"));
  try {
    const tree = join(work, "layer");
    const t0 = Date.now();
    const { files, bytes } = generateTree(tree);
    console.log(`tree: ${files} files, ${(bytes / 2 ** 20).toFixed(0)} MiB, generated in ${((Date.now() - t0) / 1000).toFixed(1)} s (${work})`);
    const ours = join(work, "ours.zip");
    const info = join(work, "infozip.zip");
    const arch = join(work, "archiver.zip");
    const archiverScript = join(work, "archiver-bench.mjs");
    writeFileSync(archiverScript, ARCHIVER_SCRIPT);
    const withArchiver = process.env.BENCH_ARCHIVER !== "0";

    const s = { infozip: [] as Sample[], ours: [] as Sample[], nodeStart: [] as Sample[], infozipUpdate: [] as Sample[], oursUnchanged: [] as Sample[], oursNoCache: [] as Sample[], archiver: [] as Sample[] };
    for (let i = 0; i < RUNS; i++) {
      rmSync(info, { force: true });
      s.infozip.push(measure(["zip", "-r", "-X", "-q", `-${LEVEL}`, info, "."], tree));
      rmSync(ours, { force: true });
      rmSync(`${ours}.stat.json`, { force: true });
      s.ours.push(measure(["node", CLI, "zip", tree, "-o", ours, "--level", String(LEVEL)], work));
      s.nodeStart.push(measure(["node", "-e", "0"], work));
      s.infozipUpdate.push(measure(["zip", "-r", "-u", "-X", "-q", `-${LEVEL}`, info, "."], tree, [12]));
      s.oursUnchanged.push(measure(["node", CLI, "zip", tree, "-o", ours, "--level", String(LEVEL)], work));
      if (withArchiver && i < 3) {
        rmSync(arch, { force: true });
        const archiverUrl = pathToFileURL(resolve("node_modules/archiver/index.js")).href;
        s.archiver.push(measure(["node", archiverScript, tree, arch, String(LEVEL), archiverUrl], work));
      }
    }
    // The unchanged check without its stat cache: every file read and hashed once.
    for (let i = 0; i < Math.min(RUNS, 3); i++) {
      rmSync(`${ours}.stat.json`, { force: true });
      s.oursNoCache.push(measure(["node", CLI, "zip", tree, "-o", ours, "--level", String(LEVEL)], work));
    }

    const med = (xs: Sample[]) => median(xs.map((x) => x.seconds));
    const rss = (xs: Sample[]) => Math.max(...xs.map((x) => x.maxRssKb)) / 1024;
    const infoCold = med(s.infozip);
    const floor = med(s.nodeStart) + med(s.infozipUpdate);
    const rows: [string, number, number, string][] = [
      ["Info-ZIP `zip -r -X -q -6` (cold)", infoCold, rss(s.infozip), "1.00x (reference)"],
      ["sam-layer zip (cold)", med(s.ours), rss(s.ours), `${(med(s.ours) / infoCold).toFixed(2)}x Info-ZIP (goal <= 1.0x)`],
    ];
    if (s.archiver.length) {
      rows.push(["archiver 8, one Buffer per file, serial (cold)", med(s.archiver), rss(s.archiver), `${(med(s.archiver) / infoCold).toFixed(2)}x Info-ZIP`]);
    }
    rows.push(
      ["`node -e 0`", med(s.nodeStart), rss(s.nodeStart), ""],
      ["Info-ZIP `zip -r -u` (exit 12, nothing to do)", med(s.infozipUpdate), rss(s.infozipUpdate), ""],
      ["floor: `node -e 0` + `zip -r -u`", floor, 0, "1.00x (reference)"],
      ["sam-layer zip, unchanged (stat cache)", med(s.oursUnchanged), rss(s.oursUnchanged), `${(med(s.oursUnchanged) / floor).toFixed(2)}x floor (goal <= 1.5x)`],
      ["sam-layer zip, unchanged, no stat cache", med(s.oursNoCache), rss(s.oursNoCache), `${(med(s.oursNoCache) / floor).toFixed(2)}x floor`],
    );
    console.log(`\n${RUNS} runs each (archiver: ${s.archiver.length}), median seconds, peak RSS of the process\n`);
    console.log("| run | seconds | peak RSS | ratio |");
    console.log("| --- | ---: | ---: | --- |");
    for (const [name, sec, mb, ratio] of rows) console.log(`| ${name} | ${sec.toFixed(3)} | ${mb ? `${mb.toFixed(0)} MB` : ""} | ${ratio} |`);
    const size = (p: string) => (statSync(p).size / 2 ** 20).toFixed(1);
    console.log(`\nzip sizes: sam-layer ${size(ours)} MiB, Info-ZIP ${size(info)} MiB${s.archiver.length ? `, archiver ${size(arch)} MiB` : ""}`);
  } finally {
    if (!KEEP) rmSync(work, { recursive: true, force: true });
  }
}

main();
