// Everything besides the lockfile that decides a Python layer's content, found without running any
// package manager (the cache key is written before the tools are installed):
//   - requirements files: `-r`/`-c` includes, read relative to the file that names them,
//     recursively (pip reads them relative to that file too);
//   - local packages: paths in requirements (`./shared`, `-e ./shared`, `file:` URLs), uv.lock
//     `directory`/`editable`/`path` sources (path dependencies, workspace members), poetry.lock
//     `directory`/`file` sources and Pipfile.lock `path`/`file` entries.
// It also turns a requirements text into one flat file an installer can read from any folder:
// includes inlined, local paths absolute (and pointed at a clean copy), `-e` dropped (a layer holds
// regular packages), bare `git+https://...#egg=name` lines named.
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { UserError } from "../errors.js";
import { fsFailure } from "../layer/fs-error.js";
import type { ManagerName } from "./detect.js";

export interface LocalPackage {
  /** absolute path of the folder (or wheel/sdist file) */
  path: string;
  /** the requirement's name, when it says one */
  name?: string;
}

export interface ExpandedRequirements {
  /** requirement and option lines; local packages as `{{local:N}}` placeholders (see render) */
  lines: string[];
  /** constraint lines from `-c` files, flattened the same way */
  constraints: string[];
  /** every requirements file read after the first (absolute), in the order met */
  included: string[];
  locals: LocalPackage[];
}

const VCS = /^(git|hg|svn|bzr)\+/;
const OPTION_WITH_FILE = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=^-[rc]))(\S+)$/;
const EDITABLE = /^(?:-e|--editable)(?:\s*=\s*|\s+)(.+)$/;

/** Reads a requirements file (and its includes); `shown` names it in errors. */
export async function expandRequirementsFile(file: string, shown: string): Promise<ExpandedRequirements> {
  const out: ExpandedRequirements = { lines: [], constraints: [], included: [], locals: [] };
  await expandInto(out, await readText(file, shown), dirname(file), shown, "lines", [resolve(file)]);
  return out;
}

/** A requirements text (an export) whose relative paths are relative to `baseDir`. */
export async function expandRequirementsText(text: string, baseDir: string, shown: string): Promise<ExpandedRequirements> {
  const out: ExpandedRequirements = { lines: [], constraints: [], included: [], locals: [] };
  await expandInto(out, text, baseDir, shown, "lines", []);
  return out;
}

async function readText(file: string, shown: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new UserError(`requirements file not found: ${shown}`);
    throw fsFailure("cannot read", shown, err);
  }
}

