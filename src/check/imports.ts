// The import check: a layer that does not import on its runtime is worth nothing, however stable
// its bytes. Every top-level module of every installed distribution is imported with the layer
// laid out as Lambda lays it out and nothing of this machine's packages visible, on an interpreter
// of the runtime's version. When that cannot be done here, it says so and why (never a silent pass).
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { resolveTarget, type Target } from "../layer-build/target.js";
import { NODE_IMPORT_CHECK } from "./node-script.js";
import { PYTHON_IMPORT_CHECK } from "./python-script.js";
import { usableCpus } from "../usable-cpus.js";

export interface ImportCheckOptions {
  /** the layer folder: holds python/ or nodejs/ */
  layerDir: string;
  runtime: string;
  architecture: string;
  /** interpreter instead of `python3.X` / `node` from PATH; it must be the runtime's version */
  interpreter?: string;
  /** module (Python) or package (Node.js) names not to import */
  skip: string[];
  /** Python: top-level modules of the layer's own code (in python/), imported after the packages' */
  ownModules?: { modules: string[]; label: string };
  /** how long all imports together may take */
  timeoutMs?: number;
}

export interface ImportFailure {
  dist: string;
  version: string;
  module: string;
  error: string;
}

export type ImportCheckResult =
  | {
      status: "passed";
      runtime: string;
      interpreter: string;
      distributions: number;
      modules: number;
      /** own modules imported (a layer folder's own code) */
      own?: number;
      skipped: string[];
      seconds: number;
      note?: string;
    }
  | { status: "skipped"; runtime: string; reason: string };

/** Lambda's name for the machine an interpreter reports (platform.machine() / process.arch). */
const LAMBDA_ARCH: Record<string, string> = { x86_64: "x86_64", amd64: "x86_64", x64: "x86_64", aarch64: "arm64", arm64: "arm64" };

/** One line per failure: `requests 2.20.0: import requests fails on python3.12: ModuleNotFoundError: ...` */
export function failureLine(f: ImportFailure, runtime: string): string {
  const verb = runtime.startsWith("nodejs") ? "require" : "import";
  return `${f.dist}${f.version ? ` ${f.version}` : ""}: ${verb} ${f.module} fails on ${runtime}: ${f.error}`;
}

/** Runs the check; a failing import throws a UserError whose message has one line per failure. */
export async function checkImports(o: ImportCheckOptions): Promise<ImportCheckResult> {
  const target = resolveTarget(o.runtime, o.architecture);
  const sub = resolve(o.layerDir, target.layerSubdir);
  if (!existsSync(sub)) throw new UserError(`${o.layerDir} has no ${target.layerSubdir}/ folder: not a layer for ${o.runtime}`);
  return target.language === "python" ? checkPython(o, target, sub) : checkNode(o, target, sub);
}

interface ScriptResult {
  python?: string;
  node?: string;
  machine: string;
  executable?: string;
  error?: "version";
  distributions: number;
  modules: number;
  own?: number;
  skipped: string[];
  failures: ImportFailure[];
  seconds?: number;
}

