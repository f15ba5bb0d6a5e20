// Shared set-up for the build tests: scratch apps, the pinned Python tools on PATH, the bundled CLI,
// and readers for what ends up in a layer zip.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildLayer, type Built, type BuildOptions, type BuildResult } from "../../src/layer-build/index.js";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const VENV_BIN = join(REPO, ".venv/bin");
export const CLI = join(REPO, "dist/sam-layer.mjs");

// pipenv, poetry and uv come from the project's pinned venv, as scripts/test.sh arranges.
if (!(process.env.PATH ?? "").split(":").includes(VENV_BIN)) process.env.PATH = `${VENV_BIN}:${process.env.PATH}`;

export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sam-layer-${prefix}-`));
}

/** A folder with these files (paths may contain folders). */
export function app(root: string, name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Logged {
  result: BuildResult;
  log: string[];
}

export async function build(opts: Partial<BuildOptions> & { appDir: string }): Promise<Logged> {
  const log: string[] = [];
  const result = await buildLayer({
    pkgManager: "auto",
    layerDir: "layer",
    output: "layer.zip",
    architecture: "x86_64",
    compileBytecode: false,
    python: "python3",
    maxUnzippedMb: 250,
    // These tests are about what gets installed; several lock requests 2.20.0, which installs for
    // python3.12+ but does not import there. The import check has its own tests (test/check) and
    // runs in every CLI build here.
    importCheck: false,
    log: (l) => log.push(l),
    ...opts,
  });
  return { result, log };
}

export function built(r: BuildResult): Built {
  if (r.status === "key-written" || r.status === "tools-listed") throw new Error(`expected a build, got ${r.status}`);
  return r;
}

/** Runs the bundled CLI (npm run build makes it), with this very node: env may give a PATH without it. */
export function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: "utf8" });
}

/** A program's output, failing loudly when it failed. */
export function sh(cmd: string, args: string[], cwd?: string, env: NodeJS.ProcessEnv = process.env, input?: string): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Entry names of a zip, as Info-ZIP's zipinfo lists them. */
export function zipNames(zip: string): string[] {
  return sh("zipinfo", ["-1", zip]).split("\n").filter(Boolean);
}

/** e_machine of an ELF file: 62 is x86-64, 183 is AArch64. */
export function elfMachine(file: string): number {
  const b = readFileSync(file);
  if (b.subarray(0, 4).toString("latin1") !== "\x7fELF") throw new Error(`not an ELF file: ${file}`);
  return b.readUInt16LE(18);
}
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

/**
 * Everything a build may change in an app folder, as path -> md5 (and "dir"/"link"): the layer
 * folder's files, the zip, <output>.key and <output>.stat.json, and any leftover folder. A failed
 * build must leave this exactly as it was.
 */
export function snapshot(appDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    const abs = join(appDir, rel);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) out[rel] = "link";
    else if (st.isDirectory()) {
      out[rel] = `dir ${st.mode}`;
      for (const name of readdirSync(abs)) walk(join(rel, name));
    } else out[rel] = `${st.mode} ${createHash("md5").update(readFileSync(abs)).digest("hex")}`;
  };
  for (const name of readdirSync(appDir)) if (name.startsWith("layer") || name.startsWith(".layer")) walk(name);
  return out;
}
