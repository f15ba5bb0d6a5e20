// Which installed package each layer file belongs to: Python distributions (`*.dist-info`, files
// from RECORD) and Node packages (`node_modules/[@scope/]name/package.json`, files below it).
import { posix } from "node:path";
import { normalizeName } from "../python-name.js";

export interface InstalledPackage {
  /** stable across versions: ecosystem, folder it is installed in, normalized name */
  key: string;
  ecosystem: "python" | "node";
  name: string;
  version: string;
  /** the folder it is installed in (site-packages dir, or the package's own dir for Node) */
  location: string;
}

export interface PackageIndex {
  packages: Map<string, InstalledPackage>;
  /** file path -> package key */
  owner: Map<string, string>;
}

const DIST_INFO_METADATA = /(^|\/)[^/]+\.dist-info\/METADATA$/;
const DIST_INFO_RECORD = /(^|\/)[^/]+\.dist-info\/RECORD$/;
const NODE_PACKAGE_JSON = /(^|\/)node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/;

/** The files whose text the index needs. */
export function isPackageMetadata(path: string): boolean {
  return DIST_INFO_METADATA.test(path) || DIST_INFO_RECORD.test(path) || NODE_PACKAGE_JSON.test(path);
}

function metadataField(text: string, field: string): string | undefined {
  // Headers end at the first blank line; the long description follows.
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? "";
  const m = new RegExp(`^${field}:[ \\t]*(.*)$`, "mi").exec(head);
  return m?.[1]?.trim() || undefined;
}

/** First CSV field of each RECORD line (paths may be quoted when they hold commas or quotes). */
function recordPaths(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    if (line.startsWith('"')) {
      let i = 1;
      let field = "";
      while (i < line.length) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          break;
        }
        field += line[i++];
      }
      out.push(field);
    } else {
      out.push(line.split(",", 1)[0]!);
    }
  }
  return out;
}

export function indexPackages(paths: readonly string[], texts: ReadonlyMap<string, string>): PackageIndex {
  const packages = new Map<string, InstalledPackage>();
  const owner = new Map<string, string>();
  const nodeDirs: { dir: string; key: string }[] = [];
  const present = new Set(paths);

  for (const [path, text] of texts) {
    if (DIST_INFO_METADATA.test(path)) {
      const distInfo = posix.dirname(path);
      const location = posix.dirname(distInfo);
      const name = metadataField(text, "Name") ?? posix.basename(distInfo).replace(/-[^-]*\.dist-info$/, "");
      const version = metadataField(text, "Version") ?? "?";
      const key = `python:${location}:${normalizeName(name)}`;
      packages.set(key, { key, ecosystem: "python", name, version, location: location === "." ? "" : location });
      const record = texts.get(`${distInfo}/RECORD`);
      if (record) {
        for (const p of recordPaths(record)) owner.set(recordTarget(location, p, present), key);
      }
      // The dist-info folder is the package's even when RECORD is missing.
      for (const p of paths) if (p === distInfo || p.startsWith(`${distInfo}/`)) owner.set(p, key);
    } else if (NODE_PACKAGE_JSON.test(path)) {
      let meta: { name?: unknown; version?: unknown } = {};
      try {
        meta = JSON.parse(text) as typeof meta;
      } catch {
        // a broken package.json still marks a package folder
      }
      const dir = posix.dirname(path);
      const name = typeof meta.name === "string" ? meta.name : dir.slice(dir.lastIndexOf("node_modules/") + "node_modules/".length);
      const version = typeof meta.version === "string" ? meta.version : "?";
      const key = `node:${dir}`;
      packages.set(key, { key, ecosystem: "node", name, version, location: dir });
      nodeDirs.push({ dir, key });
    }
  }

  // A Node file belongs to the deepest package folder above it (nested node_modules win).
  nodeDirs.sort((a, b) => b.dir.length - a.dir.length);
  for (const p of paths) {
    if (owner.has(p)) continue;
    const hit = nodeDirs.find((d) => p === d.dir || p.startsWith(`${d.dir}/`));
    if (hit) owner.set(p, hit.key);
  }
  // A folder whose owned files all belong to one package is that package's (RECORD lists no folders).
  const dirOwners = new Map<string, Set<string>>();
  for (const [p, key] of owner) {
    if (!present.has(p)) continue;
    for (let dir = posix.dirname(p); dir !== "." && dir !== "/"; dir = posix.dirname(dir)) {
      const set = dirOwners.get(dir) ?? new Set();
      dirOwners.set(dir, set);
      set.add(key);
    }
  }
  for (const [dir, keys] of dirOwners) {
    if (keys.size === 1 && !owner.has(dir)) owner.set(dir, [...keys][0]!);
  }
  return { packages, owner };
}

/**
 * Where a RECORD path lands in the layer. Paths are relative to the folder holding the dist-info;
 * scripts appear as `../../bin/x`, relative to the temporary prefix pip used, so when that does not
 * exist, the `../` steps are dropped and the path is tried from the same folder.
 */
function recordTarget(location: string, p: string, present: ReadonlySet<string>): string {
  const direct = posix.normalize(location === "." ? p : `${location}/${p}`);
  if (present.has(direct) || !p.startsWith("../")) return direct;
  const rest = p.replace(/^(\.\.\/)+/, "");
  const near = location === "." ? rest : `${location}/${rest}`;
  return present.has(near) ? near : direct;
}