async function checkPython(o: ImportCheckOptions, target: Target & { language: "python" }, pythonDir: string): Promise<ImportCheckResult> {
  const interpreter = o.interpreter ?? o.runtime;
  const work = await mkdtemp(join(tmpdir(), "sam-layer-check-"));
  try {
    const probe = await runScript(interpreter, ["-I", "-S", "-c", PROBE], work, 60_000);
    if (probe.missing) {
      if (o.interpreter) throw new UserError(`--python ${o.interpreter}: not found`);
      return skipped(o.runtime, `${notOnPath(interpreter, probe)} to import the layer with (pass --python)`);
    }
    if (probe.code !== 0) throw new UserError(`import check: ${interpreter} does not run: ${lastLine(probe.stderr)}`);
    const found = JSON.parse(probe.stdout) as { version: string; machine: string; executable: string };
    if (found.version !== target.pythonVersion) {
      const why = `${interpreter} is Python ${found.version}, not ${target.pythonVersion}`;
      if (o.interpreter) throw new UserError(`--python ${why}`, 2);
      return skipped(o.runtime, why);
    }
    const arch = archMismatch(found.machine, target.architecture, pythonDir, [".so"]);
    if (arch?.skip) return skipped(o.runtime, arch.skip);

    const started = Date.now();
    // One interpreter per core, each importing its share: a big layer's check is mostly Python
    // compiling and running module code (pandas alone ~4 s here), which one process does on one core.
    const parts = Math.max(1, Math.min(usableCpus(), MAX_CHECK_PROCESSES));
    const results = await Promise.all(
      Array.from({ length: parts }, async (_, part) => {
        const resultFile = join(work, `result-${part}.json`);
        const run = await runScript(
          interpreter,
          [
            "-I",
            "-S",
            "-B",
            "-c",
            PYTHON_IMPORT_CHECK,
            pythonDir,
            target.pythonVersion,
            resultFile,
            o.skip.join(","),
            `${part}/${parts}`,
            ...(o.ownModules?.modules.length ? [o.ownModules.modules.join(","), o.ownModules.label] : []),
          ],
          work,
          o.timeoutMs,
        );
        return readResult(resultFile, run, interpreter, o);
      }),
    );
    return finish(o.runtime, found.executable, mergeResults(results), Date.now() - started, arch?.note);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** More processes than this only add start-up and duplicate imports (every share imports numpy's dependents' numpy). */
const MAX_CHECK_PROCESSES = 4;

/** The shares' results as one, failures and skips in name order whatever share found them. */
function mergeResults(results: ScriptResult[]): ScriptResult {
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    ...results[0]!,
    distributions: results.reduce((n, r) => n + r.distributions, 0),
    modules: results.reduce((n, r) => n + r.modules, 0),
    own: results.reduce((n, r) => n + (r.own ?? 0), 0),
    skipped: results.flatMap((r) => r.skipped).sort(byName),
    failures: results.flatMap((r) => r.failures).sort((a, b) => byName(a.dist.toLowerCase(), b.dist.toLowerCase()) || byName(a.module, b.module)),
  };
}

const PROBE =
  "import json, platform, sys; print(json.dumps({'version': '%d.%d' % sys.version_info[:2], 'machine': platform.machine(), 'executable': sys.executable}))";

async function checkNode(o: ImportCheckOptions, target: Target & { language: "nodejs" }, nodejsDir: string): Promise<ImportCheckResult> {
  const interpreter = o.interpreter ?? "node";
  // /opt/nodejs/nodeNN/node_modules comes first on Lambda's NODE_PATH; each folder is checked.
  const folders = [join(nodejsDir, `node${target.nodeMajor}`, "node_modules"), join(nodejsDir, "node_modules")].filter((d) => existsSync(d));
  const total: ScriptResult = { machine: "", distributions: 0, modules: 0, skipped: [], failures: [] };
  const started = Date.now();
  for (const folder of folders) {
    const work = await mkdtemp(join(tmpdir(), "sam-layer-check-"));
    try {
      await symlink(folder, join(work, "node_modules"), "dir");
      await writeFile(join(work, "check.mjs"), NODE_IMPORT_CHECK);
      const resultFile = join(work, "result.json");
      const run = await runScript(interpreter, [join(work, "check.mjs"), folder, resultFile, o.skip.join(",")], work, o.timeoutMs);
      if (run.missing) {
        if (o.interpreter) throw new UserError(`--node ${o.interpreter}: not found`);
        return skipped(o.runtime, `${notOnPath(interpreter, run)} to load the layer with (pass --node)`);
      }
      const result = await readResult(resultFile, run, interpreter, o);
      const major = Number(result.node?.split(".")[0]);
      if (major !== target.nodeMajor) {
        const why = `${interpreter} is Node.js ${result.node}, not ${target.nodeMajor}`;
        if (o.interpreter) throw new UserError(`--node ${why}`, 2);
        return skipped(o.runtime, why);
      }
      const archNote = archMismatch(result.machine, target.architecture, folder, [".node"]);
      if (archNote?.skip) return skipped(o.runtime, archNote.skip);
      total.machine = result.machine;
      total.distributions += result.distributions;
      total.modules += result.modules;
      total.skipped.push(...result.skipped);
      total.failures.push(...result.failures);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return finish(o.runtime, interpreter, total, Date.now() - started);
}

function finish(runtime: string, interpreter: string, r: ScriptResult, ms: number, note?: string): ImportCheckResult {
  if (r.failures.length) throw new UserError(r.failures.map((f) => failureLine(f, runtime)).join("\n"));
  return {
    status: "passed",
    runtime,
    interpreter,
    distributions: r.distributions,
    modules: r.modules,
    ...(r.own ? { own: r.own } : {}),
    skipped: r.skipped,
    seconds: Math.round(ms / 10) / 100,
    ...(note ? { note } : {}),
  };
}

function skipped(runtime: string, reason: string): ImportCheckResult {
  return { status: "skipped", runtime, reason };
}

/**
 * An interpreter of another architecture than the layer's can still check pure code (it is the
 * same on both), but not native extensions: those only load on their own machine, or under an
 * emulator (qemu-user with binfmt_misc running an interpreter of the layer's architecture, which
 * --python / --node can name).
 */
function archMismatch(machine: string, arch: string, dir: string, nativeExts: string[]): { skip?: string; note?: string } | undefined {
  const mine = LAMBDA_ARCH[machine] ?? machine;
  if (mine === arch) return undefined;
  const native = countNative(dir, nativeExts);
  if (native === 0) return { note: `pure code, checked on ${mine} for ${arch}` };
  return {
    skip: `${arch === "arm64" ? "an" : "a"} ${arch} layer with ${native} native extension${native === 1 ? "" : "s"} cannot load on this ${mine} interpreter (name an ${arch} one, e.g. under qemu-user, to check it)`,
  };
}

function countNative(dir: string, exts: string[]): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (exts.some((x) => e.name.endsWith(x))) n++;
    }
  };
  walk(dir);
  return n;
}

