// `<output>.stat.json`: content hashes by (path, size, mtime), and the zip's own hashes by its
// stat, so a "nothing to do" run costs stat calls and reading the zip's tail, not reading files.
// A line per file, `[path, size, mtimeMs, sha256 hex]`, in zip order, then the head: the zip's
// identity, and the listing and digest it was made from. The head is last so that the lines can
// be written as the files are hashed, and read back as they are looked up, in the same order as
// the walk's segments: memory for a chunk of lines, whatever the size of the layer (the cache as
// one JSON object was parsed whole, ~10 MB for 40,000 files, and written from a table of every
// hash). A "nothing to do" run reads only the tail.
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { removedOnSignal, removeStaleTemps, tempPathFor } from "../zip/atomic.js";
import { compareNames, type LayerEntry } from "./walk.js";

const VERSION = 3;
/**
 * A hash is only trusted when the file's mtime is this much older than the moment it was read:
 * a later write then always moves the mtime, even on file systems with coarse timestamps.
 */
const RACY_MARGIN_MS = 3000;
/** Bytes read or written at a time; the head is read from a tail of this size. */
const CHUNK = 64 << 10;

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

/**
 * sha256 of what stat says about every entry (path, type, mode, size, mtime with its sub-ms
 * digits), in the given (zip) order, fed an entry at a time. Equal listings, every file older
 * than the racy margin when it was hashed, mean equal content: the same promise the per-file
 * hashes make, for the whole folder in one comparison instead of a lookup per file.
 */
export class ListingDigest {
  private readonly h = createHash("sha256").update("sam-layer-listing/1\0");
  private batch = "";

  add(e: LayerEntry): void {
    this.batch += `${e.path}\0${e.type}\0${e.mode}\0${e.size}\0${e.type === "file" ? e.mtimeMs : 0}\n`;
    // Small batches, as DigestBuilder's: a long chain of cons strings outlives young collections.
    if (this.batch.length > 4096) {
      this.h.update(this.batch);
      this.batch = "";
    }
  }

  digest(): string {
    return this.h.update(this.batch).digest("hex");
  }
}

function trusted(e: LayerEntry, readAtMs: number): boolean {
  return e.mtimeMs + RACY_MARGIN_MS < readAtMs;
}

export class StatCache {
  private reader?: LineReader;

  private constructor(
    readonly path: string,
    private readonly head: CacheHead,
    /** where the head line starts: the file lines end there */
    private readonly linesEnd: number,
  ) {}

  /** Reads the head only. A missing, unreadable or foreign cache is an empty one. */
  static load(path: string): StatCache {
    let fd: number | undefined;
    try {
      fd = openSync(path, "r");
      const size = fstatSync(fd).size;
      const tail = Buffer.allocUnsafe(Math.min(size, CHUNK));
      const got = readSync(fd, tail, 0, tail.length, size - tail.length);
      const text = tail.toString("utf8", 0, got);
      if (!text.endsWith("\n")) throw new Error("no head");
      const start = text.lastIndexOf("\n", text.length - 2) + 1;
      if (start === 0 && tail.length < size) throw new Error("no head");
      const head = JSON.parse(text.slice(start, -1)) as CacheHead;
      if (head && head.version === VERSION) return new StatCache(path, head, size - Buffer.byteLength(text.slice(start)));
    } catch {
      // start empty
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return new StatCache(path, { version: VERSION }, 0);
  }

  /**
   * The content digest recorded with this exact listing, when there is one: the folder has not
   * changed since it was recorded, so no file needs looking up or reading.
   */
  digestFor(listing: string): string | undefined {
    return this.head.listing === listing ? this.head.digest : undefined;
  }

  zip(size: number, mtimeMs: number, ino: number): ZipIdentity | undefined {
    const z = this.head.zip;
    if (z && z.size === size && z.mtimeMs === mtimeMs && z.ino === ino) return z;
    return undefined;
  }

  /**
   * The recorded hash of this file when its size and mtime are the recorded ones. Files must be
   * asked for in zip order: the lines are read once, front to back, beside the walk.
   */
  lookup(e: LayerEntry): string | undefined {
    this.reader ??= new LineReader(this.path, this.linesEnd);
    for (let line = this.reader.current(); line; line = this.reader.next()) {
      const order = compareNames(line[0], e.path);
      if (order > 0) return undefined;
      if (order === 0) return line[1] === e.size && line[2] === e.mtimeMs ? line[3] : undefined;
    }
    return undefined;
  }

  /** A new cache file, written line by line as files are hashed (in zip order); undefined when it cannot be made. */
  lines(readAtMs: number): CacheLines | undefined {
    return CacheLines.open(this.path, readAtMs);
  }

  /**
   * The same file lines with another zip identity (a file system whose rename changed the
   * zip's mtime or inode): copied to a new file, as the head is last. Best effort, as every save.
   */
  rewriteZip(zip: ZipIdentity): void {
    const out = this.lines(0);
    if (!out) return;
    const reader = new LineReader(this.path, this.linesEnd);
    try {
      for (let text = reader.nextText(); text !== undefined; text = reader.nextText()) out.addText(text);
    } finally {
      reader.close();
    }
    out.finish(zip, this.head.listing, this.head.digest);
  }

  close(): void {
    this.reader?.close();
    this.reader = undefined;
  }
}

type Line = [path: string, size: number, mtimeMs: number, hash: string];

/** The cache's file lines, front to back, a chunk at a time; a damaged line ends them. */
class LineReader {
  private fd = -1;
  private buffer = Buffer.allocUnsafe(CHUNK);
  /** the unread bytes in buffer: [from, to) */
  private from = 0;
  private to = 0;
  /** where in the file the next read starts */
  private at = 0;
  private line: Line | undefined;
  private started = false;

