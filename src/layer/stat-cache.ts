// `<output>.stat.json`: content hashes by (path, size, mtime), and the zip's own hashes by its
// stat, so a "nothing to do" run costs stat calls and reading the zip's tail, not reading files.
// Two lines: a small head (the zip's identity, and the listing and digest it was made from), then
// the per-file hashes, parsed only when the head cannot vouch for the whole folder at once.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { LayerEntry, Listing } from "./walk.js";

const VERSION = 2;
/**
 * A hash is only trusted when the file's mtime is this much older than the moment it was read:
 * a later write then always moves the mtime, even on file systems with coarse timestamps.
 */
const RACY_MARGIN_MS = 3000;

export interface ZipIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
  md5: string;
  sha256: string;
}

interface CacheHead {
  version: number;
  zip?: ZipIdentity;
  /** listingDigest() of the folder the zip was last written or checked from, all of it old enough to trust */
  listing?: string;
  /** the content digest of that folder */
  digest?: string;
}

/** mtime in ms with its sub-ms digits, as stat reports it */
type FileHashes = Record<string, [size: number, mtimeMs: number, hash: string]>;

/**
 * sha256 of what stat says about every entry (path, type, mode, size, mtime with its sub-ms
 * digits), in the given (zip) order. Equal listings, every file older than the racy margin when
 * it was hashed, mean equal content: the same promise the per-file hashes make, for the whole
 * folder in one comparison instead of a lookup per file.
 */
export function listingDigest(entries: Iterable<LayerEntry>): string {
  const h = createHash("sha256").update("sam-layer-listing/1\0");
  let batch = "";
  for (const e of entries) {
    batch += `${e.path}\0${e.type}\0${e.mode}\0${e.size}\0${e.type === "file" ? e.mtimeMs : 0}\n`;
    // Small batches, as DigestBuilder's: a long chain of cons strings outlives young collections.
    if (batch.length > 4096) {
      h.update(batch);
      batch = "";
    }
  }
  return h.update(batch).digest("hex");
}

/**
 * Characters per part of the second line as it is written (one string of all of it was 4 MB for
 * 37,000 files). Under V8's largest ordinary object (128 KiB, two bytes a character at worst): a
 * longer string goes straight to the old space and stays there until a full collection, which
 * for 120,000 files was 15 MB of parts (of 2,048 entries each) at the end of the zip, its peak.
 */
const PART_CHARS = 32 * 1024;

/**
 * A JSON object of the given members ("key":value texts), in parts of about PART_CHARS: the second
 * line as save() writes it, each part made only as it is written.
 */
function* inParts(members: Iterable<string>): Generator<string> {
  let part: string[] = [];
  let chars = 0;
  let first = true;
  for (const member of members) {
    part.push(member);
    chars += member.length + 1;
    if (chars >= PART_CHARS) {
      yield `${first ? "{" : ","}${part.join(",")}`;
      first = false;
      part = [];
      chars = 0;
    }
  }
  yield part.length === 0 && !first ? "}" : `${first ? "{" : ","}${part.join(",")}}`;
}

/** The members of JSON.stringify(files), in its order. */
function* parsedMembers(files: FileHashes): Generator<string> {
  for (const k of Object.keys(files)) yield `${JSON.stringify(k)}:${JSON.stringify(files[k])}`;
}

/** What a write just hashed: every file of the layer, with its SHA-256 at 32 x its index. */
interface Written {
  entries: Listing;
  hashes: Buffer;
  readAtMs: number;
}

/**
 * The members straight from a write's entries and hashes: the same as remember() for each file
 * would give (the files too fresh to trust left out), without building that object first. It and
 * its text were ~15 MB at the end of a 37,000-file zip, its peak RSS.
 */
function* writtenMembers({ entries, hashes, readAtMs }: Written): Generator<string> {
  for (let i = 0; i < entries.length; i++) {
    const e = entries.get(i);
    if (e.type !== "file" || !trusted(e, readAtMs)) continue;
    yield `${JSON.stringify(e.path)}:[${e.size},${e.mtimeMs},"${hashes.toString("hex", i * 32, i * 32 + 32)}"]`;
  }
}

function trusted(e: LayerEntry, readAtMs: number): boolean {
  return e.mtimeMs + RACY_MARGIN_MS < readAtMs;
}

export class StatCache {
  private dirty = false;
  private parsedFiles: FileHashes | undefined;
  /** set by replaceFiles(): the second line is written from it, and parsedFiles is not used */
  private written: Written | undefined;

  private constructor(
    readonly path: string,
    private head: CacheHead,
    /** the second line, parsed on first use */
    private filesText: string,
  ) {}

  /** A missing, unreadable or foreign cache is an empty one. */
  static load(path: string): StatCache {
    try {
      const text = readFileSync(path, "utf8");
      const nl = text.indexOf("\n");
      const head = JSON.parse(nl < 0 ? text : text.slice(0, nl)) as CacheHead;
      if (head && head.version === VERSION && nl > 0) return new StatCache(path, head, text.slice(nl + 1, text.endsWith("\n") ? -1 : undefined));
    } catch {
      // start empty
    }
    return new StatCache(path, { version: VERSION }, "{}");
  }

