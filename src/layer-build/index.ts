// `sam-layer build`: lockfile -> pinned requirements for the Lambda target -> install into a fresh
// folder -> normalise -> checks on the fresh folder -> swap it in -> deterministic zip, with the
// cache key that lets a restored layer skip the install. Nothing the user has (layer folder, zip,
// <output>.key, <output>.stat.json) changes before every check has passed.
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { UserError } from "../errors.js";
import { walkLayer } from "../layer/walk.js";
import { zipLayer, type ZipResult } from "../zip/layer-zip.js";
import { checkImports, type ImportCheckResult } from "../check/imports.js";
import { formatCheck } from "../check/format.js";
import { checkBytecodePython, compileBytecode } from "./bytecode.js";
import { detectManager, type Detected, type ManagerName } from "./detect.js";
import { expandRequirementsFile, expandRequirementsText, lockedLocalPaths, render } from "./inputs.js";
import { copyTree, type Include, treeDigest } from "./local-tree.js";
import { findOwnCode, installedOwner, ownPythonModules } from "./own-code.js";
import { checkLayerDir, discardFresh, makeFresh, swapIn } from "./fresh-dir.js";
import { installedDistributions, installPackages, type Installer } from "./install.js";
import { normalizeInstalled } from "./normalize.js";
import { writeKeyFile } from "../key.js";
import { buildKey, forgetRecordedKey, readRecordedKey, recordedKeyPath } from "./key-file.js";
import { checkUnzipped, checkZipped, largestPackages, ZIPPED_LIMIT_MB, type PackageSize } from "./limits.js";
import { pythonManager } from "./managers/index.js";
import type { LockContext, PythonManager } from "./managers/manager.js";
import { npmInstall } from "./managers/npm.js";
import { neededTools } from "./needed-tools.js";
import { filterForTarget } from "./requirements.js";
import {
  DEFAULT_NODE_RUNTIME,
  DEFAULT_PYTHON_RUNTIME,
  describeTarget,
  resolveTarget,
  runtimeLanguage,
  RUNTIMES,
  type NodeTarget,
  type PythonTarget,
  type Target,
} from "./target.js";
import { shownPath } from "../shown-path.js";

export interface BuildOptions {
  appDir: string;
  pkgManager: ManagerName | "auto";
  /** these three are relative to appDir */
  lockfile?: string;
  layerDir: string;
  output: string;
  /** default: python3.12, or nodejs22.x when the detected manager is npm */
  runtime?: string;
  architecture: string;
  compileBytecode: boolean;
  /** interpreter that runs pip, the marker evaluation and compileall, and that uv builds sdists with */
  python: string;
  /** default uv; the layer's bytes are the same with either */
  installer?: Installer;
  /** keep wheels built from sdists with native code (only when this machine is the target) */
  allowNativeSdist?: boolean;
  /** `DIR[:DEST]` folders copied into python/ (or nodejs/node_modules/); part of the key */
  include?: string[];
  /** ship the app folder's own files (besides manifests) the way `sam build` does; part of the key */
  ownCode?: boolean;
  /** absolute paths the caller writes inside the app folder, never read as its content */
  leaveOut?: string[];
  /** optional-dependency groups of a poetry or uv project; part of the key */
  extras?: string[];
  /** import every top-level module of the fresh install on the runtime's interpreter (default true) */
  importCheck?: boolean;
  /** modules (packages, for Node.js) the import check leaves out */
  skipImports?: string[];
  /** only write the cache key to this file (relative to the current folder) */
  writeKey?: string;
  /** only check the lock and list the tools the build would run (none when the restored layer is reused) */
  neededTools?: boolean;
  maxUnzippedMb: number;
  /** progress lines */
  log: (line: string) => void;
}

interface Identity {
  pkgManager: ManagerName;
  lockfile: string;
  runtime: string;
  architecture: string;
  key: string;
}

export interface KeyWritten extends Identity {
  status: "key-written";
  keyFile: string;
}

export interface Built extends Identity, Omit<ZipResult, "status"> {
  status: ZipResult["status"];
  installer: Installer;
  compileBytecode: boolean;
  skippedInstall: boolean;
  /** absent when the install was skipped (a restored layer: checked when it was built) or the check was off */
  importCheck?: ImportCheckResult;
  largest: PackageSize[];
  limits: { unzippedMb: number; zippedMb: number };
  warnings: string[];
}

export interface ToolsListed extends Identity {
  status: "tools-listed";
  /** the layer folder and zip were built for this key (a CI cache restored them) */
  restored: boolean;
  tools: string[];
}

export type BuildResult = KeyWritten | ToolsListed | Built;

// Said the same whether a CI cache restored them or an earlier build on this machine left them.
export const RESTORED_MESSAGE = "layer folder and zip already built for this key; skipping install";

