// The V8 flags a write sets (tuneForZip in src/zip/prepare.ts) must be in force before the walk of
// a first write and in the workers: set later, V8's optimizing compilers (TurboFan, and Maglev on
// Node >= 22) compile the walk's functions meanwhile, which costs peak RSS (README: Results).
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
});