function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let buf = "";
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trimEnd().endsWith("\\")) {
      buf += `${raw.trimEnd().slice(0, -1)} `;
      continue;
    }
    lines.push(buf + raw);
    buf = "";
  }
  if (buf) lines.push(buf);
  return lines.map((l) => l.replace(/(^|\s)#.*$/, "").trim()).filter(Boolean);
}

async function expandInto(
  out: ExpandedRequirements,
  text: string,
  baseDir: string,
  shown: string,
  into: "lines" | "constraints",
  chain: string[],
): Promise<void> {
  for (const line of logicalLines(text)) {
    const include = OPTION_WITH_FILE.exec(line);
    if (include) {
      const target = resolve(baseDir, include[2]!);
      const kind = include[1]!.startsWith("-c") || include[1] === "--constraint" ? "constraints" : into;
      if (chain.includes(target)) throw new UserError(`${shown}: ${include[2]} includes itself (through ${chain.map((c) => basename(c)).join(" -> ")})`);
      out.included.push(target);
      await expandInto(out, await readText(target, include[2]!), dirname(target), include[2]!, kind, [...chain, target]);
      continue;
    }
    const editable = EDITABLE.exec(line);
    const req = editable ? editable[1]!.trim() : line;
    if (!editable && req.startsWith("-")) {
      out[into].push(req); // an option (-i, --extra-index-url, -f, --only-binary...): as written
      continue;
    }
    out[into].push(requirementLine(out, req, baseDir, shown));
  }
}

/** One requirement, rewritten to stand on its own: local paths absolute, VCS named. */
function requirementLine(out: ExpandedRequirements, req: string, baseDir: string, shown: string): string {
  // trailing per-requirement options (--hash=...) stay as they are
  const opts = /\s--?[A-Za-z]/.exec(req);
  const body = opts ? req.slice(0, opts.index).trim() : req;
  const tail = opts ? ` ${req.slice(opts.index).trim()}` : "";
  const named = /^([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?)\s*@\s*(\S+)(.*)$/.exec(body);
  let url: string;
  let name: string | undefined;
  let rest = "";
  if (named) {
    [, name, url, rest] = named as unknown as [string, string, string, string];
  } else {
    // a bare path or URL; pip takes `; marker` after whitespace here
    const m = /^(\S+)(\s+;.*)?$/.exec(body);
    if (!m) return req;
    url = m[1]!;
    rest = m[2] ?? "";
  }
  if (VCS.test(url)) {
    const egg = /#egg=([A-Za-z0-9._-]+)/.exec(url)?.[1];
    const clean = url.replace(/#egg=[^&]*$/, "").replace(/[#&]egg=[^&]*/, "");
    if (!name && !egg) throw new UserError(`${shown}: ${url}: name the package, e.g. \`name @ ${url}\` (or add #egg=name)`);
    return `${name ?? egg} @ ${clean}${rest.replace(/^\s*;/, " ;")}${tail}`;
  }
  const local = localPath(url, baseDir);
  if (local === undefined) return req;
  if (!existsSync(local)) throw new UserError(`${shown}: local package not found: ${url} (${local})`);
  const index = out.locals.length;
  out.locals.push({ path: local, ...(name ? { name: name.replace(/\[.*$/, "") } : {}) });
  const extras = name ? (/\[[^\]]*\]$/.exec(name)?.[0] ?? "") : "";
  return `{{local:${index}}}${extras}${rest.replace(/^\s*;/, " ;")}${tail}`;
}

/** The absolute path a requirement names, or undefined when it is not a local path. */
function localPath(url: string, baseDir: string): string | undefined {
  if (url.startsWith("file:")) {
    // file:///abs, file:/abs, and pip's relative file:../x
    if (url.startsWith("file://")) return fileURLToPath(url);
    return resolve(baseDir, decodeURIComponent(url.slice("file:".length)));
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined; // https://... archives
  const looksLikePath = url.startsWith(".") || url.startsWith("/") || url.startsWith("~") || url.includes("/") || url.includes("\\");
  const archive = /\.(whl|tar\.gz|zip|tar\.bz2|tgz)$/.test(url);
  if (!looksLikePath && !archive) return undefined;
  const expanded = url.startsWith("~/") ? join(process.env.HOME ?? "~", url.slice(2)) : url;
  return isAbsolute(expanded) ? expanded : resolve(baseDir, expanded);
}

/** The flat requirements text, local packages pointed at `paths[i]` (their clean copies). */
export function render(lines: readonly string[], locals: readonly LocalPackage[], paths: readonly string[]): string {
  const text = lines.map((line) =>
    line.replace(/\{\{local:(\d+)\}\}/, (_, i: string) => {
      const local = locals[Number(i)]!;
      const url = pathToFileURL(paths[Number(i)]!).href;
      const name = local.name ?? packageName(local.path);
      return name ? `${name} @ ${url}` : paths[Number(i)]!;
    }),
  );
  return `${text.join("\n")}\n`;
}

/** A local package's name from pyproject.toml or setup.cfg, or a wheel/sdist file name. */
export function packageName(path: string): string | undefined {
  try {
    if (statSync(path).isFile()) return /^([A-Za-z0-9_.]+?)-\d/.exec(basename(path))?.[1];
    for (const [file, pattern] of [
      ["pyproject.toml", /^\[project\][^[]*?^name\s*=\s*["']([^"']+)["']/ms],
      ["pyproject.toml", /^\[tool\.poetry\][^[]*?^name\s*=\s*["']([^"']+)["']/ms],
      ["setup.cfg", /^\[metadata\][^[]*?^name\s*=\s*(\S+)/ms],
    ] as const) {
      const p = join(path, file);
      if (!existsSync(p)) continue;
      const m = pattern.exec(readFileSync(p, "utf8"));
      if (m) return m[1];
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * The local packages a lockfile of a real lock tool names, found by reading the lockfile itself
 * (paths are relative to the project folder). The project itself (".") is not a dependency.
 */
export async function lockedLocalPaths(manager: Exclude<ManagerName, "npm" | "pip">, lockfile: string, projectDir: string): Promise<string[]> {
  const text = await readFile(lockfile, "utf8").catch((err: unknown) => {
    throw fsFailure("cannot read", lockfile, err);
  });
  const found: string[] = [];
  if (manager === "uv") {
    for (const m of text.matchAll(/source = \{ (?:editable|directory|path) = "([^"]+)"/g)) found.push(m[1]!);
  } else if (manager === "poetry") {
    for (const m of text.matchAll(/\[package\.source\]\s*\ntype = "(?:directory|file)"\s*\nurl = "([^"]+)"/g)) found.push(m[1]!);
  } else {
    try {
      const lock = JSON.parse(text) as { default?: Record<string, { path?: string; file?: string }> };
      for (const entry of Object.values(lock.default ?? {})) {
        const p = entry.path ?? (entry.file?.startsWith("file:") || entry.file?.startsWith(".") ? entry.file : undefined);
        if (p) found.push(p);
      }
    } catch {
      return []; // pipenv itself reports a broken Pipfile.lock
    }
  }
  const paths = found.map((p) => (p.startsWith("file://") ? fileURLToPath(p) : resolve(projectDir, p))).filter((p) => p !== resolve(projectDir));
  return [...new Set(paths)].sort();
}
