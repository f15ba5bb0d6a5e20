// "Is the lockfile current with its manifest?" answered from the two files alone, the way the
// package manager itself answers it, so a build that reuses a restored layer needs neither pipenv
// nor poetry (nor uv, for the project shapes uvLockCurrent can decide).
//
// pipenv and poetry record a SHA-256 of parts of the manifest in the lock; we recompute it with
// their algorithms (read from pipenv 2026.10.3's utils/pipfile.py `calculate_hash` and
// plette's `Pipfile.get_hash`, poetry 2.5.1's packages/locker.py `_get_content_hash`/`is_fresh`).
// Both serialize the parsed TOML with Python's json.dumps (py-json.ts); the TOML is parsed by
// smol-toml with integers kept apart from floats, since json.dumps writes `3` and `3.0` differently.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parse as parseToml, type TomlTable } from "smol-toml";
import { UserError } from "../errors.js";
import { fsFailure } from "../layer/fs-error.js";
import { normalizeName } from "../python-name.js";
import type { LockContext } from "./managers/manager.js";
import { isPlainObject, PY_COMPACT_SEPARATORS, PY_DEFAULT_SEPARATORS, pyJsonDumps } from "./py-json.js";

/** "undecided": only the package manager's own check can tell (see uv-lock-current.ts). */
export type LockVerdict = "current" | "undecided";

type Table = Record<string, unknown>;

export async function readText(file: string, shown: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw fsFailure("cannot read", shown, err);
  }
}

export function parseTomlFile(text: string, shown: string): TomlTable {
  try {
    return parseToml(text, { integersAsBigInt: true });
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new UserError(`${shown} is not valid TOML: ${first}`);
  }
}

