// `npm run bench`: sam-layer against a named peer in the same run, reported as ratios (absolute times
// depend on the machine and whatever else runs on it). Two parts, chosen with BENCH_PARTS (default
// "zip,build"): the zipper against Info-ZIP on a generated tree, and `sam-layer build` of a
// committed 60-package lock against `sam build` + a `zipfile` zip and `pip install --target` + `zip -r`.
//
// Tree: 5,000 files / 100 MiB in nested package folders, a third of the bytes incompressible, the
// rest source-like text; generated from a fixed seed into a temp folder, mtimes set an hour back
// (as after a CI cache restore). Two big layers, 40,000 files / 200 MiB (Lambda allows 250 MB
// unzipped) and 120,000 small files, show peak RSS at any size: cold, one file changed, nothing
// to do. Each measurement is the median of several runs, interleaved.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { BUNDLE_OPTIONS, REQUIRE_SHIM } from "./bundle-options.js";

const FILES = Number(process.env.BENCH_FILES ?? 5000);
const TOTAL_BYTES = Number(process.env.BENCH_MB ?? 100) * (1 << 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LEVEL = 6;
const CLI = resolve("dist/sam-layer.mjs");
/** The package's command (package.json "bin"): the bundle behind Node's compile cache (Node >= 22.8). */
const BIN = resolve("dist/bin.mjs");
const KEEP = process.env.BENCH_KEEP === "1";
const PARTS = new Set((process.env.BENCH_PARTS ?? "zip,build").split(",").map((p) => p.trim()));
/** Node that runs the CLI (say a newer one, to see its compile cache); the peers' floor uses it too. */
const NODE = process.env.BENCH_NODE ?? "node";
/**
 * Extra CA certificates make every Node start parse them (node -e 0 on Node 20 here: 0.13 s with
 * this machine's NODE_EXTRA_CA_CERTS, 0.04 s without). CircleCI's images do not set it, and a fixed
 * cost in both the floor and sam-layer would flatter every ratio to the floor, so the timed
 * commands (ours and the peers, all parts) run without it unless BENCH_KEEP_CA_CERTS=1.
 */
const CA_CERTS_UNSET = process.env.NODE_EXTRA_CA_CERTS !== undefined && process.env.BENCH_KEEP_CA_CERTS !== "1";
if (CA_CERTS_UNSET) delete process.env.NODE_EXTRA_CA_CERTS;

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

function generateTree(root: string, files = FILES, totalBytes = TOTAL_BYTES): { files: number; bytes: number } {
  const r = rng(20261125);
  // Heavy-tailed sizes like site-packages: mostly small modules, a few big shared objects.
  const weights = Array.from({ length: files }, (_, i) => (i % 500 === 7 ? 400 : Math.exp(r() * 5)));
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((w / sum) * totalBytes)));
  const old = new Date(Date.now() - 3600_000);
  let incompressible = 0;
  let bytes = 0;
  for (let i = 0; i < files; i++) {
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
  return { files, bytes };
}

interface BigLayerSamples {
  label: string;
  infozip: Sample[];
  ours: Sample[];
  infozipChanged: Sample[];
  oursChanged: Sample[];
  infozipSame: Sample[];
  oursSame: Sample[];
}

/**
 * A generated layer of `files` files: cold zips, then one file changed (its content and mtime,
 * still old enough for the stat cache to trust), then nothing to do; Info-ZIP each time beside
 * (`zip -r -u` updates the changed entry and copies the others). The tree is removed after.
 */