export async function buildLayer(o: BuildOptions): Promise<BuildResult> {
  const appDir = resolve(o.appDir);
  if (o.runtime !== undefined && runtimeLanguage(o.runtime) === undefined) {
    throw new UserError(`--runtime must be one of ${RUNTIMES.join(", ")}; got: ${o.runtime}`, 2);
  }
  if (!(o.maxUnzippedMb > 0)) throw new UserError(`--max-unzipped-mb must be a positive number, got: ${o.maxUnzippedMb}`, 2);
  const compileForNode = (runtime: string) => new UserError(`--compile-bytecode is for Python runtimes, not ${runtime}`, 2);
  if (o.compileBytecode && o.runtime !== undefined && runtimeLanguage(o.runtime) !== "python") throw compileForNode(o.runtime);
  const detected = detectManager({
    appDir: o.appDir,
    pkgManager: o.pkgManager,
    lockfile: o.lockfile,
    language: o.runtime === undefined ? undefined : runtimeLanguage(o.runtime),
  });
  const runtime = o.runtime ?? (detected.language === "python" ? DEFAULT_PYTHON_RUNTIME : DEFAULT_NODE_RUNTIME);
  const target = resolveTarget(runtime, o.architecture);
  if (o.compileBytecode && target.language !== "python") throw compileForNode(runtime);
  const layerDir = resolve(appDir, o.layerDir);
  const output = resolve(appDir, o.output);
  // What a build writes never counts as the content of a local package (`-e .` names the app folder).
  const written = [layerDir, output, `${output}.key`, `${output}.stat.json`, `${join(dirname(layerDir), `.${basename(layerDir)}.`)}*`, ...(o.leaveOut ?? [])];
  const includes = parseIncludes(o.include ?? [], appDir, target);
  if (o.ownCode) includes.push(...(await findOwnCode(appDir, target, [...written, detected.lockfile])));
  const extras = [...new Set(o.extras ?? [])].sort();
  if (extras.length && detected.manager !== "poetry" && detected.manager !== "uv") {
    throw new UserError(`--extras is for poetry.lock and uv.lock (optional dependencies); ${detected.manager} has none`, 2);
  }
  const key = await buildKey({
    lockfile: detected.lockfile,
    runtime,
    architecture: target.architecture,
    pkgManager: detected.manager,
    compileBytecode: o.compileBytecode,
    inputs: await keyInputs(detected, appDir, written, includes, extras),
  });
  const shownLock = relative(appDir, detected.lockfile) || detected.lockfile;
  const identity: Identity = { pkgManager: detected.manager, lockfile: shownLock, runtime, architecture: target.architecture, key };

  if (o.writeKey !== undefined) {
    await writeKeyFile(o.writeKey, key, "--write-key");
    return { status: "key-written", keyFile: o.writeKey, ...identity };
  }

  checkLayerDir(layerDir, o.layerDir, [
    { path: appDir, what: "app folder" },
    { path: detected.lockfile, what: "lockfile" },
    { path: output, what: "output zip" },
  ]);
  for (const name of detected.ignored) o.log(`also found ${name}; using ${shownLock} (pass --pkg-manager or --lockfile to choose)`);
  o.log(`${detected.manager}: ${shownLock} -> ${o.layerDir}/${target.layerSubdir} for ${describeTarget(target)}`);
  if (o.compileBytecode && target.language === "python") await checkBytecodePython(o.python, target);

  const warnings: string[] = [];
  const ctx: LockContext = { lockfile: detected.lockfile, projectDir: detected.projectDir, shown: shownLock, extras };
  // Checked on a cache hit too: an edited manifest must fail the same way whether or not the CI
  // cache still holds the layer. From the files alone, so a hit needs no package manager (npm ci
  // checks its lock itself, so a hit skips that check); the tool's own check where it has one
  // (uv) runs on every install and whenever the files cannot tell.
  const manager = detected.manager === "npm" ? undefined : pythonManager(detected.manager);
  const lock = manager ? await manager.lockCurrent(ctx) : "current";
  const restored = existsSync(layerDir) && existsSync(output) && (await readRecordedKey(output)) === key;
  if (o.neededTools) {
    o.log(restored ? `${RESTORED_MESSAGE.split(";")[0]}` : "no layer built for this key: the build installs");
    return { status: "tools-listed", restored, tools: neededTools(detected.manager, restored, lock, o.installer ?? "uv"), ...identity };
  }
  if (manager?.checkLockWithTool && (lock === "undecided" || !restored)) await manager.checkLockWithTool(ctx);
  let largest: PackageSize[];
  let importCheck: ImportCheckResult | undefined;
  if (restored) {
    o.log(RESTORED_MESSAGE);
    largest = await checkSize(layerDir, o, warnings);
  } else {
    const fresh = await makeFresh(layerDir);
    try {
      // 1. install (Python: then normalise) into the fresh folder
      if (target.language === "nodejs") await installNode(ctx, target, fresh);
      else if (manager) warnings.push(...(await installPython(o, manager, ctx, target, fresh, written)));
      await copyIncludes(includes, fresh, written, shownLock);
      // 2. checks on the fresh folder; any failure leaves everything as it was
      largest = await checkSize(fresh, o, warnings);
      // the layer must import on its runtime (test/check, README "Does the layer import?")
      if (o.importCheck !== false) {
        importCheck = await checkImports({
          layerDir: fresh,
          runtime,
          architecture: target.architecture,
          skip: o.skipImports ?? [],
          ownModules: { modules: ownPythonModules(includes), label: `own code (${o.appDir})` },
        });
        o.log(formatCheck(importCheck));
      }
    } catch (err) {
      await discardFresh(fresh);
      throw err;
    }
    // 3. swap it in: from here until the new zip is written, the folder matches no recorded key
    await forgetRecordedKey(output);
    await swapIn(layerDir, fresh);
  }

  // 4. zip
  const zip = await zipLayer({ dir: layerDir, output, includePycache: o.compileBytecode });
  warnings.push(...checkZipped(zip.bytes, largest).warnings);
  await writeKeyFile(recordedKeyPath(output), key);
  return {
    ...identity,
    ...zip,
    installer: o.installer ?? "uv",
    compileBytecode: o.compileBytecode,
    skippedInstall: restored,
    ...(importCheck ? { importCheck } : {}),
    largest,
    limits: { unzippedMb: o.maxUnzippedMb, zippedMb: ZIPPED_LIMIT_MB },
    warnings,
  };
}

