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
 * The walk's entries in zip order. A layer of 120,000 files keeps all of them until its zip is
 * written, so they are kept as columns in the order the walk found them (each path one flat
 * string, the sizes, mtimes and kinds in typed arrays), with the zip order as a permutation,
 * instead of an object per entry: ~85 bytes an entry instead of ~150 (an object is 72 bytes, as
 * Node builds V8 without pointer compression, and its mtime's number 16 more). An entry object
 * is made when one is asked for.
 */
export class Listing implements Iterable<LayerEntry> {
  constructor(
    private readonly root: string,
    private readonly paths: readonly string[],
    private readonly sizes: Float64Array,
    private readonly mtimes: Float64Array,
    private readonly kinds: Uint8Array,
    /** zip order: the column index of each entry */
    private readonly order: Uint32Array,
  ) {}

  get length(): number {
    return this.order.length;
  }

  /** The entry at `i` in zip order. */
  get(i: number): LayerEntry {
    const j = this.order[i]!;
    const kind = this.kinds[j]!;
    const mode = kind === FOLDER ? DIR_MODE : kind === EXEC_FILE ? EXEC_MODE : FILE_MODE;
    return new ListedEntry(this.root, this.paths[j]!, kind === FOLDER ? "directory" : "file", mode, this.sizes[j]!, this.mtimes[j]!);
  }

  *[Symbol.iterator](): Iterator<LayerEntry> {
    for (let i = 0; i < this.order.length; i++) yield this.get(i);
  }

  /** The entries `keep` accepts, in the same order. */
  filter(keep: (e: LayerEntry) => boolean): Listing {
    const order = this.order.filter((_, i) => keep(this.get(i)));
    return new Listing(this.root, this.paths, this.sizes, this.mtimes, this.kinds, order);
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

/**
 * Sorts in place by the byte order of the UTF-8 names `nameOf` gives. JS string order (UTF-16
 * code units) is the same order unless a name holds a surrogate pair or a character from U+E000
 * up, so only then are bytes compared. Without a key object per item: for 120,000 entries those
 * keys and their arrays outlived young collections and stayed to the end (4-7 MB of peak RSS).
 */
function sortByZipName<T>(items: T[], nameOf: (item: T) => string): T[] {
  if (items.some((x) => /[\uD800-\uFFFF]/.test(nameOf(x)))) {
    const keyed = items.map((x) => ({ x, k: Buffer.from(nameOf(x), "utf8") }));
    keyed.sort((a, b) => Buffer.compare(a.k, b.k));
    for (let i = 0; i < keyed.length; i++) items[i] = keyed[i]!.x;
    return items;
  }
  // For entries, nameOf makes a string only for folders, which are few.
  return items.sort((a, b) => {
    const x = nameOf(a);
    const y = nameOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/**
 * Lists every file and folder under `dir` (not `dir` itself), sorted by the byte order of their
 * UTF-8 zip names. Synchronous inside: on a warm tree, a stat loop without promise hops is what
 * keeps the "nothing to do" check close to the cost of starting Node.
 */
export async function walkLayer(dir: string, opts: WalkOptions = {}): Promise<Listing> {
  const root = resolve(dir);
  let rootReal: string;
  try {
    rootReal = realpathSync(root);
    if (!statSync(rootReal).isDirectory()) throw new UserError(`layer folder is not a folder: ${dir}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new UserError(`layer folder not found: ${dir}`);
    throw fsFailure("cannot read layer folder", dir, err);
  }
  const walker = new Walker(root, rootReal, excludeMatcher(layerExcludes(opts)));
  walker.visitDir(root, "", new Set([rootReal]));
  return walker.listing();
}

class Walker {
  // Columns, in the order found: see Listing.
  private readonly paths: string[] = [];
  private readonly sizes: number[] = [];
  private readonly mtimes: number[] = [];
  private readonly kinds: number[] = [];

  constructor(
    private readonly root: string,
    private readonly rootReal: string,
    private readonly excluded: ExcludeTest,
  ) {}

  /** `ancestors` holds the real paths of the folders being walked, to refuse symlink loops. */
  visitDir(absDir: string, relDir: string, ancestors: Set<string>): void {
    let dirents: Dirent[];
    try {
      dirents = readdirSync(absDir, { withFileTypes: true });
    } catch (err) {
      throw fsFailure("cannot read folder", this.shown(relDir), err);
    }
    for (const d of dirents) {
      const name = d.name;
      // Joined, not concatenated: a flat string, as a Listing keeps it (a template literal's chain
      // of V8 cons strings, flattened later by the fs calls, kept ~60 bytes more an entry).
      const rel = relDir ? [relDir, name].join("/") : name;
      const abs = `${absDir}${sep}${name}`; // absDir is absolute and normalized already
      if (name.includes("\uFFFD") && this.undecodable(absDir, abs, rel, d)) continue;
      if (d.isDirectory()) {
        // Folders need no stat: their entries carry no time, size or content.
        if (this.excluded(rel, true)) continue;
        this.pushDir(rel);
        this.visitDir(abs, rel, ancestors);
        continue;
      }
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch (err) {
        throw fsFailure("cannot read", rel, err);
      }
      if (st.isSymbolicLink()) {
        this.visitLink(abs, rel, ancestors);
      } else if (st.isDirectory()) {
        if (this.excluded(rel, true)) continue;
        this.pushDir(rel);
        this.visitDir(abs, rel, ancestors);
      } else if (st.isFile()) {
        if (this.excluded(rel, false)) continue;
        this.pushFile(rel, st);
      } else {
        if (this.excluded(rel, false)) continue;
        throw new UserError(`cannot zip ${rel}: not a regular file, folder or symlink (${kindOf(st)})`);
      }
    }
  }

  private visitLink(abs: string, rel: string, ancestors: Set<string>): void {
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
      if (this.excluded(rel, true)) return;
      if (ancestors.has(real)) throw new UserError(`symlink loop in layer: ${rel} -> ${relative(this.rootReal, real) || "."}`);
      this.pushDir(rel);
      this.visitDir(abs, rel, new Set(ancestors).add(real));
    } else if (target.isFile()) {
      this.pushFile(rel, target);
    } else {
      throw new UserError(`cannot zip ${rel}: symlink to ${kindOf(target)}`);
    }
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

  private pushFile(rel: string, st: Stats): void {
    this.push(rel, normalizeMode("file", st.mode) === EXEC_MODE ? EXEC_FILE : FILE, st.size, st.mtimeMs);
  }

  private pushDir(rel: string): void {
    this.push(rel, FOLDER, 0, 0);
  }

  private push(rel: string, kind: number, size: number, mtimeMs: number): void {
    this.paths.push(rel);
    this.kinds.push(kind);
    this.sizes.push(size);
    this.mtimes.push(mtimeMs);
  }

  /** What was found, in zip order. */
  listing(): Listing {
    const { paths, kinds } = this;
    const order = sortByZipName(
      Array.from(paths, (_, j) => j),
      (j) => (kinds[j] === FOLDER ? `${paths[j]}/` : paths[j]!),
    );
    return new Listing(this.root, paths, Float64Array.from(this.sizes), Float64Array.from(this.mtimes), Uint8Array.from(kinds), Uint32Array.from(order));
  }

  private shown(rel: string): string {
    return rel || this.root;
  }
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
