// The V8 flags a write sets (tuneForZip in src/zip/prepare.ts) must be in force before the walk of
// a first write and in the workers: set later, V8's optimizing compilers (TurboFan, and Maglev on
// Node >= 22) compile the walk's functions meanwhile, which costs peak RSS (README: Results).
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { usableCpus } from "../../src/usable-cpus.js";
import { CLI, tempDir } from "./support.js";

/** The functions V8 optimized in a first write of `files` files (~2 KB each), by `--trace-opt`. */
function optimizedIn(files: number): Set<string> {
  const work = tempDir();
  const dir = join(work, "layer", "python");
  for (let i = 0; i < files; i++) {
    const pkg = join(dir, `pkg${i % 40}`);
    if (i < 40) mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, `m${i}.py`), `VALUE_${i} = ${JSON.stringify("layer ".repeat(300 + (i % 50)))}\n`);
  }
  const r = spawnSync(process.execPath, ["--trace-opt", CLI, "zip", join(work, "layer"), "-o", join(work, "layer.zip")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return new Set([...r.stdout.matchAll(/compiling method \S+ <JSFunction ([^ >]*)/g)].map((m) => m[1]!));
}

describe("a write's V8 flags", () => {
  it("are in force from the walk on: a 3,000-file zip optimizes nothing a one-file zip does not", () => {
    // What start-up optimizes (the bundle's module helpers, on Node 24 some of node:path) comes
    // before any zip code runs, so it is in both runs; anything the files add is the flags failing.
    const startup = optimizedIn(1);
    const extra = [...optimizedIn(3000)].filter((name) => !startup.has(name));
    expect(extra).toEqual([]);
  });

  it("keep the main thread's young generation small once a worker runs (Node 20 undid it at a worker's start)", (ctx) => {
    if (usableCpus() < 2) ctx.skip(); // no worker to start
    const work = tempDir();
    const dir = join(work, "layer");
    mkdirSync(dir);
    // Over PARALLEL_MIN_BYTES, so the Preparer uses the worker, whose reply shows it has run.
    for (let i = 0; i < 6; i++) writeFileSync(join(dir, `m${i}.py`), `X = ${JSON.stringify("layer ".repeat(200_000 + i))}\n`);
    const script = join(work, "young.mjs");
    writeFileSync(
      script,
      [
        `import v8 from "node:v8";`,
        `import { walkLayer } from ${JSON.stringify(resolve("src/layer/walk.ts"))};`,
        `import { Preparer, startWorkersEarly } from ${JSON.stringify(resolve("src/zip/prepare.ts"))};`,
        "startWorkersEarly();",
        `const entries = await walkLayer(${JSON.stringify(dir)});`,
        "const p = new Preparer([entries], 1);",
        "for (let i = 0; i < entries.length; i++) { const t = p.take(i); if (t instanceof Promise) await t; }",
        "await p.close();",
        // Objects that survive, as a walk's entries do: V8 grows the young generation for them unless told not to.
        "const keep = []; for (let i = 0; i < 400000; i++) keep.push({ a: 'y' + i, b: i * 1.5 });",
        `const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;`,
        "console.log(Math.round(young / 2 ** 20));",
      ].join("\n"),
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: resolve("."), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    // 1 MiB semi-spaces (2 MB in all) as started; 16 MiB ones (32 MB) when the flag is undone.
    expect(Number(r.stdout.trim())).toBeLessThanOrEqual(4);
  });

  it("hold the young generation small through the check of a zip there of 10,000 entries or more (MANY_ENTRIES)", async () => {
    const work = tempDir();
    const dir = join(work, "layer");
    for (let i = 0; i < 10_000; i++) {
      const pkg = join(dir, `pkg${i % 50}`);
      if (i < 50) mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, `module_${i}.py`), `V = ${i}\n`);
    }
    const out = join(work, "layer.zip");
    expect(spawnSync(process.execPath, [CLI, "zip", dir, "-o", out], { encoding: "utf8" }).status).toBe(0);
    // The check in a process of its own, which has set no flag before: one file changed, so the
    // walk, the digest and the write all run.
    writeFileSync(join(dir, "pkg0", "module_0.py"), "V = -1\n");
    const script = join(work, "check.mjs");
    writeFileSync(
      script,
      [
        `import v8 from "node:v8";`,
        `import { zipLayer } from ${JSON.stringify(resolve("src/zip/layer-zip.ts"))};`,
        `const r = await zipLayer({ dir: ${JSON.stringify(dir)}, output: ${JSON.stringify(out)} });`,
        `const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;`,
        "console.log(r.status, Math.round(young / 2 ** 20));",
      ].join("\n"),
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: resolve("."), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const [status, young] = r.stdout.trim().split(" ");
    expect(status).toBe("updated");
    expect(Number(young)).toBeLessThanOrEqual(4);
  });
});
