// Writes a layer's entries as a deterministic zip. Files are read, hashed and deflated ahead of the
// writer in parallel (zlib's async calls run on the libuv thread pool, so both cores work) within a
// fixed memory budget, then written strictly in entry order; big files are streamed in chunks.
// The bytes depend only on the entries' names, modes and contents, the level and the timestamp:
// never on timing, since the order is fixed and each file's deflate stream is independent.
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import zlib from "node:zlib";
import type { FileHandle } from "node:fs/promises";
import { UserError } from "../errors.js";
import { DigestBuilder } from "../layer/digest.js";
import { fsFailure } from "../layer/fs-error.js";
import { zipName, type LayerEntry } from "../layer/walk.js";
import { centralHeader, endRecords, localHeader, METHOD_DEFLATE, METHOD_STORE, type DosDateTime, type EntryRecord } from "./format.js";
import { Output } from "./output.js";

export interface ZipWriteParams {
  level: number;
  dos: DosDateTime;
  /** the archive comment, given the content digest (known only once every file was read) */
  comment: (digest: string) => string;
}

export interface ZipWriteResult {
  digest: string;
  /** sha256 hex per entry, in entry order; "" for directories */
  hashes: string[];
  bytes: number;
  /** of the zip file: MD5 hex and base64 SHA-256 */
  md5: string;
  sha256: string;
}

/**
 * Up to this size a file is deflated right on the main thread when the writer reaches it: an async
 * zlib call costs ~0.1 ms of hand-over, more than deflating a small module.
 */
const INLINE_MAX = 16 << 10;
/** Up to this size a file is read whole and deflated by one async call; bigger ones are streamed. */
const WHOLE_FILE_MAX = 4 << 20;
/** Raw bytes held by files read ahead of the writer: the memory bound, whatever the layer size. */
const READ_AHEAD_BYTES = 24 << 20;
/** Async deflates queued at once: enough to keep the thread pool busy, each holds a zlib state. */
const READ_AHEAD_FILES = 8;
/** Inline files written between two looks at finished async work. */
const YIELD_EVERY = 64;
const STREAM_CHUNK = 1 << 20;

interface Prepared {
  method: number;
  crc: number;
  hash: string;
  data: Buffer;
}

