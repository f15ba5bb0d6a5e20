// Installs pinned requirements into <fresh layer>/python for the Lambda target (not for the machine
// that runs the build). uv is the default installer: it resolves Requires-Python and the markers of
// transitive dependencies for --python-version/--python-platform whatever Python runs it, and is
// several times faster than pip. pip stays as `--installer pip` (see the README for when); it needs
// a recent pip for Requires-Python (pip 23.2 checks it against the running interpreter,
// pypa/pip#12216). normalize.ts then removes what differs between the two.
import { arch } from "node:os";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { normalizeName } from "../python-name.js";
import { debugOutput, firstErrorLine, runTool, type ToolRun } from "./run.js";
import type { PythonTarget } from "./target.js";

export type Installer = "uv" | "pip";
export const INSTALLERS: readonly Installer[] = ["uv", "pip"];
/** The uv release the tests and the orb use; an older uv may lack a --python-platform we pass. */
export const UV_VERSION = "0.13.8";

export interface InstallOptions {
  installer: Installer;
  /** the interpreter uv builds sdists with, and that runs pip */
  python: string;
  target: PythonTarget;
  requirementsFile: string;
  /** <fresh layer>/python */
  dest: string;
  /** false for plain requirements.txt, which may list only top-level packages */
  noDeps: boolean;
  /** a scratch folder for the build constraints; uv runs there, away from any project config */
  workDir: string;
  /** keep a wheel built from an sdist with native code (only when this machine is the target) */
  allowNativeSdist: boolean;
  /** the lockfile, for messages */
  shown: string;
}

/**
 * Build backends for sdists, pinned: build isolation would otherwise fetch the newest release, and
 * a new setuptools changes WHEEL (`Generator: setuptools (x.y)`) and often METADATA (its
 * Metadata-Version, License-File lines), so the same lock would give other bytes next month.
 * Pinning keeps every file as the backend writes it; a backend this list does not name is not
 * pinned (its version then follows the index). Versions: the newest releases that still install
 * on Python 3.9, the oldest interpreter a CI image may build with.
 */
export const BUILD_CONSTRAINTS = [
  "setuptools==82.0.1",
  "wheel==0.48.0",
  "hatchling==1.27.0",
  "flit-core==4.2.0",
  "poetry-core==2.2.1",
  "pdm-backend==2.5.0",
  "setuptools-scm==10.3.4",
  "hatch-vcs==0.5.0",
  "packaging==26.3",
  "pathspec==1.1.1",
  "pluggy==1.6.0",
  "trove-classifiers==2026.9.21.13",
  "editables==0.6",
];

export function uvInstallArgs(o: Omit<InstallOptions, "shown" | "installer" | "allowNativeSdist">, buildConstraints: string): string[] {
  return [
    "pip",
    "install",
    "--target",
    o.dest,
    "--python-platform",
    o.target.uvPlatform,
    "--python-version",
    o.target.pythonVersion,
    "--python",
    o.python,
    "--no-compile",
    ...(o.noDeps ? ["--no-deps"] : []),
    "--build-constraints",
    buildConstraints,
    "-r",
    o.requirementsFile,
  ];
}

export function pipInstallArgs(o: Pick<InstallOptions, "target" | "dest" | "noDeps" | "requirementsFile">): string[] {
  return [
    "-m",
    "pip",
    "install",
    "--target",
    o.dest,
    ...o.target.pipPlatforms.flatMap((p) => ["--platform", p]),
    "--implementation",
    "cp",
    "--python-version",
    o.target.pythonVersion,
    // pip cannot pin build backends for --target installs the way uv's --build-constraints does,
    // so it installs wheels only (see the README).
    "--only-binary=:all:",
    "--no-compile",
    ...(o.noDeps ? ["--no-deps"] : []),
    "--disable-pip-version-check",
    "--no-input",
    "--progress-bar",
    "off",
    "--no-warn-script-location",
    "-r",
    o.requirementsFile,
  ];
}

export async function installPackages(o: InstallOptions): Promise<void> {
  if (o.installer === "pip") {
    const run = await runTool(o.python, pipInstallArgs(o), {
      // No wheel cache for local folders: pip may key one by URL and ship a stale build.
      env: { PIP_REQUIRE_VIRTUALENV: "false", PYTHONDONTWRITEBYTECODE: "1", PIP_NO_CACHE_DIR: "1" },
      installHint: "install Python 3 with pip, or pass --python PATH",
    });
    debugOutput(run);
    if (run.code !== 0) throw pipFailure(run, o);
  } else {
    const constraints = join(o.workDir, "build-constraints.txt");
    await writeFile(constraints, `${BUILD_CONSTRAINTS.join("\n")}\n`);
    const run = await runTool("uv", uvInstallArgs(o, constraints), {
      cwd: o.workDir,
      env: { ...uvIndexFromPip(), NO_COLOR: "1", UV_NO_PROGRESS: "1", UV_PYTHON_DOWNLOADS: "never" },
      installHint: `install it with \`pip install uv==${UV_VERSION}\``,
    });
    debugOutput(run);
    if (run.code !== 0) throw uvFailure(run, o);
  }
  await checkNativeBuilds(o);
}

