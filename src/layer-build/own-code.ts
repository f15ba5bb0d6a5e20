// A layer folder's own code: the "shared code" layer of a SAM app (`layers/common/` holding
// requirements.txt beside `common_utils/`). `sam build` ships such a folder's files with the
// installed packages (measured with SAM CLI 1.170, /work/shared/packaging-facts.md "Measured
// 2026-11-30", and read in aws-lambda-builders): Python layers get the folder's files in python/
// (CopySourceAction with the python_pip workflow's EXCLUDED_FILES); Node.js layers get what
// `npm pack` packs, in nodejs/ beside nodejs/node_modules. sam-layer puts them in the same places,
// as --include entries (copied after the install, part of the key, never over an installed file).
// Left out besides what sam build leaves out: every dotfile and dot-folder (.env, .npmrc: often
// secrets), the manifests and lockfiles (the install's input, not code; a requirements file may hold
// an index URL with a token), README/LICENSE/CHANGELOG/*.md at the top, node_modules, and what
// the build writes (the layer folder, zip, key, the template build's output folder and copies).
// package.json of a Node.js layer ships when other own files do: its "type" decides whether
// nodejs/*.js load as CommonJS or ES modules, as it does under sam build.
import { statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { fsFailure } from "../layer/fs-error.js";
import { type Include, type LeftOut, skipped } from "./local-tree.js";
import { firstErrorLine, runTool } from "./run.js";
import type { Target } from "./target.js";
import { shownPath } from "../shown-path.js";

/** Manifests and lockfiles of every manager: inputs of the install, never shipped as code. */
const MANIFESTS = new Set([
  "requirements.txt",
  "Pipfile",
  "Pipfile.lock",
  "pyproject.toml",
  "poetry.lock",
  "uv.lock",
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
]);

/** Not shipped from the top of the folder: manifests, other requirements files, documents. */
function notCodeAtTop(name: string): boolean {
  return MANIFESTS.has(name) || /^requirements.*\.txt$|^(README|LICENSE|LICENCE|CHANGELOG)(\..*)?$|\.md$/i.test(name);
}

/**
 * aws-lambda-builders' python_pip EXCLUDED_FILES (SAM CLI 1.170), applied at any depth as its
 * shutil.ignore_patterns does; the dot-names among them are covered by "every dotfile".
 */
const SAM_PYTHON_EXCLUDED = new Set(["__pycache__", "pip-log.txt", "pip-delete-this-directory.txt", "htmlcov", "venv", "venv.bak", "env.bak", "ENV", "env"]);
const SAM_PYTHON_EXCLUDED_SUFFIX = [".pyc", ".so", ".egg-info", ".egg"];

const pythonLeftOut: LeftOut = (name) =>
  name.startsWith(".") || name === "node_modules" || SAM_PYTHON_EXCLUDED.has(name) || SAM_PYTHON_EXCLUDED_SUFFIX.some((s) => name.endsWith(s));

/** What npm pack packs is already chosen; inside a packed file there is nothing to leave out. */
const nothingLeftOut: LeftOut = () => false;

/**
 * The own code of the layer folder `appDir`, as includes into python/ or nodejs/. `skip`: absolute
 * paths (or prefixes ending in `*`) the build writes.
 */
export async function findOwnCode(appDir: string, target: Target, skip: readonly string[]): Promise<Include[]> {
  return target.language === "python" ? pythonOwnCode(appDir, skip) : nodeOwnCode(appDir, skip);
}

async function list(appDir: string): Promise<string[]> {
  try {
    return (await readdir(appDir)).sort();
  } catch (err) {
    throw fsFailure("cannot list", shownPath(appDir), err);
  }
}

async function pythonOwnCode(appDir: string, skip: readonly string[]): Promise<Include[]> {
  return (await list(appDir))
    .filter((n) => !notCodeAtTop(n) && !pythonLeftOut(n, true) && !skipped(join(appDir, n), skip))
    .map((n) => ({ src: join(appDir, n), dest: `python/${n}`, shown: shownPath(join(appDir, n)), own: true, leftOut: pythonLeftOut }));
}

/** `npm pack --dry-run` names the files sam build's npm pack would pack (package.json "files", .npmignore, .gitignore). */
async function nodeOwnCode(appDir: string, skip: readonly string[]): Promise<Include[]> {
  // A folder of manifests alone (the usual dependencies layer) needs no npm run: nothing to ship.
  if (!(await list(appDir)).some((n) => !n.startsWith(".") && n !== "node_modules" && !notCodeAtTop(n) && !skipped(join(appDir, n), skip))) return [];
  const run = await runTool("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: appDir,
    env: { NO_COLOR: "1", npm_config_update_notifier: "false", npm_config_progress: "false", npm_config_loglevel: "error" },
    installHint: "install Node.js with npm (https://nodejs.org)",
  });
  if (run.code !== 0) throw new UserError(`npm pack (the files sam build ships) failed in ${shownPath(appDir)}: ${firstErrorLine(run)}`);
  let files: string[];
  try {
    const packed = JSON.parse(run.stdout) as { files: { path: string }[] }[];
    files = packed[0]!.files.map((f) => f.path);
  } catch {
    throw new UserError(`npm pack --dry-run --json in ${shownPath(appDir)} printed no file list`);
  }
  const own = files
    .filter((p) => !p.split("/").some((part) => part.startsWith(".") || part === "node_modules"))
    .filter((p) => p.includes("/") || !notCodeAtTop(p))
    .filter((p) => !skipped(join(appDir, ...p.split("/")), skip))
    .sort();
  // package.json governs how the own .js files load; alone it is not code.
  if (own.length && files.includes("package.json")) own.unshift("package.json");
  return own.map((p) => ({
    src: join(appDir, ...p.split("/")),
    dest: `nodejs/${p}`,
    shown: shownPath(join(appDir, ...p.split("/"))),
    own: true,
    leftOut: nothingLeftOut,
  }));
}

/**
 * Which installed distribution holds `dest` (`python/six.py` -> "six 1.16.0"), from the RECORD
 * files; for Node.js, the package under node_modules. Undefined when no record names it.
 */
export async function installedOwner(layerDir: string, dest: string): Promise<string | undefined> {
  const [top, ...rest] = dest.split("/");
  if (top === "nodejs") return rest[0] === "node_modules" && rest[1] ? `npm package ${rest.slice(1, rest[1].startsWith("@") ? 3 : 2).join("/")}` : undefined;
  const inPython = rest.join("/");
  const pythonDir = join(layerDir, "python");
  const names = await readdir(pythonDir).catch(() => [] as string[]);
  for (const d of names.filter((n) => n.endsWith(".dist-info")).sort()) {
    const record = await readFile(join(pythonDir, d, "RECORD"), "utf8").catch(() => "");
    for (const line of record.split("\n")) {
      const path = line.replace(/^"/, "").split(/",|,/)[0]!;
      if (path === inPython || path.startsWith(`${inPython}/`)) return d.slice(0, -".dist-info".length).replace(/-([^-]+)$/, " $1");
    }
  }
  return undefined;
}

/** Top-level Python modules of the own code (python/NAME/ or python/NAME.py), for the import check. */
export function ownPythonModules(includes: Include[]): string[] {
  const names: string[] = [];
  for (const inc of includes) {
    const m = inc.own ? /^python\/([^/]+?)(\.py)?$/.exec(inc.dest) : null;
    if (!m || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(m[1]!)) continue;
    if (m[2] || statSync(inc.src).isDirectory()) names.push(m[1]!);
  }
  return names;
}
