// `sam-layer diff`: what changed between two layers (zips or folders), file by file and summarised
// per installed package, e.g. `requests 2.20.0 -> 2.21.0`.
import { resolve } from "node:path";
import { contentDigest, type DigestEntry } from "../layer/digest.js";
import { readContents } from "../layer/contents.js";
import { indexPackages, isPackageMetadata, type PackageIndex } from "./packages.js";

export interface PackageChange {
  ecosystem: "python" | "node";
  name: string;
  location: string;
  /** null: not installed on that side */
  oldVersion: string | null;
  newVersion: string | null;
  added: number;
  removed: number;
  changed: number;
}

export interface LayerDiff {
  equal: boolean;
  old: { path: string; kind: "zip" | "folder"; digest: string; entries: number };
  new: { path: string; kind: "zip" | "folder"; digest: string; entries: number };
  /** paths (folders without trailing slash) */
  added: string[];
  removed: string[];
  /** content, mode or type differs */
  changed: string[];
  packages: PackageChange[];
  /** changed paths that belong to no package */
  other: { added: string[]; removed: string[]; changed: string[] };
}

export async function diffLayers(oldPath: string, newPath: string): Promise<LayerDiff> {
  const [a, b] = await Promise.all([readContents(oldPath, { keepText: isPackageMetadata }), readContents(newPath, { keepText: isPackageMetadata })]);
  const oldBy = new Map(a.entries.map((e) => [e.path, e]));
  const newBy = new Map(b.entries.map((e) => [e.path, e]));
  const added = b.entries.filter((e) => !oldBy.has(e.path)).map((e) => e.path);
  const removed = a.entries.filter((e) => !newBy.has(e.path)).map((e) => e.path);
  const changed = b.entries.filter((e) => oldBy.has(e.path) && differs(oldBy.get(e.path)!, e)).map((e) => e.path);

  const oldIdx = indexPackages([...oldBy.keys()], a.texts);
  const newIdx = indexPackages([...newBy.keys()], b.texts);
  const { packages, other } = summarise(oldIdx, newIdx, added, removed, changed);
  const oldDigest = contentDigest(a.entries);
  const newDigest = contentDigest(b.entries);
  return {
    equal: oldDigest === newDigest,
    old: { path: resolve(oldPath), kind: a.kind, digest: oldDigest, entries: a.entries.length },
    new: { path: resolve(newPath), kind: b.kind, digest: newDigest, entries: b.entries.length },
    added,
    removed,
    changed,
    packages,
    other,
  };
}

function differs(x: DigestEntry, y: DigestEntry): boolean {
  return x.type !== y.type || x.mode !== y.mode || x.size !== y.size || x.hash !== y.hash;
}

function summarise(
  oldIdx: PackageIndex,
  newIdx: PackageIndex,
  added: string[],
  removed: string[],
  changed: string[],
): { packages: PackageChange[]; other: LayerDiff["other"] } {
  const byKey = new Map<string, PackageChange>();
  const other: LayerDiff["other"] = { added: [], removed: [], changed: [] };
  const bucket = (key: string): PackageChange => {
    let c = byKey.get(key);
    if (!c) {
      const o = oldIdx.packages.get(key);
      const n = newIdx.packages.get(key);
      const p = (n ?? o)!;
      c = {
        ecosystem: p.ecosystem,
        name: p.name,
        location: p.location,
        oldVersion: o?.version ?? null,
        newVersion: n?.version ?? null,
        added: 0,
        removed: 0,
        changed: 0,
      };
      byKey.set(key, c);
    }
    return c;
  };
  for (const p of added) {
    const key = newIdx.owner.get(p);
    if (key) bucket(key).added++;
    else other.added.push(p);
  }
  for (const p of removed) {
    const key = oldIdx.owner.get(p);
    if (key) bucket(key).removed++;
    else other.removed.push(p);
  }
  for (const p of changed) {
    const key = newIdx.owner.get(p) ?? oldIdx.owner.get(p);
    if (key) bucket(key).changed++;
    else other.changed.push(p);
  }
  // A version bump can leave every file list equal (only METADATA differs): still report it.
  for (const key of new Set([...oldIdx.packages.keys(), ...newIdx.packages.keys()])) {
    if (oldIdx.packages.get(key)?.version !== newIdx.packages.get(key)?.version) bucket(key);
  }
  const packages = [...byKey.values()].sort((x, y) => x.name.localeCompare(y.name) || x.location.localeCompare(y.location));
  return { packages, other };
}

const LIST_LIMIT = 20;

export function packageLine(c: PackageChange): string {
  const where = c.location ? ` in ${c.location}` : "";
  const files = [c.added && `${c.added} added`, c.removed && `${c.removed} removed`, c.changed && `${c.changed} changed`].filter(Boolean).join(", ");
  const detail = files ? ` (${files})` : "";
  if (c.oldVersion === null) return `+ ${c.name} ${c.newVersion}${where}${detail}`;
  if (c.newVersion === null) return `- ${c.name} ${c.oldVersion}${where}${detail}`;
  if (c.oldVersion !== c.newVersion) return `~ ${c.name} ${c.oldVersion} -> ${c.newVersion}${where}${detail}`;
  return `~ ${c.name} ${c.newVersion}${where}: files differ${detail}`;
}

/** The human report: one summary line, one line per package, then files outside packages. */
export function diffReport(d: LayerDiff): string {
  if (d.equal) return `same content: ${d.new.entries} entries, digest ${d.new.digest}`;
  const lines = [`layers differ: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed`];
  for (const c of d.packages) lines.push(`  ${packageLine(c)}`);
  const others: [string, string[]][] = [
    ["A", d.other.added],
    ["D", d.other.removed],
    ["M", d.other.changed],
  ];
  const total = others.reduce((n, [, l]) => n + l.length, 0);
  if (total) {
    lines.push(d.packages.length ? "  other files:" : "  files:");
    let shown = 0;
    for (const [mark, list] of others) {
      for (const p of list) {
        if (shown++ < LIST_LIMIT) lines.push(`    ${mark} ${p}`);
      }
    }
    if (total > LIST_LIMIT) lines.push(`    ... and ${total - LIST_LIMIT} more (--json lists all)`);
  }
  return lines.join("\n");
}