function bigLayer(work: string, label: string, files: number, bytes: number): BigLayerSamples {
  const tree = join(work, "big");
  const info = join(work, "big-infozip.zip");
  const ours = join(work, "big.zip");
  generateTree(tree, files, bytes);
  const b: BigLayerSamples = { label, infozip: [], ours: [], infozipChanged: [], oursChanged: [], infozipSame: [], oursSame: [] };
  const runs = Math.min(RUNS, 3);
  const oursCmd = [NODE, CLI, "zip", tree, "-o", ours, "--level", String(LEVEL)];
  const infoUpdate = ["zip", "-r", "-u", "-X", "-q", `-${LEVEL}`, info, "."];
  for (let i = 0; i < runs; i++) {
    rmSync(info, { force: true });
    b.infozip.push(measure(["zip", "-r", "-X", "-q", `-${LEVEL}`, info, "."], tree));
    rmSync(ours, { force: true });
    rmSync(`${ours}.stat.json`, { force: true });
    b.ours.push(measure(oursCmd, work));
  }
  const changed = join(tree, "python", "pkg00", "mod0", "m0.py");
  const old = Date.now() / 1000 - 3600;
  for (let i = 0; i < runs; i++) {
    writeFileSync(changed, `changed = ${i}\n`, { flag: "a" });
    // Apart by more than the 2 s of a zip entry's DOS time, or Info-ZIP sees nothing new.
    const mtime = old + 10 * (i + 1);
    utimesSync(changed, mtime, mtime);
    b.infozipChanged.push(measure(infoUpdate, tree));
    b.oursChanged.push(measure(oursCmd, work));
  }
  for (let i = 0; i < runs; i++) {
    b.infozipSame.push(measure(infoUpdate, tree, [12]));
    b.oursSame.push(measure(oursCmd, work));
  }
  for (const x of b.oursSame) if (!x.stdout.includes("unchanged")) throw new Error(`not unchanged: ${x.stdout}`);
  rmSync(tree, { recursive: true, force: true });
  return b;
}

export interface Sample {
  seconds: number;
  /** user + system CPU of the process and its threads */
  cpu: number;
  maxRssKb: number;
  status: number;
  stdout: string;
}