interface ScriptRun {
  missing: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const DEFAULT_TIMEOUT_MS = 600_000;

/** Why a missing interpreter is missing: not on PATH, or a version manager's shim that refused. */
function notOnPath(interpreter: string, run: ScriptRun): string {
  if (run.code === 127) return `${interpreter} on PATH does not run (${run.stderr.trim().split("\n")[0]})`;
  return `no ${interpreter} on PATH`;
}

function runScript(command: string, args: string[], cwd: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ScriptRun> {
  return new Promise((resolve) => {
    // HOME in the temp folder: a module that writes a cache at import time writes it there.
    const child = spawn(command, args, { cwd, env: { ...process.env, HOME: cwd }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout = (stdout + c).slice(-100_000)));
    let timedOut = false;
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-4000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ missing: e.code === "ENOENT", code: null, stdout, stderr: e.message, timedOut });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      // A pyenv shim for a version pyenv does not enable exits 127: the same as not installed.
      resolve({ missing: code === 127 && /command not found/.test(stderr), code: code ?? -1, stdout, stderr, timedOut });
    });
  });
}

const PROGRESS = /^sam-layer-check: importing (\S+) (\S*) (\S+)$/;

async function readResult(file: string, run: ScriptRun, interpreter: string, o: ImportCheckOptions): Promise<ScriptResult> {
  if (existsSync(file) && !run.timedOut) return JSON.parse(await readFile(file, "utf8")) as ScriptResult;
  // The script says which module it is about to import: name the one it hung or crashed in.
  const last = run.stderr
    .split("\n")
    .map((l) => PROGRESS.exec(l.trim()))
    .filter((m) => m !== null)
    .at(-1);
  const what = run.timedOut ? `did not finish within ${Math.round((o.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s` : `killed the interpreter (exit ${run.code})`;
  if (last) throw new UserError(failureLine({ dist: last[1]!, version: last[2]!, module: last[3]!, error: what }, o.runtime));
  throw new UserError(`import check: ${interpreter} ${what}: ${lastLine(run.stderr)}`);
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}
