// Shared harness for the zipper's tests: temp folders, trees, the bundled CLI in a child process,
// and the real Info-ZIP tools (unzip -t, zipinfo) to judge what we wrote.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll } from "vitest";

export const CLI = resolve("dist/sam-layer.mjs");

/** A fresh temp folder, removed when the test file ends. */
export function tempDir(prefix = "sam-layer-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type Tree = Record<string, string | Buffer | { content: string | Buffer; mode: number } | null>;

/** Writes files (null = empty folder) in the given order, with the given modes. */
export function writeTree(root: string, tree: Tree, order: string[] = Object.keys(tree)): void {
  mkdirSync(root, { recursive: true });
  for (const path of order) {
    const spec = tree[path];
    const abs = join(root, path);
    if (spec === null || spec === undefined) {
      mkdirSync(abs, { recursive: true });
      continue;
    }
    mkdirSync(dirname(abs), { recursive: true });
    const { content, mode } = typeof spec === "string" || Buffer.isBuffer(spec) ? { content: spec, mode: 0o644 } : spec;
    writeFileSync(abs, content);
    chmodSync(abs, mode);
  }
}

/** A small tree with the shapes a layer has: nested packages, an empty folder, an executable, binary data. */
export function sampleTree(): Tree {
  return {
    "python/pkg/__init__.py": "from .core import run\n",
    "python/pkg/core.py": "def run():\n    return 42\n".repeat(50),
    "python/pkg/data.bin": Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)),
    "python/pkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n",
    "python/pkg-1.0.dist-info/RECORD": "pkg/__init__.py,,\npkg/core.py,,\n",
    "bin/tool": { content: "#!/bin/sh\necho hi\n", mode: 0o755 },
    "empty/": null,
    "python/z-last.txt": "",
    "python/Ä-unicode.txt": "non-ascii name\n",
  };
}

export function setAllMtimes(root: string, paths: string[], when: Date): void {
  for (const p of paths) utimesSync(join(root, p), when, when);
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {}): CliRun {
  const r: SpawnSyncReturns<string> = spawnSync("node", [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    uid: opts.uid,
    gid: opts.gid,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI without waiting, for tests that interrupt it. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn("node", [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

export function unzipTest(zip: string): string {
  const r = spawnSync("unzip", ["-t", zip], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`unzip -t ${zip} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** `zipinfo -1`: entry names in archive order. */
export function zipNames(zip: string): string[] {
  const r = spawnSync("zipinfo", ["-1", zip], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`zipinfo -1 ${zip} failed: ${r.stderr}`);
  return r.stdout.split("\n").filter(Boolean);
}

/** `zipinfo -l`: permissions, sizes, methods, dates per entry, one line each. */
export function zipListing(zip: string): string[] {
  const r = spawnSync("zipinfo", ["-l", zip], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
  if (r.status !== 0) throw new Error(`zipinfo ${zip} failed: ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => /^[-dl][rwx-]{9}/.test(l));
}

export function bytesOf(path: string): Buffer {
  return readFileSync(path);
}

export function mtimeNs(path: string): bigint {
  return statSync(path, { bigint: true }).mtimeNs;
}