/** The manifest next to the lockfile, as the user would name it. */
export function manifestOf(ctx: LockContext, name: string): { file: string; shown: string } {
  const file = join(ctx.projectDir, name);
  return { file, shown: join(dirname(ctx.shown), name) };
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function isTable(v: unknown): v is Table {
  return isPlainObject(v);
}

// ---- pipenv: Pipfile.lock `_meta.hash.sha256` --------------------------------------------------

// plette prepends this when the Pipfile has no [[source]], as text, before parsing.
const DEFAULT_SOURCE_TOML = '[[source]]\nname = "pypi"\nurl = "https://pypi.org/simple"\nverify_ssl = true\n';
const PIPFILE_SECTIONS = new Set(["source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"]);

/** The Pipfile's hash as pipenv computes it; `canonical` false gives plette's (pipenv before package names were canonicalized in it). */
export function pipfileHash(pipfileText: string, shown: string, canonical = true): string {
  let text = pipfileText;
  const parsed = parseTomlFile(text, shown);
  if (!("source" in parsed)) {
    text = DEFAULT_SOURCE_TOML + (text.startsWith("\n") ? "" : "\n") + text;
  }
  const raw = parseTomlFile(text, shown) as Table;
  const names = (section: unknown): unknown => {
    if (!canonical) return section;
    if (!isTable(section)) throw new UserError(`${shown}: a package section is not a table`);
    const out: Table = {};
    for (const [k, v] of Object.entries(section)) out[normalizeName(k)] = v;
    return out;
  };
  const data: Table = {
    _meta: { sources: raw.source ?? {}, requires: raw.requires ?? {} },
    default: names(raw.packages ?? {}),
    develop: names(raw["dev-packages"] ?? {}),
  };
  for (const [category, values] of Object.entries(raw)) {
    if (PIPFILE_SECTIONS.has(category) || category === "default" || category === "develop") continue;
    data[category] = names(values);
  }
  return sha256Hex(pyJsonDumps(data, PY_COMPACT_SEPARATORS, shown));
}

export async function pipfileLockCurrent(ctx: LockContext): Promise<LockVerdict> {
  const pipfile = manifestOf(ctx, "Pipfile");
  const [pipfileText, lockText] = await Promise.all([readText(pipfile.file, pipfile.shown), readText(ctx.lockfile, ctx.shown)]);
  let recorded: unknown;
  try {
    recorded = (JSON.parse(lockText) as { _meta?: { hash?: { sha256?: unknown } } })?._meta?.hash?.sha256;
  } catch (err) {
    throw new UserError(`${ctx.shown} is not valid JSON (${(err as Error).message.split("\n")[0]}); run \`pipenv lock\` to remake it`);
  }
  // pipenv verify compares with the canonical-name hash only; a lock written by an older pipenv
  // holds plette's hash, which differs only when the Pipfile spells a name another way (`Flask`,
  // `my_pkg`). Either means the Pipfile is exactly what was locked, so both are accepted.
  if (recorded === pipfileHash(pipfileText, pipfile.shown) || recorded === pipfileHash(pipfileText, pipfile.shown, false)) return "current";
  throw new UserError(`${ctx.shown} is out of date with its Pipfile (_meta.hash.sha256 is not the Pipfile's hash); run \`pipenv lock\` and commit it`);
}

// ---- poetry: poetry.lock `[metadata] content-hash` ----------------------------------------------

const POETRY_LEGACY_KEYS = ["dependencies", "source", "extras", "dev-dependencies"];
const POETRY_RELEVANT_KEYS = [...POETRY_LEGACY_KEYS, "group"];
const PROJECT_RELEVANT_KEYS = ["requires-python", "dependencies", "optional-dependencies"];

/** poetry's content-hash of a parsed pyproject.toml; `withGroups` false is the hash of poetry before 2.3.0 ([dependency-groups] left out). */
export function poetryContentHash(pyproject: Table, shown: string, withGroups = true): string {
  const project = isTable(pyproject.project) ? pyproject.project : {};
  const groups = withGroups && isTable(pyproject["dependency-groups"]) ? pyproject["dependency-groups"] : {};
  const tool = isTable(pyproject.tool) ? pyproject.tool : {};
  const toolPoetry = isTable(tool.poetry) ? tool.poetry : {};
  const relevantProject: Table = {};
  for (const key of PROJECT_RELEVANT_KEYS) if (project[key] !== undefined) relevantProject[key] = project[key];
  const hasProject = Object.keys(relevantProject).length > 0;
  const hasGroups = Object.keys(groups).length > 0;
  const relevantPoetry: Table = {};
  for (const key of POETRY_RELEVANT_KEYS) {
    const data = toolPoetry[key];
    // json.dumps writes a missing legacy key as null when there is neither [project] nor groups.
    if (data === undefined && (!POETRY_LEGACY_KEYS.includes(key) || hasProject || hasGroups)) continue;
    relevantPoetry[key] = data ?? null;
  }
  let relevant: Table = {};
  if (hasProject) relevant.project = relevantProject;
  if (hasGroups) relevant["dependency-groups"] = groups;
  if (Object.keys(relevant).length) relevant.tool = { poetry: relevantPoetry };
  else relevant = relevantPoetry;
  return sha256Hex(pyJsonDumps(relevant, PY_DEFAULT_SEPARATORS, shown));
}

/** "Poetry 2.2.1" in the lock's first line, before 2.3.0 (pre-releases of 2.3.0 included). */
function lockedBeforePoetry23(firstLine: string): boolean {
  const m = /Poetry ([0-9]+(?:\.[0-9]+)*)([^ ]*)/.exec(firstLine);
  if (!m) return false;
  const [major = 0, minor = 0, patch = 0] = (m[1] ?? "").split(".").map(Number);
  const release = major * 1e6 + minor * 1e3 + patch;
  if (release !== 2003000) return release < 2003000;
  return /^[.-]?(a|b|c|rc|alpha|beta|pre|preview|dev)/i.test(m[2] ?? "");
}

export async function poetryLockCurrent(ctx: LockContext): Promise<LockVerdict> {
  const manifest = manifestOf(ctx, "pyproject.toml");
  const [pyprojectText, lockText] = await Promise.all([readText(manifest.file, manifest.shown), readText(ctx.lockfile, ctx.shown)]);
  const pyproject = parseTomlFile(pyprojectText, manifest.shown) as Table;
  const metadata = (parseTomlFile(lockText, ctx.shown) as Table).metadata;
  const recorded = isTable(metadata) ? metadata["content-hash"] : undefined;
  if (recorded !== undefined) {
    if (recorded === poetryContentHash(pyproject, manifest.shown)) return "current";
    const firstLine = lockText.split("\n", 1)[0] ?? "";
    if (lockedBeforePoetry23(firstLine) && recorded === poetryContentHash(pyproject, manifest.shown, false)) return "current";
  }
  throw new UserError(`${ctx.shown} is out of date with its pyproject.toml (content-hash is not pyproject.toml's); run \`poetry lock\` and commit it`);
}