/** PIP_INDEX_URL / PIP_EXTRA_INDEX_URL keep working with uv when its own variables are unset. */
function uvIndexFromPip(): Record<string, string> {
  const env: Record<string, string> = {};
  const e = process.env;
  if (e.PIP_INDEX_URL && !e.UV_INDEX_URL && !e.UV_DEFAULT_INDEX) env.UV_INDEX_URL = e.PIP_INDEX_URL;
  if (e.PIP_EXTRA_INDEX_URL && !e.UV_EXTRA_INDEX_URL && !e.UV_INDEX) env.UV_EXTRA_INDEX_URL = e.PIP_EXTRA_INDEX_URL;
  return env;
}

/** `https://user:token@host/...` -> `https://***@host/...`: credentials never reach the output. */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"`]+@/gi, "$1***@");
}

function where(t: PythonTarget): string {
  return `${t.runtime} ${t.architecture} (cp${t.pythonVersion.replace(".", "")}, manylinux glibc 2.${t.wheelGlibcMinor})`;
}

/** One line for an unreachable index or git remote: which host, and that it could not be reached. */
function unreachable(text: string, shown: string): UserError | undefined {
  const git = /fatal: unable to access '([^']+)'/.exec(text);
  if (git) {
    const req = /(?:build|download|fetch) `([^`]+)`/.exec(text)?.[1];
    return new UserError(`cannot fetch ${redact(req ?? git[1]!)} (from ${shown}): git could not reach ${hostOf(git[1]!)}`);
  }
  const url = /Failed to fetch: `?(\S+?)`?\s*$/m.exec(text)?.[1] ?? /error sending request for url \((\S+)\)/.exec(text)?.[1];
  if (url && /dns error|Connect|connection refused|timed out|tcp connect/i.test(text)) {
    return new UserError(`package index ${hostOf(url)} could not be reached (from ${shown}); check the index URL and the network`);
  }
  const pip = /Max retries exceeded with url: \S+ \(Caused by \w+\([^)]*?(?:host='([^']+)'|'([^']+)')/.exec(text);
  if (pip || /Could not fetch URL (\S+?): There was a problem confirming|NewConnectionError|Name or service not known/.test(text)) {
    const host = pip?.[1] ?? /host='([^']+)'/.exec(text)?.[1] ?? /Could not fetch URL https?:\/\/([^/]+)/.exec(text)?.[1];
    if (host) return new UserError(`package index ${redact(host)} could not be reached (from ${shown}); check the index URL and the network`);
  }
  return undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return redact(url);
  }
}

function uvFailure(run: ToolRun, o: InstallOptions): UserError {
  const text = redact(`${run.stderr}\n${run.stdout}`);
  const reach = unreachable(text, o.shown);
  if (reach) return reach;
  const native = /built wheel `(([^-`]+)-([^-`]+)-[^`]*?-([a-z_0-9]+)\.whl)` is not compatible/.exec(text);
  if (native) {
    return new UserError(
      `${native[2]}==${native[3]} has no wheel for ${where(o.target)} and its sdist compiles native code, which would be for this machine (${native[1]}): pick a version with a wheel (from ${o.shown})`,
    );
  }
  const hint = /hint: The `--python-version` value .*?\(e\.g\., (\S+) only supports ([^)]+)\)/.exec(text);
  if (hint) return new UserError(`${hint[1]} needs Python ${hint[2]}, not ${o.target.pythonVersion} of ${o.target.runtime} (from ${o.shown})`);
  const noWheel = /Because (\S+) has no wheels with a matching platform tag/.exec(text) ?? /Because (\S+) has no usable wheels/.exec(text);
  if (noWheel)
    return new UserError(`no wheel of ${noWheel[1]} for ${where(o.target)}, and no sdist to build one: pick a version that ships one (from ${o.shown})`);
  const parse = /Couldn't parse requirement in `[^`]*`[^\n]*\n\s*cause: ([^\n]+)\n\s*(\S[^\n]*)/.exec(text);
  if (parse) return new UserError(`bad requirement in ${o.shown}: ${parse[2]!.trim()}: ${parse[1]!.trim()}`);
  const mismatch = /Hash mismatch for `([^`]+)`/.exec(text);
  if (mismatch) return new UserError(`a downloaded file does not match the hashes in ${o.shown} (${mismatch[1]}); re-lock or check the index`);
  const causes = [...text.matchAll(/^\s*(?:error|cause): (.+)$/gm)].map((m) => m[1]!.trim());
  const unsatisfiable = causes.find((c) => /^Because /.test(c));
  if (unsatisfiable) return new UserError(`cannot install from ${o.shown} for ${where(o.target)}: ${unsatisfiable.replace(/, we can conclude.*$/, "")}`);
  const detail = causes.length ? causes.slice(0, 2).join(": ") : firstErrorLine(run);
  return new UserError(`uv pip install for ${where(o.target)} failed (from ${o.shown}): ${redact(detail)}`);
}

/** One line for pip's usual failures, naming the package and the target. */
export function pipFailure(run: ToolRun, o: Pick<InstallOptions, "target" | "shown" | "python">): UserError {
  const text = redact(`${run.stderr}\n${run.stdout}`);
  const t = o.target;
  if (/No module named pip/.test(text)) return new UserError(`${o.python} has no pip; install pip for it or pass --python PATH`);
  const reach = unreachable(text, o.shown);
  if (reach) return reach;
  const missing = /No matching distribution found for (\S+)/.exec(text)?.[1];
  if (missing) {
    const pyReq = /require a different python version: (.+)/.exec(text)?.[1];
    const why = pyReq ? ` (versions needing another Python: ${pyReq.trim()})` : "";
    return new UserError(
      `no wheel of ${missing} for ${where(t)}${why}: --installer pip installs binary wheels only; pick a version that ships one, or use the default installer (uv), from ${o.shown}`,
    );
  }
  if (/DO NOT MATCH THE HASHES/.test(text)) {
    const pkg = /^\s+(\S+) from \S+/m.exec(text)?.[1];
    return new UserError(`a downloaded file does not match the hashes in ${o.shown}${pkg ? ` (${pkg})` : ""}; re-lock or check the index`);
  }
  if (/--require-hashes|hashes are required/i.test(text)) {
    return new UserError(`pip needs a hash for every requirement once one has a hash: ${redact(firstErrorLine(run))} (from ${o.shown})`);
  }
  return new UserError(`pip install for ${where(t)} failed (from ${o.shown}): ${redact(firstErrorLine(run))}`);
}

/**
 * A wheel tagged linux_* (not manylinux) was compiled here from an sdist: it runs only where it was
 * built. Kept only when asked for and this machine is the target (architecture and Python).
 */
async function checkNativeBuilds(o: InstallOptions): Promise<void> {
  const native: string[] = [];
  for (const name of await readdir(o.dest).catch(() => [] as string[])) {
    if (!name.endsWith(".dist-info")) continue;
    const wheel = await readFile(join(o.dest, name, "WHEEL"), "utf8").catch(() => "");
    const tag = [...wheel.matchAll(/^Tag: (\S+)$/gm)].map((m) => m[1]!).find((t) => /-linux_[a-z0-9_]+$/.test(t));
    if (tag) native.push(`${name.slice(0, -".dist-info".length).replace(/-([^-]+)$/, "==$1")} (${tag})`);
  }
  if (native.length === 0) return;
  const machine = arch() === "arm64" ? "arm64" : arch() === "x64" ? "x86_64" : arch();
  const local = await pythonVersionOf(o.python);
  const isTarget = machine === o.target.architecture && local === o.target.pythonVersion;
  if (o.allowNativeSdist && isTarget) return;
  const why = o.allowNativeSdist
    ? `--allow-native-sdist needs this machine to be the target, but it is ${machine} with Python ${local}`
    : `its binary is for this machine; pass --allow-native-sdist when building on ${o.target.architecture} with Python ${o.target.pythonVersion}`;
  throw new UserError(
    `${native.join(", ")} was built from an sdist with native code for ${o.target.runtime} ${o.target.architecture}: ${why} (from ${o.shown})`,
  );
}

/** Distributions found in the installed tree, by normalized name. */
export async function installedDistributions(dest: string): Promise<string[]> {
  const names = await readdir(dest).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith(".dist-info")).map((n) => normalizeName(n.slice(0, -".dist-info".length).replace(/-[^-]+$/, "")));
}

export function pythonVersionOf(python: string): Promise<string> {
  return runTool(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], {
    installHint: "install Python 3 or pass --python PATH",
  }).then((run) => {
    if (run.code !== 0) throw new UserError(`cannot run ${python}: ${firstErrorLine(run)}`);
    return run.stdout.trim();
  });
}
