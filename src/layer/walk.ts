// Lists a layer folder the way the zip stores it: byte-ordered paths, normalized modes, default
// exclusions, and symlinks replaced by what they point to (only when that stays inside the folder).
import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from "node:fs";
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

/**
 * A folder's children, found and checked before they are sorted, as columns like a Listing's (a
 * folder's children are all held while it is walked; their paths are made when they are listed).
 * An object each was ~130 bytes with its name, and a flat folder of 100,000 files peaked at
 * 104-106 MB on Node 24.
 */
class Children {
  readonly names: string[] = [];
  readonly kinds: Uint8Array;
  readonly sizes: Float64Array;
  readonly mtimes: Float64Array;
  /** the real paths of folders reached through a symlink, for the loop check */
  readonly reals = new Map<number, string>();

  constructor(capacity: number) {
    this.kinds = new Uint8Array(capacity);
    this.sizes = new Float64Array(capacity);
    this.mtimes = new Float64Array(capacity);
  }

  addFolder(name: string, real?: string): void {
    if (real !== undefined) this.reals.set(this.names.length, real);
    this.add(name, FOLDER, 0, 0);
  }

  addFile(name: string, st: Stats): void {
    this.add(name, normalizeMode("file", st.mode) === EXEC_MODE ? EXEC_FILE : FILE, st.size, st.mtimeMs);
  }

  private add(name: string, kind: number, size: number, mtimeMs: number): void {
    const i = this.names.length;
    this.names.push(name);
    this.kinds[i] = kind;
    this.sizes[i] = size;
    this.mtimes[i] = mtimeMs;
  }

  /** Their indices sorted by the last part of their zip names: a folder's with its "/". */
  sorted(): number[] {
    const { names, kinds } = this;
    return sortByZipName(
      Array.from(names, (_, i) => i),
      (i) => (kinds[i] === FOLDER ? `${names[i]}/` : names[i]!),
    );
  }
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
    const children = this.children(absDir, relDir);
    for (const i of children.sorted()) {
      const name = children.names[i]!;
      const kind = children.kinds[i]!;
      const rel = relPath(relDir, name);
      this.paths.push(rel);
      this.kinds.push(kind);
      this.sizes.push(children.sizes[i]!);
      this.mtimes.push(children.mtimes[i]!);
      if (this.paths.length >= this.segmentEntries) yield this.segment();
      if (kind !== FOLDER) continue;
      const real = children.reals.get(i);
      if (real !== undefined && ancestors.has(real)) {
        throw new UserError(`symlink loop in layer: ${rel} -> ${relative(this.rootReal, real) || "."}`);
      }
      yield* this.visitDir(`${absDir}${sep}${name}`, rel, real === undefined ? ancestors : new Set(ancestors).add(real));
    }
  }

  /**
   * The folder's children that are not excluded. From its names alone, each then lstat'ed (a
   * folder too, which Dirents would have spared): readdir's Dirents of a folder of 100,000 files
   * were ~8 MB beside the children made from them.
   */
  private children(absDir: string, relDir: string): Children {
    let names: string[];
    try {
      names = readdirSync(absDir);
    } catch (err) {
      throw fsFailure("cannot read folder", relDir || this.root, err);
    }
    const children = new Children(names.length);
    for (const name of names) {
      const rel = relPath(relDir, name);
      const abs = `${absDir}${sep}${name}`; // absDir is absolute and normalized already
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch (err) {
        if (name.includes("\uFFFD") && this.undecodable(absDir, rel, name)) continue;
        throw fsFailure("cannot read", rel, err);
      }
      if (st.isSymbolicLink()) {
        this.followLink(children, name, abs, rel);
      } else if (st.isDirectory()) {
        if (!this.excluded(rel, true)) children.addFolder(name);
      } else if (st.isFile()) {
        if (!this.excluded(rel, false)) children.addFile(name, st);
      } else if (!this.excluded(rel, false)) {
        throw new UserError(`cannot zip ${rel}: not a regular file, folder or symlink (${kindOf(st)})`);
      }
    }
    return children;
  }

  private followLink(children: Children, name: string, abs: string, rel: string): void {
    // An excluded link is never followed, so a dangling excluded link is no error.
    if (this.excluded(rel, false)) return;
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
    if (target.isDirectory()) {
      if (!this.excluded(rel, true)) children.addFolder(name, real);
    } else if (target.isFile()) {
      children.addFile(name, target);
    } else {
      throw new UserError(`cannot zip ${rel}: symlink to ${kindOf(target)}`);
    }
  }

  /**
   * readdir decodes names as UTF-8 and puts U+FFFD in place of bytes that are not, and such a name
   * opens no file (zip names are UTF-8, so there is no way to store it either). True: excluded.
   */
  private undecodable(absDir: string, rel: string, name: string): boolean {
    const raw = readdirSync(absDir, { encoding: "buffer", withFileTypes: true }).find((d) => d.name.toString("utf8") === name);
    if (!raw) return false; // gone meanwhile: reported as such
    if (this.excluded(rel, raw.isDirectory())) return true;
    const shown = rel.slice(0, rel.length - name.length) + escapeBytes(raw.name);
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
