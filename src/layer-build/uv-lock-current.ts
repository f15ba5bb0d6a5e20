// uv.lock records no hash of pyproject.toml: `uv lock --check` compares the requirements it lowers
// from pyproject.toml with the root package's `[package.metadata]` in the lock. That comparison is
// reproduced here for the common shape only, and answers "current" only when everything uv would
// compare is in that shape and equal; anything else is "undecided" and `uv lock --check` decides
// (so uv is needed on a cache hit for such projects):
// - requirements with an environment marker (uv rewrites markers into a canonical form of its own,
//   e.g. `python_version < "3.11"` becomes `python_full_version < '3.11'`), direct URLs, versions
//   not in PEP 440's plain form, `{include-group = ...}`;
// - [tool.uv] settings other than dev-dependencies, package, managed, default-groups and
//   cache-keys (sources, indexes, workspaces, constraints, overrides, conflicts, environments,
//   resolution options), a uv.toml, dynamic dependencies or version, locks with [manifest] or
//   [options]. UV_* environment variables are not seen either: `uv lock --check` still runs on
//   every cache miss, where uv is installed anyway.
// What was checked against uv 0.13.8 (test/layer-build/lock-current.test.ts): names and extras are
// compared after PEP 503 normalization and as sets, specifiers as sets with versions compared
// numerically (`>=2.20` is `>=2.20.0`), duplicates count once, the root version likewise; adding
// [build-system] (or tool.uv.package) turns the root from `virtual` to `editable` and is a change.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { normalizeName } from "../python-name.js";
import { isPlainObject } from "./py-json.js";
import type { LockVerdict } from "./lock-current.js";
import { manifestOf, parseTomlFile, readText } from "./lock-current.js";
import type { LockContext } from "./managers/manager.js";

type Table = Record<string, unknown>;

class Undecided extends Error {}

function isTable(v: unknown): v is Table {
  return isPlainObject(v);
}

function table(v: unknown): Table {
  if (v === undefined) return {};
  if (!isTable(v)) throw new Undecided();
  return v;
}

function strings(v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw new Undecided();
  return v;
}

const TOOL_UV_DECIDABLE = new Set(["dev-dependencies", "package", "managed", "default-groups", "cache-keys"]);
const VERSION = /^v?(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?$/;
const SPECIFIER = /^(===|~=|==|!=|<=|>=|<|>)\s*(\S+)$/;
const REQUIREMENT = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*?)\s*$/;

/** A plain PEP 440 version, equal versions giving one string: `2.20.0` and `2.20` are `2.20`. */
function version(v: string, wildcard = false): string {
  const m = VERSION.exec(v.toLowerCase());
  if (!m) throw new Undecided();
  const release = (m[1] ?? "").split(".").map((n) => String(Number(n)));
  if (!wildcard) while (release.length > 1 && release.at(-1) === "0") release.pop();
  return `${release.join(".")}${m[2] ? `${m[2]}${Number(m[3])}` : ""}${m[4] ? `.post${Number(m[4])}` : ""}${m[5] ? `.dev${Number(m[5])}` : ""}`;
}

/** `<3 , >=2.20.0` -> the set {"<3", ">=2.20"}, as a sorted, comma-joined string. */
function specifiers(text: string): string {
  const out = new Set<string>();
  for (const part of text.split(",").map((s) => s.trim())) {
    if (!part) continue;
    const m = SPECIFIER.exec(part);
    if (!m) throw new Undecided();
    const [, op = "", v = ""] = m;
    if (op === "===") out.add(part.replace(/\s+/g, ""));
    else if ((op === "==" || op === "!=") && v.endsWith(".*")) out.add(`${op}${version(v.slice(0, -2), true)}.*`);
    else out.add(`${op}${version(v)}`);
  }
  return [...out].sort().join(",");
}

function extrasSet(list: string[]): string {
  return [...new Set(list.map((e) => normalizeName(e.trim())).filter(Boolean))].sort().join(",");
}

function key(name: string, extras: string, spec: string, marker: string): string {
  return JSON.stringify([normalizeName(name), extras, spec, marker]);
}

/** A requirement from pyproject.toml, as the lock would record it (`extra`: listed under that optional-dependencies key). */
function fromPyproject(req: string, extra?: string): string {
  const m = REQUIREMENT.exec(req);
  if (!m) throw new Undecided();
  let rest = m[3] ?? "";
  if (rest.includes(";") || rest.includes("@")) throw new Undecided();
  if (rest.startsWith("(") && rest.endsWith(")")) rest = rest.slice(1, -1);
  const marker = extra === undefined ? "" : `extra == '${normalizeName(extra)}'`;
  return key(m[1] ?? "", extrasSet(m[2] === undefined ? [] : m[2].split(",")), specifiers(rest), marker);
}

