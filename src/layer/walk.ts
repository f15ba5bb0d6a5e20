// Lists a layer folder the way the zip stores it: byte-ordered paths, normalized modes, default
// exclusions, and symlinks replaced by what they point to (only when that stays inside the folder).
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent, type Stats } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { UserError } from "../errors.js";
import { excludeMatcher, layerExcludes, type ExcludeTest } from "./excludes.js";
import { fsFailure } from "./fs-error.js";

export interface LayerEntry {
  /** posix, relative to the layer folder, no trailing slash */
  readonly path: string;
  readonly type: "file" | "directory";
  /** normalized: 0o644 or 0o755 for files, 0o755 for directories */
  readonly mode: number;
  /** bytes; 0 for directories */
  readonly size: number;
  /** where to read the content (for a symlinked file: the link, which the OS follows) */
  readonly absPath: string;
  /** modification time in ms, sub-ms digits included (of the link target for symlinks): only for the stat cache */
  readonly mtimeMs: number;
}

/** An entry as a Listing hands it out: made when asked for, garbage soon after. */
class ListedEntry implements LayerEntry {
  constructor(
    private readonly root: string,
    readonly path: string,
    readonly type: "file" | "directory",
    readonly mode: number,
    readonly size: number,
    readonly mtimeMs: number,
  ) {}

  get absPath(): string {
    return `${this.root}${sep}${this.path}`;
  }
}

/** A Listing's kinds: what an entry is, and so its normalized mode. */
const FILE = 0;
const EXEC_FILE = 1;
const FOLDER = 2;

/**
 * Entries in zip order, as columns (each path one flat string, the sizes, mtimes and kinds in
 * typed arrays) instead of an object per entry: ~85 bytes an entry instead of ~150 (an object is
 * 72 bytes, as Node builds V8 without pointer compression, and its mtime's number 16 more). An
 * entry object is made when one is asked for. A zip is written from a walk's segments, a Listing
 * of at most SEGMENT_ENTRIES each, so its memory does not grow with the layer (see walkSegments).
 */
export class Listing implements Iterable<LayerEntry> {
  constructor(
    private readonly root: string,
    private readonly paths: readonly string[],
    private readonly sizes: Float64Array,
    private readonly mtimes: Float64Array,
    private readonly kinds: Uint8Array,
  ) {}

  get length(): number {
    return this.paths.length;
  }

  /** The entry at `i` in zip order. */
  get(i: number): LayerEntry {
    const kind = this.kinds[i]!;
    const mode = kind === FOLDER ? DIR_MODE : kind === EXEC_FILE ? EXEC_MODE : FILE_MODE;
    return new ListedEntry(this.root, this.paths[i]!, kind === FOLDER ? "directory" : "file", mode, this.sizes[i]!, this.mtimes[i]!);
  }

  *[Symbol.iterator](): Iterator<LayerEntry> {
    for (let i = 0; i < this.paths.length; i++) yield this.get(i);
  }

  /** The files' bytes, unzipped. */
  totalSize(): number {
    let n = 0;
    for (const size of this.sizes) n += size;
    return n;
  }
}

export interface WalkOptions {
  exclude?: string[];
  includePycache?: boolean;
}

export const FILE_MODE = 0o644;
export const EXEC_MODE = 0o755;
export const DIR_MODE = 0o755;

export function normalizeMode(type: LayerEntry["type"], rawMode: number): number {
  if (type === "directory") return DIR_MODE;
  return rawMode & 0o111 ? EXEC_MODE : FILE_MODE;
}

/** The entry's name inside the zip: directories end with "/". */
export function zipName(e: Pick<LayerEntry, "path" | "type">): string {
  return e.type === "directory" ? `${e.path}/` : e.path;
}

/** Entries sorted in place by the byte order of their UTF-8 zip names (as zip readers list them). */
export function sortEntries<T extends Pick<LayerEntry, "path" | "type">>(entries: T[]): T[] {
  return sortByZipName(entries, zipName);
}