export async function writeZip(fh: FileHandle, entries: readonly LayerEntry[], params: ZipWriteParams): Promise<ZipWriteResult> {
  const out = new Output(fh);
  const table = new EntryTable(entries.length);
  const hashes: string[] = [];
  const digest = new DigestBuilder();
  const ahead = new ReadAhead(entries, params.level);
  try {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const name = Buffer.from(zipName(e), "utf8");
      const offset = out.position;
      let rec: EntryRecord;
      let hash = "";
      if (e.type === "directory") {
        rec = { name, directory: true, mode: e.mode, method: METHOD_STORE, crc: 0, compressedSize: 0, size: 0, offset };
        await out.append(localHeader(rec, params.dos));
        ahead.pump(i + 1);
      } else if (e.size > WHOLE_FILE_MAX) {
        ahead.pump(i + 1);
        ({ record: rec, hash } = await streamFile(out, e, name, offset, params));
      } else {
        const inline = e.size <= INLINE_MAX;
        const p = inline ? prepareInline(e, params.level) : await ahead.take(i);
        rec = { name, directory: false, mode: e.mode, method: p.method, crc: p.crc, compressedSize: p.data.length, size: e.size, offset };
        hash = p.hash;
        await out.append(localHeader(rec, params.dos));
        await out.append(p.data);
        if (inline && i % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      table.set(i, rec);
      hashes.push(hash);
      digest.add({ path: e.path, type: e.type, mode: e.mode, size: e.size, hash });
    }
  } finally {
    await ahead.drain();
  }

  const cdOffset = out.position;
  for (let i = 0; i < entries.length; i++) await out.append(centralHeader(table.get(i, entries[i]!), params.dos));
  const cdSize = out.position - cdOffset;
  const contentDigest = digest.digest();
  await out.append(endRecords(entries.length, cdOffset, cdSize, Buffer.from(params.comment(contentDigest), "utf8")));
  const sums = await out.finish();
  return { digest: contentDigest, hashes, ...sums };
}

/**
 * What the central directory needs of each entry, kept in typed arrays (~25 bytes an entry, the
 * name is rebuilt from the entry): memory stays flat for layers of many thousand files.
 */
class EntryTable {
  private readonly offset: Float64Array;
  private readonly compressedSize: Float64Array;
  private readonly crc: Uint32Array;
  private readonly method: Uint8Array;

  constructor(n: number) {
    this.offset = new Float64Array(n);
    this.compressedSize = new Float64Array(n);
    this.crc = new Uint32Array(n);
    this.method = new Uint8Array(n);
  }

  set(i: number, r: EntryRecord): void {
    this.offset[i] = r.offset;
    this.compressedSize[i] = r.compressedSize;
    this.crc[i] = r.crc;
    this.method[i] = r.method;
  }

  get(i: number, e: LayerEntry): EntryRecord {
    return {
      name: Buffer.from(zipName(e), "utf8"),
      directory: e.type === "directory",
      mode: e.mode,
      method: this.method[i]!,
      crc: this.crc[i]!,
      compressedSize: this.compressedSize[i]!,
      size: e.type === "directory" ? 0 : e.size,
      offset: this.offset[i]!,
    };
  }
}

/**
 * Keeps up to READ_AHEAD_BYTES of small files read, hashed and (asynchronously) deflated ahead of
 * the entry being written. Reads are synchronous: from the page cache they cost less than the
 * promise hops of async reads, and the deflates they feed run on other threads meanwhile.
 */
class ReadAhead {
  private readonly jobs = new Map<number, Promise<Prepared>>();
  private readonly costs = new Map<number, number>();
  private next = 0;
  private inFlight = 0;

  constructor(
    private readonly entries: readonly LayerEntry[],
    private readonly level: number,
  ) {}

  /** Starts work on files from `from` on, as far as the budget allows. */
  pump(from: number): void {
    if (this.next < from) this.next = from;
    while (this.next < this.entries.length && this.jobs.size < READ_AHEAD_FILES) {
      const i = this.next;
      const e = this.entries[i]!;
      if (e.type === "directory" || e.size <= INLINE_MAX || e.size > WHOLE_FILE_MAX) {
        this.next++;
        continue;
      }
      if (this.inFlight + e.size > READ_AHEAD_BYTES && this.jobs.size > 0) return;
      this.next++;
      this.inFlight += e.size;
      this.costs.set(i, e.size);
      const job = prepare(e, this.level);
      job.catch(() => {}); // surfaced by take(); never an unhandled rejection meanwhile
      this.jobs.set(i, job);
    }
  }

  async take(i: number): Promise<Prepared> {
    if (!this.jobs.has(i)) this.pump(i);
    const job = this.jobs.get(i);
    if (!job) throw new Error(`internal: entry ${i} was not scheduled`);
    try {
      return await job;
    } finally {
      this.jobs.delete(i);
      this.inFlight -= this.costs.get(i) ?? 0;
      this.costs.delete(i);
      this.pump(i + 1);
    }
  }

  /** Waits for started work, so no read or deflate outlives the writer's file. */
  async drain(): Promise<void> {
    this.next = this.entries.length;
    await Promise.allSettled(this.jobs.values());
  }
}

/** Stored when deflate does not shrink it: already-compressed files, tiny files, empty files. */
function smaller(raw: Buffer, deflated: Buffer, crc: number, hash: string): Prepared {
  if (deflated.length >= raw.length) return { method: METHOD_STORE, crc, hash, data: raw };
  return { method: METHOD_DEFLATE, crc, hash, data: deflated };
}

/** Inline files are read into one reused buffer; the writer copies the bytes out before the next. */
const inlineScratch = Buffer.allocUnsafe(INLINE_MAX + 1);

function prepareInline(e: LayerEntry, level: number): Prepared {
  const raw = readWhole(e, inlineScratch);
  const crc = zlib.crc32(raw);
  const hash = createHash("sha256").update(raw).digest("hex");
  if (level === 0 || raw.length === 0) return { method: METHOD_STORE, crc, hash, data: raw };
  return smaller(raw, zlib.deflateRawSync(raw, { level }), crc, hash);
}

function prepare(e: LayerEntry, level: number): Promise<Prepared> {
  let raw: Buffer;
  try {
    raw = readWhole(e);
  } catch (err) {
    return Promise.reject(err);
  }
  const crc = zlib.crc32(raw);
  const hash = createHash("sha256").update(raw).digest("hex");
  if (level === 0 || raw.length === 0) return Promise.resolve({ method: METHOD_STORE, crc, hash, data: raw });
  return new Promise((resolve, reject) => {
    zlib.deflateRaw(raw, { level }, (err, deflated) => (err ? reject(err) : resolve(smaller(raw, deflated, crc, hash))));
  });
}

function readWhole(e: LayerEntry, into?: Buffer): Buffer {
  let fd: number;
  try {
    fd = openSync(e.absPath, "r");
  } catch (err) {
    throw fsFailure("cannot read", e.path, err);
  }
  try {
    // One byte more than expected, to notice a file that grew since the walk.
    const buf = into ? into.subarray(0, e.size + 1) : Buffer.allocUnsafe(e.size + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) break;
    }
    if (n !== e.size) throw new UserError(`file changed while zipping: ${e.path}`);
    return buf.subarray(0, n);
  } catch (err) {
    throw fsFailure("cannot read", e.path, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * A big file goes through a deflate stream straight into the output; when the result is not
 * smaller, the writer rewinds and stores the file instead. The local header is patched at the end
 * with the CRC and sizes, so there is no data descriptor.
 */
async function streamFile(out: Output, e: LayerEntry, name: Buffer, offset: number, params: ZipWriteParams): Promise<{ record: EntryRecord; hash: string }> {
  const rec: EntryRecord = { name, directory: false, mode: e.mode, method: METHOD_DEFLATE, crc: 0, compressedSize: 0, size: e.size, offset };
  out.hold();
  await out.append(localHeader(rec, params.dos));
  const dataStart = out.position;
  const first = params.level > 0 ? await deflateFileInto(out, e, params.level) : undefined;
  if (first && out.position - dataStart < e.size) {
    rec.crc = first.crc;
    rec.compressedSize = out.position - dataStart;
    await out.patch(offset, localHeader(rec, params.dos));
    await out.release();
    return { record: rec, hash: first.hash };
  }
  out.rewind(dataStart);
  const stored = await copyFileInto(out, e);
  if (first && (stored.crc !== first.crc || stored.hash !== first.hash)) {
    throw new UserError(`file changed while zipping: ${e.path}`);
  }
  rec.method = METHOD_STORE;
  rec.crc = stored.crc;
  rec.compressedSize = e.size;
  await out.patch(offset, localHeader(rec, params.dos));
  await out.release();
  return { record: rec, hash: stored.hash };
}

async function forEachChunk(e: LayerEntry, fn: (chunk: Buffer) => Promise<void>): Promise<{ crc: number; hash: string }> {
  let fd: number;
  try {
    fd = openSync(e.absPath, "r");
  } catch (err) {
    throw fsFailure("cannot read", e.path, err);
  }
  const h = createHash("sha256");
  let crc = 0;
  let total = 0;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(STREAM_CHUNK);
      let n: number;
      try {
        n = readSync(fd, buf, 0, STREAM_CHUNK, null);
      } catch (err) {
        throw fsFailure("cannot read", e.path, err);
      }
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      total += n;
      if (total > e.size) break;
      h.update(chunk);
      crc = zlib.crc32(chunk, crc);
      await fn(chunk);
    }
  } finally {
    closeSync(fd);
  }
  if (total !== e.size) throw new UserError(`file changed while zipping: ${e.path}`);
  return { crc, hash: h.digest("hex") };
}

async function deflateFileInto(out: Output, e: LayerEntry, level: number): Promise<{ crc: number; hash: string }> {
  const deflate = zlib.createDeflateRaw({ level, chunkSize: 256 << 10 });
  const pending: Buffer[] = [];
  deflate.on("data", (d: Buffer) => pending.push(d));
  const failed = new Promise<never>((_, reject) => deflate.once("error", reject));
  failed.catch(() => {});
  const ended = new Promise<void>((resolve) => deflate.once("end", resolve));
  const writePending = async () => {
    while (pending.length) await out.append(pending.shift()!);
  };
  try {
    const sums = await forEachChunk(e, async (chunk) => {
      // Wait for zlib to take each chunk, so at most one chunk and its output are in memory.
      await Promise.race([new Promise<void>((resolve) => deflate.write(chunk, () => resolve())), failed]);
      await writePending();
    });
    deflate.end();
    await Promise.race([ended, failed]);
    await writePending();
    return sums;
  } finally {
    deflate.destroy();
  }
}

function copyFileInto(out: Output, e: LayerEntry): Promise<{ crc: number; hash: string }> {
  return forEachChunk(e, (chunk) => out.append(chunk));
}