/** One timed child process; CPU time and max RSS from GNU time. */
export function measure(cmd: string[], cwd: string, okCodes = [0], env?: NodeJS.ProcessEnv): Sample {
  const start = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", ...cmd], {
    cwd,
    encoding: "utf8",
    env: env ? { ...process.env, ...env } : process.env,
    maxBuffer: 64 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (!okCodes.includes(r.status ?? -1)) throw new Error(`${cmd.join(" ")} exited ${r.status}: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  const [user, sys, rss] = lines[lines.length - 1]!.split(" ").map(Number) as [number, number, number];
  return { seconds, cpu: user + sys, maxRssKb: rss, status: r.status ?? -1, stdout: r.stdout };
}

export function median(xs: number[]): number {
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

/**
 * The "nothing to do" check without the CLI's argument parser, to show how much of its time is
 * yargs' start-up: zipLayer and the same output line, bundled like the CLI.
 */
async function bundleWithoutYargs(outfile: string): Promise<void> {
  const { build } = await import("esbuild");
  await build({
    stdin: {
      contents: [
        `import { zipLayer } from "./src/zip/layer-zip.ts";`,
        `import { zipLine } from "./src/commands/zip.ts";`,
        `const [dir, output] = process.argv.slice(2);`,
        `process.stdout.write(zipLine(await zipLayer({ dir, output, level: ${LEVEL} })) + "\\n");`,
      ].join("\n"),
      resolveDir: resolve("."),
      loader: "ts",
    },
    outfile,
    ...BUNDLE_OPTIONS,
    banner: { js: REQUIRE_SHIM },
  });
}

async function zipBench(): Promise<void> {
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
    const noYargs = join(work, "zip-without-yargs.mjs");
    await bundleWithoutYargs(noYargs);
    writeFileSync(archiverScript, ARCHIVER_SCRIPT);
    const withArchiver = process.env.BENCH_ARCHIVER !== "0";
    const hasCompileCache = spawnSync(NODE, ["-p", "typeof require('node:module').enableCompileCache"], { encoding: "utf8" }).stdout.trim() === "function";

    const s = {
      infozip: [] as Sample[],
      ours: [] as Sample[],
      nodeStart: [] as Sample[],
      cliStart: [] as Sample[],
      infozipUpdate: [] as Sample[],
      oursUnchanged: [] as Sample[],
      oursNoCache: [] as Sample[],
      oursNoYargs: [] as Sample[],
      oursBundle: [] as Sample[],
      archiver: [] as Sample[],
    };
    const md5s = new Set<string>();
    for (let i = 0; i < RUNS; i++) {
      rmSync(info, { force: true });
      s.infozip.push(measure(["zip", "-r", "-X", "-q", `-${LEVEL}`, info, "."], tree));
      rmSync(ours, { force: true });
      rmSync(`${ours}.stat.json`, { force: true });
      s.ours.push(measure([NODE, CLI, "zip", tree, "-o", ours, "--level", String(LEVEL)], work));
      md5s.add(createHash("md5").update(readFileSync(ours)).digest("hex"));
      s.nodeStart.push(measure([NODE, "-e", "0"], work));
      s.cliStart.push(measure([NODE, BIN, "--version"], work));
      s.infozipUpdate.push(measure(["zip", "-r", "-u", "-X", "-q", `-${LEVEL}`, info, "."], tree, [12]));
      // What `sam-layer zip` runs: the package's command, which keeps V8's compiled code on disk (Node >= 22.8).
      s.oursUnchanged.push(measure([NODE, BIN, "zip", tree, "-o", ours, "--level", String(LEVEL)], work));
      s.oursBundle.push(measure([NODE, CLI, "zip", tree, "-o", ours, "--level", String(LEVEL)], work));
      s.oursNoYargs.push(measure([NODE, noYargs, tree, ours], work));
      if (withArchiver && i < 3) {
        rmSync(arch, { force: true });
        const archiverUrl = pathToFileURL(resolve("node_modules/archiver/index.js")).href;
        s.archiver.push(measure(["node", archiverScript, tree, arch, String(LEVEL), archiverUrl], work));
      }
    }
    // Big layers, for peak RSS at any size: a cold zip, one file changed, nothing to do.
    const bigLayers = [bigLayer(work, "40,000 files / 200 MiB", 40_000, 200 << 20), bigLayer(work, "120,000 small files / 18 MiB", 120_000, 120_000 * 160)];
    // The unchanged check without its stat cache: every file read and hashed once.
    for (let i = 0; i < Math.min(RUNS, 3); i++) {
      rmSync(`${ours}.stat.json`, { force: true });
      s.oursNoCache.push(measure([NODE, CLI, "zip", tree, "-o", ours, "--level", String(LEVEL)], work));
    }

    const med = (xs: Sample[]) => median(xs.map((x) => x.seconds));
    const cpu = (xs: Sample[]) => median(xs.map((x) => x.cpu));
    const rss = (xs: Sample[]) => Math.max(...xs.map((x) => x.maxRssKb)) / 1024;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const infoCold = s.infozip;
    const floorWall = med(s.nodeStart) + med(s.infozipUpdate);
    const floorCpu = cpu(s.nodeStart) + cpu(s.infozipUpdate);
    type Row = [name: string, wall: number, cpuSec: number, mb: number, wallRatio: string, cpuRatio: string];
    const vsInfo = (xs: Sample[]): [string, string] => [ratio(med(xs), med(infoCold)), ratio(cpu(xs), cpu(infoCold))];
    const vsFloor = (xs: Sample[]): [string, string] => [ratio(med(xs), floorWall), ratio(cpu(xs), floorCpu)];
    const rows: Row[] = [
      ["Info-ZIP `zip -r -X -q -6`, cold", med(infoCold), cpu(infoCold), rss(infoCold), "1.00x", "1.00x"],
      ["**sam-layer zip, cold** (goal <= 0.6x)", med(s.ours), cpu(s.ours), rss(s.ours), ...vsInfo(s.ours)],
    ];
    for (const b of bigLayers) {
      const vs = (xs: Sample[], peer: Sample[]): [string, string] => [ratio(med(xs), med(peer)), ratio(cpu(xs), cpu(peer))];
      rows.push(
        [`Info-ZIP, cold, ${b.label}`, med(b.infozip), cpu(b.infozip), rss(b.infozip), "1.00x", "1.00x"],
        [`**sam-layer zip, cold, ${b.label}** (goal: peak RSS < 100 MB)`, med(b.ours), cpu(b.ours), rss(b.ours), ...vs(b.ours, b.infozip)],
        [`Info-ZIP \`zip -r -u\`, one file changed, ${b.label}`, med(b.infozipChanged), cpu(b.infozipChanged), rss(b.infozipChanged), "1.00x", "1.00x"],
        [
          `**sam-layer zip, one file changed, ${b.label}** (goal: peak RSS < 100 MB)`,
          med(b.oursChanged),
          cpu(b.oursChanged),
          rss(b.oursChanged),
          ...vs(b.oursChanged, b.infozipChanged),
        ],
        [`Info-ZIP \`zip -r -u\`, nothing to do (exit 12), ${b.label}`, med(b.infozipSame), cpu(b.infozipSame), rss(b.infozipSame), "1.00x", "1.00x"],
        [`sam-layer zip, unchanged, ${b.label}`, med(b.oursSame), cpu(b.oursSame), rss(b.oursSame), ...vs(b.oursSame, b.infozipSame)],
      );
    }
    if (s.archiver.length) {
      rows.push(["archiver 8, a Buffer per file, serial, cold", med(s.archiver), cpu(s.archiver), rss(s.archiver), ...vsInfo(s.archiver)]);
    }
    rows.push(
      ["floor: `node -e 0` + `zip -r -u` (exit 12)", floorWall, floorCpu, 0, "1.00x", "1.00x"],
      ["**sam-layer zip, unchanged** (goal <= 1.5x)", med(s.oursUnchanged), cpu(s.oursUnchanged), rss(s.oursUnchanged), ...vsFloor(s.oursUnchanged)],
      [
        `  the bundle alone (\`node dist/sam-layer.mjs\`: no compile cache${hasCompileCache ? "" : ", as on this Node anyway"})`,
        med(s.oursBundle),
        cpu(s.oursBundle),
        rss(s.oursBundle),
        ...vsFloor(s.oursBundle),
      ],
      ["sam-layer zip, unchanged, no stat cache", med(s.oursNoCache), cpu(s.oursNoCache), rss(s.oursNoCache), ...vsFloor(s.oursNoCache)],
      ["  of which: `node -e 0`", med(s.nodeStart), cpu(s.nodeStart), rss(s.nodeStart), ...vsFloor(s.nodeStart)],
      ["  of which: `sam-layer --version` (Node + launcher + bundle + yargs)", med(s.cliStart), cpu(s.cliStart), rss(s.cliStart), ...vsFloor(s.cliStart)],
      ["  the same check without yargs (bench-only entry point)", med(s.oursNoYargs), cpu(s.oursNoYargs), rss(s.oursNoYargs), ...vsFloor(s.oursNoYargs)],
      ["  `zip -r -u` alone (exit 12)", med(s.infozipUpdate), cpu(s.infozipUpdate), rss(s.infozipUpdate), "", ""],
    );
    console.log(
      `\n${RUNS} runs each (archiver: ${s.archiver.length}, big layers: ${bigLayers[0]!.ours.length}); medians; wall = elapsed, CPU = user+sys of all threads; peak RSS = max\n`,
    );
    console.log("| run | wall s | CPU s | peak RSS | wall ratio | CPU ratio |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const [name, sec, c, mb, wr, cr] of rows) {
      console.log(`| ${name} | ${sec.toFixed(3)} | ${c.toFixed(2)} | ${mb ? `${mb.toFixed(0)} MB` : ""} | ${wr} | ${cr} |`);
    }
    if (md5s.size !== 1) throw new Error(`cold runs gave different zips: ${[...md5s].join(" ")}`);
    if (spawnSync("unzip", ["-tq", ours]).status !== 0) throw new Error("unzip -t failed on sam-layer's zip");
    const size = (p: string) => (statSync(p).size / 2 ** 20).toFixed(1);
    console.log(`\nzip sizes: sam-layer ${size(ours)} MiB, Info-ZIP ${size(info)} MiB${s.archiver.length ? `, archiver ${size(arch)} MiB` : ""}`);
  } finally {
    if (!KEEP) rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const nodeVersion = spawnSync(NODE, ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(
    `Node ${nodeVersion} (${NODE}), ${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}${CA_CERTS_UNSET ? "; NODE_EXTRA_CA_CERTS unset for the timed commands (BENCH_KEEP_CA_CERTS=1 keeps it)" : ""}`,
  );
  if (PARTS.has("zip")) await zipBench();
  if (PARTS.has("build")) {
    const { buildBench } = await import("./bench-build.js");
    await buildBench({ cli: CLI, node: NODE, measure, median });
  }
}

await main();
// The build-layer steps on a cache hit (issue 11's hit row): scripts/bench-hit.ts.
if (process.env.BENCH_HIT !== "0") await (await import("./bench-hit.js")).benchHit();