  private get files(): FileHashes {
    if (this.parsedFiles === undefined) {
      let files: unknown;
      try {
        files = JSON.parse(this.filesText);
      } catch {
        // a damaged second line is an empty cache
      }
      this.parsedFiles = files && typeof files === "object" ? (files as FileHashes) : {};
      this.filesText = "";
    }
    return this.parsedFiles;
  }

  /**
   * The content digest recorded with this exact listing, when there is one: the folder has not
   * changed since it was recorded (see listingDigest), so no file needs looking up or reading.
   */
  digestFor(listing: string): string | undefined {
    return this.head.listing === listing ? this.head.digest : undefined;
  }

  /**
   * Records the listing and digest of the folder just zipped or checked, but only when every file
   * in it is old enough for its hash to be trusted later; otherwise forgets any listing.
   */
  setListing(entries: Iterable<LayerEntry>, listing: string, digest: string, readAtMs: number): void {
    let allTrusted = true;
    for (const e of entries) if (e.type === "file" && !trusted(e, readAtMs)) allTrusted = false;
    const next = allTrusted ? { listing, digest } : { listing: undefined, digest: undefined };
    if (this.head.listing === next.listing && this.head.digest === next.digest) return;
    this.head = { ...this.head, ...next };
    this.dirty = true;
  }

  lookup(e: LayerEntry): string | undefined {
    const hit = this.files[e.path];
    if (hit && hit[0] === e.size && hit[1] === e.mtimeMs) return hit[2];
    return undefined;
  }

  /** Records a hash computed now, unless the file is too fresh to be trusted later. */
  remember(e: LayerEntry, hash: string, readAtMs: number): void {
    if (!trusted(e, readAtMs)) {
      if (this.files[e.path]) {
        delete this.files[e.path];
        this.dirty = true;
      }
      return;
    }
    const old = this.files[e.path];
    if (old && old[0] === e.size && old[1] === e.mtimeMs && old[2] === hash) return;
    this.files[e.path] = [e.size, e.mtimeMs, hash];
    this.dirty = true;
  }

  /** Drops paths that are no longer in the layer. */
  keepOnly(entries: Iterable<LayerEntry>): void {
    const present = new Set(Array.from(entries, (e) => e.path));
    for (const p of Object.keys(this.files)) {
      if (!present.has(p)) {
        delete this.files[p];
        this.dirty = true;
      }
    }
  }

  zip(size: number, mtimeMs: number, ino: number): ZipIdentity | undefined {
    const z = this.head.zip;
    if (z && z.size === size && z.mtimeMs === mtimeMs && z.ino === ino) return z;
    return undefined;
  }

  setZip(z: ZipIdentity): void {
    const old = this.head.zip;
    if (old && old.size === z.size && old.mtimeMs === z.mtimeMs && old.ino === z.ino && old.md5 === z.md5 && old.sha256 === z.sha256) return;
    this.head.zip = { size: z.size, mtimeMs: z.mtimeMs, ino: z.ino, md5: z.md5, sha256: z.sha256 };
    this.dirty = true;
  }

  /**
   * After a write: the per-file hashes are exactly those of the files just read (the ones too fresh
   * to trust left out), whatever the cache held before, which is therefore never parsed. For a
   * save() to follow: lookup() no longer finds anything.
   */
  replaceFiles(entries: Listing, hashes: Buffer, readAtMs: number): void {
    this.written = { entries, hashes, readAtMs };
    this.parsedFiles = undefined;
    this.filesText = "";
    this.dirty = true;
  }

  /**
   * Forgets the per-file hashes, parsed or not, before a write that will replace them
   * (replaceFiles): true when they had been parsed, and so are garbage now.
   */
  dropFiles(): boolean {
    const parsed = this.parsedFiles !== undefined;
    this.parsedFiles = undefined;
    this.filesText = "";
    return parsed;
  }

  /** The second line, in parts: as loaded when nothing looked at it. */
  private filesInParts(): Iterable<string> {
    if (this.written) return inParts(writtenMembers(this.written));
    if (this.parsedFiles) return inParts(parsedMembers(this.parsedFiles));
    return [this.filesText];
  }

  /** Written through a temp file; a cache that cannot be written only costs speed next time. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    // Loaded here: an unchanged layer never writes the cache, and fs/promises costs start-up time.
    const { open, rename, unlink } = await import("node:fs/promises");
    const temp = `${this.path}.${process.pid}.tmp`;
    try {
      const fh = await open(temp, "w", 0o644);
      try {
        // Part by part, each made as it is written: one string of the whole line, and its bytes,
        // were 2 x 4 MB at the end of a 37,000-file zip, which is when its peak RSS was reached.
        await fh.write(`${JSON.stringify(this.head)}\n`);
        for (const part of this.filesInParts()) await fh.write(part);
        await fh.write("\n");
      } finally {
        await fh.close();
      }
      await rename(temp, this.path);
      this.dirty = false;
    } catch {
      await unlink(temp).catch(() => {});
    }
  }
}