function fromLock(entry: unknown): string {
  const e = table(entry);
  if (Object.keys(e).some((k) => !["name", "extras", "specifier", "marker"].includes(k))) throw new Undecided();
  if (typeof e.name !== "string") throw new Undecided();
  const spec = e.specifier === undefined ? "" : typeof e.specifier === "string" ? specifiers(e.specifier) : undefined;
  if (spec === undefined || (e.marker !== undefined && typeof e.marker !== "string")) throw new Undecided();
  return key(e.name, extrasSet(strings(e.extras)), spec, (e.marker as string | undefined) ?? "");
}

function sameSet(a: Iterable<string>, b: Iterable<string>): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

export function uvLockMatches(pyproject: Table, lock: Table): boolean {
  if (lock.version !== 1n || lock.manifest !== undefined || lock.options !== undefined) return false;
  const project = table(pyproject.project);
  const toolUv = table(table(pyproject.tool).uv);
  if (Object.keys(toolUv).some((k) => !TOOL_UV_DECIDABLE.has(k))) return false;
  const dynamic = strings(project.dynamic);
  if (["dependencies", "optional-dependencies", "version", "requires-python"].some((d) => dynamic.includes(d))) return false;
  if (typeof project.name !== "string") return false;

  const name = normalizeName(project.name);
  const packaged = typeof toolUv.package === "boolean" ? toolUv.package : pyproject["build-system"] !== undefined;
  const packages = Array.isArray(lock.package) ? lock.package.map(table) : [];
  const root = packages.find((p) => p.name === name && table(p.source)[packaged ? "editable" : "virtual"] === ".");
  if (!root) return false;

  const projectVersion = project.version === undefined ? undefined : version(String(project.version));
  const lockVersion = root.version === undefined ? undefined : version(String(root.version));
  if (projectVersion !== lockVersion) return false;
  const requiresPython = (v: unknown) => (v === undefined ? "" : specifiers(String(v)));
  if (requiresPython(project["requires-python"]) !== requiresPython(lock["requires-python"])) return false;

  const metadata = table(root.metadata);
  const optional = table(project["optional-dependencies"]);
  const expected = strings(project.dependencies).map((r) => fromPyproject(r));
  for (const [extra, reqs] of Object.entries(optional)) expected.push(...strings(reqs).map((r) => fromPyproject(r, extra)));
  if (!sameSet(expected, (Array.isArray(metadata["requires-dist"]) ? metadata["requires-dist"] : []).map(fromLock))) return false;
  if (!sameSet(Object.keys(optional).map(normalizeName), strings(metadata["provides-extras"]).map(normalizeName))) return false;

  const groups = new Map<string, string[]>();
  const addGroup = (group: string, reqs: unknown) => {
    const list = groups.get(normalizeName(group)) ?? [];
    list.push(...strings(reqs).map((r) => fromPyproject(r)));
    groups.set(normalizeName(group), list);
  };
  for (const [group, reqs] of Object.entries(table(pyproject["dependency-groups"]))) addGroup(group, reqs);
  if (toolUv["dev-dependencies"] !== undefined) addGroup("dev", toolUv["dev-dependencies"]);
  const locked = table(metadata["requires-dev"]);
  if (!sameSet(groups.keys(), Object.keys(locked).map(normalizeName))) return false;
  for (const [group, reqs] of Object.entries(locked)) {
    const entries = Array.isArray(reqs) ? reqs.map(fromLock) : [];
    if (!sameSet(groups.get(normalizeName(group)) ?? [], entries)) return false;
  }
  return true;
}

export async function uvLockCurrent(ctx: LockContext): Promise<LockVerdict> {
  // uv.toml settings (indexes, resolution options) take part in uv's check; only uv reads them.
  if (existsSync(join(ctx.projectDir, "uv.toml"))) return "undecided";
  const manifest = manifestOf(ctx, "pyproject.toml");
  const [pyprojectText, lockText] = await Promise.all([readText(manifest.file, manifest.shown), readText(ctx.lockfile, ctx.shown)]);
  const pyproject = parseTomlFile(pyprojectText, manifest.shown);
  const lock = parseTomlFile(lockText, ctx.shown);
  try {
    return uvLockMatches(pyproject, lock) ? "current" : "undecided";
  } catch (err) {
    if (err instanceof Undecided) return "undecided";
    throw err;
  }
}