/** Compares names by the byte order of their UTF-8 (see sortByZipName). */
export function compareNames(x: string, y: string): number {
  if (HIGH.test(x) || HIGH.test(y)) return Buffer.compare(Buffer.from(x, "utf8"), Buffer.from(y, "utf8"));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Where UTF-16 code unit order and UTF-8 byte order can differ. */
const HIGH = /[\uD800-\uFFFF]/;

/**
 * Sorts in place by the byte order of the UTF-8 names `nameOf` gives. JS string order (UTF-16
 * code units) is the same order unless a name holds a surrogate pair or a character from U+E000
 * up, so only then are bytes compared. Without a key object per item: for 120,000 entries those
 * keys and their arrays outlived young collections and stayed to the end (4-7 MB of peak RSS).
 */
function sortByZipName<T>(items: T[], nameOf: (item: T) => string): T[] {
  if (items.some((x) => HIGH.test(nameOf(x)))) {
    const keyed = items.map((x) => ({ x, k: Buffer.from(nameOf(x), "utf8") }));
    keyed.sort((a, b) => Buffer.compare(a.k, b.k));
    for (let i = 0; i < keyed.length; i++) items[i] = keyed[i]!.x;
    return items;
  }
  return items.sort((a, b) => {
    const x = nameOf(a);
    const y = nameOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Entries per segment of a walk: ~1.4 MB of columns for a layer's typical paths. */
export const SEGMENT_ENTRIES = 8_192;

/**
 * Lists every file and folder under `dir` (not `dir` itself) in one Listing, sorted by the byte
 * order of their UTF-8 zip names. For a layer's totals; a zip is written from walkSegments.
 */
export async function walkLayer(dir: string, opts: WalkOptions = {}): Promise<Listing> {
  const [all] = walkSegments(dir, opts, Number.POSITIVE_INFINITY);
  return all!;
}

/**
 * The walk of `dir` in segments of at most `segmentEntries`, in zip order, each made only when the
 * one before has been taken: memory for one segment and the folders being walked, whatever the
 * size of the layer (a whole listing of 120,000 files, kept to the end of its zip, was 40 MB of
 * its peak RSS). Depth-first, each folder's children sorted by their names with a folder's
 * followed by "/", is the same order as sorting every zip name at once: two names first differ
 * inside the children of one folder, where their zip names' next bytes decide. At least one
 * segment, empty for an empty folder. The folder itself is checked now, the rest as it is walked.
 * Synchronous inside: on a warm tree, a stat loop without promise hops is what keeps the "nothing
 * to do" check close to the cost of starting Node.
 */
export function walkSegments(dir: string, opts: WalkOptions = {}, segmentEntries = SEGMENT_ENTRIES): Generator<Listing> {
  const root = resolve(dir);
  let rootReal: string;
  try {
    rootReal = realpathSync(root);
    if (!statSync(rootReal).isDirectory()) throw new UserError(`layer folder is not a folder: ${dir}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new UserError(`layer folder not found: ${dir}`);
    throw fsFailure("cannot read layer folder", dir, err);
  }
  return new Walker(root, rootReal, excludeMatcher(layerExcludes(opts)), segmentEntries).walk();
}

/** A folder's child, found and checked before the folder's children are sorted. */
interface Child {
  /** its paths are made when it is listed: a folder's children are all held while it is walked */
  name: string;
  kind: number;
  size: number;
  mtimeMs: number;
  /** a folder reached through a symlink: its real path, for the loop check */
  real?: string;
}

class Walker {
  // The segment's columns, in zip order: see Listing.
  private paths: string[] = [];
  private sizes: number[] = [];
  private mtimes: number[] = [];
  private kinds: number[] = [];

  constructor(
    private readonly root: string,
    private readonly rootReal: string,
    private readonly excluded: ExcludeTest,
    private readonly segmentEntries: number,
  ) {}

  *walk(): Generator<Listing> {
    yield* this.visitDir(this.root, "", new Set([this.rootReal]));
    yield this.segment();
  }

  /** `ancestors` holds the real paths of the folders being walked, to refuse symlink loops. */
  private *visitDir(absDir: string, relDir: string, ancestors: Set<string>): Generator<Listing> {
    // Sorted by the last part of their zip names: a folder's with its "/".
    const children = sortByZipName(this.children(absDir, relDir), (c) => (c.kind === FOLDER ? `${c.name}/` : c.name));
    for (const c of children) {
      const rel = relPath(relDir, c.name);
      this.paths.push(rel);
      this.kinds.push(c.kind);
      this.sizes.push(c.size);
      this.mtimes.push(c.mtimeMs);
      if (this.paths.length >= this.segmentEntries) yield this.segment();
      if (c.kind !== FOLDER) continue;
      if (c.real !== undefined && ancestors.has(c.real)) {
        throw new UserError(`symlink loop in layer: ${rel} -> ${relative(this.rootReal, c.real) || "."}`);
      }
      yield* this.visitDir(`${absDir}${sep}${c.name}`, rel, c.real === undefined ? ancestors : new Set(ancestors).add(c.real));
    }
  }

  /** The folder's children that are not excluded, unsorted. */
  private children(absDir: string, relDir: string): Child[] {
    let dirents: Dirent[];
    try {
      dirents = readdirSync(absDir, { withFileTypes: true });
    } catch (err) {
      throw fsFailure("cannot read folder", relDir || this.root, err);
    }
    const children: Child[] = [];
    for (const d of dirents) {
      const name = d.name;
      const rel = relPath(relDir, name);
      const abs = `${absDir}${sep}${name}`; // absDir is absolute and normalized already
      if (name.includes("\uFFFD") && this.undecodable(absDir, abs, rel, d)) continue;
      if (d.isDirectory()) {
        // Folders need no stat: their entries carry no time, size or content.
        if (!this.excluded(rel, true)) children.push(folder(name));
        continue;
      }
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch (err) {
        throw fsFailure("cannot read", rel, err);
      }
      let child: Child | undefined;
      if (st.isSymbolicLink()) {
        child = this.followLink(name, abs, rel);
      } else if (st.isDirectory()) {
        if (!this.excluded(rel, true)) child = folder(name);
      } else if (st.isFile()) {
        if (!this.excluded(rel, false)) child = file(name, st);
      } else if (!this.excluded(rel, false)) {
        throw new UserError(`cannot zip ${rel}: not a regular file, folder or symlink (${kindOf(st)})`);
      }
      if (child) children.push(child);
    }
    return children;
  }

  private followLink(name: string, abs: string, rel: string): Child | undefined {
    // An excluded link is never followed, so a dangling excluded link is no error.
    if (this.excluded(rel, false)) return undefined;
    let target: Stats;
    let real: string;
    try {
      real = realpathSync(abs);
      target = statSync(real);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") throw new UserError(`dangling symlink in layer: ${rel}`);
      if (code === "ELOOP") throw new UserError(`symlink loop in layer: ${rel}`);
      throw fsFailure("cannot follow symlink", rel, err);
    }
    if (real !== this.rootReal && !real.startsWith(this.rootReal + sep)) {
      throw new UserError(`symlink escapes the layer folder: ${rel} -> ${real}`);
    }
    if (target.isDirectory()) return this.excluded(rel, true) ? undefined : { ...folder(name), real };
    if (target.isFile()) return file(name, target);
    throw new UserError(`cannot zip ${rel}: symlink to ${kindOf(target)}`);
  }

  /**
   * readdir decodes names as UTF-8 and puts U+FFFD in place of bytes that are not, and such a name
   * opens no file (zip names are UTF-8, so there is no way to store it either). True: excluded.
   */
  private undecodable(absDir: string, abs: string, rel: string, d: Dirent): boolean {
    if (lstatSync(abs, { throwIfNoEntry: false })) return false; // a real U+FFFD in a valid name
    if (this.excluded(rel, d.isDirectory())) return true;
    const raw = readdirSync(absDir, { encoding: "buffer" }).find((b) => b.toString("utf8") === d.name);
    const shown = raw ? rel.slice(0, rel.length - d.name.length) + escapeBytes(raw) : rel;
    throw new UserError(`file name is not valid UTF-8: ${shown} (zip entry names are UTF-8; rename it)`);
  }

  /** The entries found since the last segment, which start the next one. */
  private segment(): Listing {
    const listing = new Listing(this.root, this.paths, Float64Array.from(this.sizes), Float64Array.from(this.mtimes), Uint8Array.from(this.kinds));
    this.paths = [];
    this.sizes = [];
    this.mtimes = [];
    this.kinds = [];
    return listing;
  }
}

function folder(name: string): Child {
  return { name, kind: FOLDER, size: 0, mtimeMs: 0 };
}

function file(name: string, st: Stats): Child {
  return { name, kind: normalizeMode("file", st.mode) === EXEC_MODE ? EXEC_FILE : FILE, size: st.size, mtimeMs: st.mtimeMs };
}

/**
 * Joined, not concatenated: a flat string, as a Listing keeps it (a template literal's chain of
 * V8 cons strings, flattened later by the fs calls, kept ~60 bytes more an entry).
 */
function relPath(relDir: string, name: string): string {
  return relDir ? [relDir, name].join("/") : name;
}

/** Printable ASCII as is, every other byte as \xNN: `caf\xe9.txt`. */
function escapeBytes(b: Buffer): string {
  let out = "";
  for (const c of b) out += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`;
  return out;
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return "named pipe";
  if (st.isSocket()) return "socket";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  return "special file";
}