/** Everything besides the lockfile that decides the layer, as key lines; paths relative to the app folder. */
async function keyInputs(detected: Detected, appDir: string, written: string[], includes: Include[], extras: string[]): Promise<string[]> {
  const lines: string[] = [];
  const rel = (p: string) => relative(appDir, p).split(sep).join("/") || ".";
  let locals: string[] = [];
  if (detected.manager === "pip") {
    const expanded = await expandRequirementsFile(detected.lockfile, shownPath(detected.lockfile));
    for (const file of expanded.included) lines.push(`requirements-file=${rel(file)}:${await treeDigest(file)}`);
    locals = [...new Set(expanded.locals.map((l) => l.path))].sort();
  } else if (detected.manager !== "npm") {
    locals = await lockedLocalPaths(detected.manager, detected.lockfile, detected.projectDir);
  }
  for (const path of locals) lines.push(`local-package=${rel(path)}:${await treeDigest(path, written)}`);
  for (const inc of includes) lines.push(`${inc.own ? "own" : "include"}=${inc.dest}:${await treeDigest(inc.src, written, inc.leftOut)}`);
  if (extras.length) lines.push(`extras=${extras.join(",")}`);
  return lines;
}

/** `--include DIR[:DEST]`: DIR relative to the app folder, DEST inside python/ (or nodejs/node_modules/). */
function parseIncludes(given: string[], appDir: string, target: Target): Include[] {
  const base = target.language === "python" ? "python" : "nodejs/node_modules";
  const seen = new Set<string>();
  return given.map((shown) => {
    const cut = shown.indexOf(":");
    const dir = cut < 0 ? shown : shown.slice(0, cut);
    const src = resolve(appDir, dir);
    const destIn = cut < 0 ? basename(src) : shown.slice(cut + 1);
    const parts = destIn.split("/").filter((p) => p && p !== ".");
    if (!dir || parts.length === 0 || parts.includes("..") || destIn.startsWith("/")) {
      throw new UserError(`--include ${shown}: give DIR or DIR:DEST, DEST a relative path inside ${base}/`, 2);
    }
    if (!existsSync(src) || !statSync(src).isDirectory()) throw new UserError(`--include ${shown}: not a folder: ${dir}`, 2);
    const dest = `${base}/${parts.join("/")}`;
    if (seen.has(dest)) throw new UserError(`--include ${shown}: ${dest} is named twice`, 2);
    seen.add(dest);
    return { src, dest, shown };
  });
}

/** Copies the --include folders and own code into the fresh layer; refuses to overwrite an installed package. */
async function copyIncludes(includes: Include[], fresh: string, written: string[], shownLock: string): Promise<void> {
  for (const inc of includes) {
    const to = join(fresh, ...inc.dest.split("/"));
    if (existsSync(to)) {
      if (!inc.own) throw new UserError(`--include ${inc.shown}: ${inc.dest} is already in the layer (an installed package); choose another DEST`);
      const owner = await installedOwner(fresh, inc.dest);
      throw new UserError(`${inc.shown}: ${inc.dest} is also installed by ${owner ?? "a package"} from ${shownLock}; rename one of them`);
    }
    await mkdir(dirname(to), { recursive: true });
    await copyTree(inc.src, to, written, inc.leftOut);
  }
}