  constructor(
    path: string,
    private readonly end: number,
  ) {
    try {
      if (end > 0) this.fd = openSync(path, "r");
    } catch {
      this.fd = -1;
    }
  }

  current(): Line | undefined {
    return this.started ? this.line : this.next();
  }

  next(): Line | undefined {
    this.started = true;
    const text = this.nextText();
    try {
      const parsed: unknown = text === undefined ? undefined : JSON.parse(text);
      this.line = isLine(parsed) ? parsed : undefined;
    } catch {
      this.line = undefined;
    }
    if (!this.line) this.close();
    return this.line;
  }

  /** The next line's text, without its newline. */
  nextText(): string | undefined {
    for (;;) {
      const nl = this.buffer.indexOf(10, this.from);
      if (nl >= 0 && nl < this.to) {
        const text = this.buffer.toString("utf8", this.from, nl);
        this.from = nl + 1;
        return text;
      }
      if (!this.fill()) return undefined;
    }
  }

  /** Reads more after the unread bytes (moved to the front, the buffer doubled if they fill it). */
  private fill(): boolean {
    if (this.fd < 0 || this.at >= this.end) return false;
    const unread = this.to - this.from;
    if (unread === this.buffer.length) this.buffer = Buffer.concat([this.buffer, Buffer.allocUnsafe(this.buffer.length)]);
    this.buffer.copy(this.buffer, 0, this.from, this.to);
    this.from = 0;
    this.to = unread;
    let got = 0;
    try {
      got = readSync(this.fd, this.buffer, unread, Math.min(this.buffer.length - unread, this.end - this.at), this.at);
    } catch {
      // as the end
    }
    if (got === 0) {
      this.close();
      return false;
    }
    this.at += got;
    this.to += got;
    return true;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.from = this.to = 0;
  }
}

function isLine(x: unknown): x is Line {
  return Array.isArray(x) && x.length === 4 && typeof x[0] === "string" && typeof x[1] === "number" && typeof x[2] === "number" && typeof x[3] === "string";
}

/**
 * A cache file being written: the lines of the files just hashed (the ones too fresh to trust
 * left out), then the head. Written to a temp file beside it (named and cleaned up as the zip's:
 * removed on an interrupt, or by the next run after a SIGKILL) and renamed over the old one by
 * finish(); either finish() or abandon() must follow.
 */
export class CacheLines {
  private text = "";
  private failed = false;
  /** every file added was old enough to trust */
  private allTrusted = true;

  private constructor(
    private readonly path: string,
    private readonly temp: string,
    private fd: number,
    private readonly readAtMs: number,
    private readonly forget: () => void,
  ) {}

  static open(path: string, readAtMs: number): CacheLines | undefined {
    removeStaleTemps(path);
    const temp = tempPathFor(path);
    const forget = removedOnSignal(temp);
    try {
      return new CacheLines(path, temp, openSync(temp, "wx", 0o644), readAtMs, forget);
    } catch {
      forget();
      return undefined;
    }
  }

  /** A file and the hex SHA-256 of its content, in zip order. */
  add(e: LayerEntry, hash: string): void {
    if (!trusted(e, this.readAtMs)) {
      this.allTrusted = false;
      return;
    }
    this.addText(`[${JSON.stringify(e.path)},${e.size},${e.mtimeMs},"${hash}"]`);
  }

  /** A line as it is (without its newline). */
  addText(line: string): void {
    this.text += `${line}\n`;
    if (this.text.length >= CHUNK / 2) this.flush();
  }

  /**
   * Writes the head and puts the file in place; a cache that cannot be written only costs speed
   * next time. The listing and its digest are recorded only when every file added was old enough
   * to trust (see digestFor).
   */
  finish(zip: ZipIdentity, listing?: string, digest?: string): void {
    const head: CacheHead = this.allTrusted ? { version: VERSION, zip, listing, digest } : { version: VERSION, zip };
    this.text += `${JSON.stringify(head)}\n`;
    this.flush();
    this.closeFd();
    if (this.failed) {
      this.abandon();
      return;
    }
    try {
      renameSync(this.temp, this.path);
      this.forget();
    } catch {
      this.abandon();
    }
  }

  abandon(): void {
    this.closeFd();
    rmSync(this.temp, { force: true });
    this.forget();
  }

  private flush(): void {
    if (!this.failed && this.fd >= 0) {
      try {
        const b = Buffer.from(this.text, "utf8");
        for (let at = 0; at < b.length; ) at += writeSync(this.fd, b, at);
      } catch {
        this.failed = true;
      }
    }
    this.text = "";
  }

  private closeFd(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