/** Lambda's unzipped limit on a layer folder: throws past it, adds a warning near it. */
async function checkSize(dir: string, o: BuildOptions, warnings: string[]): Promise<PackageSize[]> {
  const entries = await walkLayer(dir, { includePycache: o.compileBytecode });
  const unzippedBytes = entries.totalSize();
  const largest = largestPackages(entries);
  const unzipped = checkUnzipped(unzippedBytes, o.maxUnzippedMb, largest);
  if (unzipped.error) throw new UserError(unzipped.error);
  warnings.push(...unzipped.warnings);
  return largest;
}

async function installNode(ctx: LockContext, target: NodeTarget, fresh: string): Promise<void> {
  const nodejsDir = join(fresh, "nodejs");
  await mkdir(nodejsDir);
  await npmInstall(ctx, target, nodejsDir);
}

async function installPython(
  o: BuildOptions,
  manager: PythonManager,
  ctx: LockContext,
  target: PythonTarget,
  fresh: string,
  written: string[],
): Promise<string[]> {
  const expanded =
    manager.name === "pip"
      ? await expandRequirementsFile(ctx.lockfile, ctx.shown)
      : await expandRequirementsText(await manager.exportRequirements(ctx), ctx.projectDir, ctx.shown);
  const work = await mkdtemp(join(tmpdir(), "sam-layer-build-"));
  try {
    // Local packages are built from clean copies: never from a stale build/ in the user's tree, and
    // each build's copy is a new path, so no installer cache can hand back an old wheel.
    const copies: string[] = [];
    for (const [i, local] of expanded.locals.entries()) {
      const copy = join(work, "local", String(i), basename(local.path));
      await copyTree(local.path, copy, written);
      copies.push(copy);
    }
    const exportedFile = join(work, "exported.txt");
    const constraintsFile = join(work, "constraints.txt");
    const requirementsFile = join(work, "requirements.txt");
    const constraints = expanded.constraints.length ? `-c ${constraintsFile}\n` : "";
    if (constraints) await writeFile(constraintsFile, render(expanded.constraints, expanded.locals, copies));
    await writeFile(exportedFile, constraints + render(expanded.lines, expanded.locals, copies));
    const reqs = await filterForTarget(o.python, exportedFile, requirementsFile, target.markerEnv, ctx.shown);
    const warnings: string[] = [];
    if (reqs.dropped.length) o.log(`skipped for ${target.runtime} ${target.architecture} by their markers: ${reqs.dropped.join(", ")}`);
    const dest = join(fresh, "python");
    await mkdir(dest);
    const installer = o.installer ?? "uv";
    if (reqs.kept.length === 0) {
      warnings.push(`${ctx.shown} locks no packages for ${target.runtime} ${target.architecture}: the layer is empty`);
    } else {
      o.log(`installing ${reqs.kept.length} package${reqs.kept.length === 1 ? "" : "s"} with ${installer}`);
      await installPackages({
        installer,
        python: o.python,
        target,
        requirementsFile,
        dest,
        noDeps: manager.name !== "pip",
        workDir: work,
        allowNativeSdist: o.allowNativeSdist ?? false,
        shown: ctx.shown,
      });
    }
    await normalizeInstalled(dest);
    if (manager.name === "pip") warnings.push(...(await unpinned(reqs.kept, dest, ctx.shown)));
    if (o.compileBytecode) {
      o.log(`compiling bytecode for ${target.runtime}`);
      warnings.push(...(await compileBytecode(o.python, dest)));
    }
    return warnings;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A requirements.txt that does not pin everything lets the layer change while the file does not. */
async function unpinned(kept: { name: string; spec: string; pinned: boolean }[], dest: string, shown: string): Promise<string[]> {
  const warnings: string[] = [];
  const loose = kept.filter((r) => !r.pinned).map((r) => r.spec);
  if (loose.length) warnings.push(`${shown} does not pin ${loose.join(", ")} to one version (==): the layer can change while the file does not`);
  const listed = new Set(kept.map((r) => r.name));
  const extra = (await installedDistributions(dest)).filter((n) => !listed.has(n));
  if (extra.length) {
    warnings.push(
      `${shown} does not list ${extra.join(", ")} (installed as dependencies, unpinned); list every package, e.g. with \`pip freeze\` or pip-compile, or use a lockfile`,
    );
  }
  return warnings;
}
