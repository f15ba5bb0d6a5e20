// Writes a layer's entries as a deterministic zip. Files are read, hashed and deflated ahead of the
// writer on worker threads (prepare.ts) within a fixed memory budget, then written strictly in
// entry order; big files are streamed in chunks through async zlib (libuv's pool) meanwhile.
// The bytes depend only on the entries' names, modes and contents, the level and the timestamp:
// never on timing, since the order is fixed and each file's deflate stream is independent.
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import zlib from "node:zlib";
import { open, unlink, type FileHandle } from "node:fs/promises";
import { UserError } from "../errors.js";
import { DigestBuilder } from "../layer/digest.js";
import { fsFailure } from "../layer/fs-error.js";
import { zipName, type LayerEntry, type Listing } from "../layer/walk.js";
import {
  centralHeaderSize,
  endRecords,
  localHeader,
  localHeaderSize,
  METHOD_DEFLATE,
  METHOD_STORE,
  writeCentralHeader,
  writeLocalHeader,
  type DosDateTime,
  type EntryRecord,
} from "./format.js";
import { Output, writeAll } from "./output.js";
import { collectYoung, Preparer, WHOLE_FILE_MAX, type BigPrepared } from "./prepare.js";

export interface ZipWriteParams {
  level: number;
  dos: DosDateTime;
  /** the archive comment, given the content digest (known only once every file was read) */
  comment: (digest: string) => string;
  /** where the central directory's spill file goes (see CentralDirectory); kept in memory without it */
  spillPath?: string;
  /** told of each entry as it is written, with the hex SHA-256 of its content ("" for a folder) */
  onEntry?: (e: LayerEntry, hash: string) => void;
}

export interface ZipWriteResult {
  digest: string;
  entries: number;
  /** the files' bytes, unzipped */
  unzippedBytes: number;
  bytes: number;
  /** of the zip file: MD5 hex and base64 SHA-256 */
  md5: string;
  sha256: string;
  /** the written file's mtime and inode, which the rename that puts it in place keeps */
  mtimeMs: number;
  ino: number;
}

const STREAM_CHUNK = 256 << 10;
/** One read buffer for every streamed file: each chunk is consumed (hashed, deflated or copied) before the next read. */
let streamBuffer: Buffer | undefined;

/**
 * Writes the entries of a walk's segments (see walkSegments), or of a Preparer the caller already
 * started on them (it is closed here either way).
 */
export async function writeZip(fh: FileHandle, source: Iterable<Listing> | Preparer, params: ZipWriteParams): Promise<ZipWriteResult> {
  const out = new Output(fh);
  const central = new CentralDirectory(params.spillPath);
  const appendLocalHeader = localHeaderAppender(out, params.dos);
  const digest = new DigestBuilder();
  const ahead = source instanceof Preparer ? source : new Preparer(source, params.level, params.spillPath);
  let i = 0;
  let unzippedBytes = 0;
  try {
    for (const e of ahead.entries()) {
      const name = Buffer.from(zipName(e), "utf8");
      const offset = out.position;
      let rec: EntryRecord;
      let hash: Buffer | undefined;
      if (e.type === "directory") {
        rec = { name, directory: true, mode: e.mode, method: METHOD_STORE, crc: 0, compressedSize: 0, size: 0, offset };
        const w = appendLocalHeader(rec);
        if (w) await w;
      } else if (e.size > WHOLE_FILE_MAX) {
        const big = ahead.takeBig(i);
        const prepared = big && (await big);
        ({ record: rec, hash } = prepared ? await writeBig(out, e, name, offset, params, prepared) : await streamFile(out, e, name, offset, params));
      } else {
        const t = ahead.take(i);
        const p = t instanceof Promise ? await t : t;
        rec = { name, directory: false, mode: e.mode, method: p.method, crc: p.crc, compressedSize: p.data.length, size: e.size, offset };
        hash = p.hash;
        // Awaited only when the output had to be written out: most entries fit in its buffer.
        let w = appendLocalHeader(rec);
        if (w) await w;
        w = out.append(p.data);
        if (w) await w;
      }
      const hex = hash ? hash.toString("hex") : "";
      digest.add({ path: e.path, type: e.type, mode: e.mode, size: e.size, hash: hex });
      params.onEntry?.(e, hex);
      unzippedBytes += e.size;
      i++;
      const c = central.add(rec, params.dos);
      if (c) await c;
    }
    const cdOffset = out.position;
    for await (const part of central.parts()) await out.append(part);
    const contentDigest = digest.digest();
    await out.append(endRecords(i, cdOffset, central.size, Buffer.from(params.comment(contentDigest), "utf8")));
    const sums = await out.finish();
    const { mtimeMs, ino } = await fh.stat();
    return { digest: contentDigest, entries: i, unzippedBytes, ...sums, mtimeMs, ino };
  } finally {
    await ahead.close();
    await central.close();
  }
}

/** Appends each entry's local header through one reused buffer: no allocation per entry. */
function localHeaderAppender(out: Output, dos: DosDateTime): (rec: EntryRecord) => Promise<void> | undefined {
  let scratch = Buffer.allocUnsafe(1024);
  return (rec) => {
    const n = localHeaderSize(rec);
    if (scratch.length < n) scratch = Buffer.allocUnsafe(n);
    writeLocalHeader(scratch, 0, rec, dos);
    return out.append(scratch.subarray(0, n));
  };
}

const CENTRAL_CHUNK = 256 << 10;

/**
 * The central directory, written into a buffer entry by entry while the files are being deflated
 * (~50 bytes plus the name per entry), so that the end of a write is a few appends instead of a
 * loop over every entry: that loop ran alone on one core after the last file (~70 ms for 5,000
 * entries), while this one runs beside the deflating. Each full buffer goes to a spill file (made
 * at spillPath and unlinked at once, so nothing is left behind whatever happens) and is read back
 * at the end: kept in memory it was 3 MB of a 40,000-file zip's peak RSS.
 */
class CentralDirectory {
  private readonly buffer = Buffer.allocUnsafe(CENTRAL_CHUNK);
  private used = 0;
  private spill?: { fh: FileHandle; bytes: number };
  /** full buffers kept in memory: no spillPath, or the spill file could not be made */
  private readonly held: Buffer[] = [];
  size = 0;

  constructor(private readonly spillPath?: string) {}

  /** A promise only when the buffer was full and had to be written out first. */
  add(rec: EntryRecord, dos: DosDateTime): Promise<void> | undefined {
    const n = centralHeaderSize(rec);
    // A header always fits an empty buffer: names are at most 64 KiB.
    if (this.used + n > this.buffer.length) return this.flush().then(() => void this.add(rec, dos));
    this.used = writeCentralHeader(this.buffer, this.used, rec, dos);
    this.size += n;
    return undefined;
  }

  private async flush(): Promise<void> {
    const full = this.buffer.subarray(0, this.used);
    this.used = 0;
    // Made on the first flush; when it cannot be made, every buffer stays in memory instead.
    if (!this.spill && this.held.length === 0 && this.spillPath !== undefined) this.spill = await openSpill(this.spillPath);
    if (!this.spill) {
      this.held.push(Buffer.from(full));
      return;
    }
    await writeAll(this.spill.fh, full, this.spill.bytes);
    this.spill.bytes += full.length;
  }

  /** Everything added, in order; the spill file is read back through one buffer. */
  async *parts(): AsyncGenerator<Buffer> {
    if (this.spill) {
      const back = Buffer.allocUnsafe(CENTRAL_CHUNK);
      for (let at = 0; at < this.spill.bytes; ) {
        const { bytesRead } = await this.spill.fh.read(back, 0, Math.min(CENTRAL_CHUNK, this.spill.bytes - at), at);
        if (bytesRead === 0) throw new Error("internal: the central directory's spill file is short");
        yield back.subarray(0, bytesRead);
        at += bytesRead;
      }
    }
    yield* this.held;
    yield this.buffer.subarray(0, this.used);
  }

  async close(): Promise<void> {
    await this.spill?.fh.close();
    this.spill = undefined;
  }
}

/** A file without a name: made at `path`, then unlinked. Undefined when it cannot be made (memory then). */
async function openSpill(path: string): Promise<{ fh: FileHandle; bytes: number } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, "wx+", 0o600);
  } catch {
    return undefined;
  }
  await unlink(path).catch(() => {});
  return { fh, bytes: 0 };
}

/**
 * A big file deflated ahead into a file without a name: its sizes are known, so its header goes
 * first and the bytes are copied after it. Stored when deflate did not shrink it, read again from
 * the layer and checked against what was read before.
 */
async function writeBig(
  out: Output,
  e: LayerEntry,
  name: Buffer,
  offset: number,
  params: ZipWriteParams,
  p: BigPrepared,
): Promise<{ record: EntryRecord; hash: Buffer }> {
  const rec: EntryRecord = { name, directory: false, mode: e.mode, method: p.method, crc: p.crc, compressedSize: p.length, size: e.size, offset };
  const hash = Buffer.from(p.hash);
  try {
    await out.append(localHeader(rec, params.dos));
    if (p.method === METHOD_STORE) {
      const stored = await copyFileInto(out, e);
      if (stored.crc !== p.crc || !stored.hash.equals(hash)) throw new UserError(`file changed while zipping: ${e.path}`);
      return { record: rec, hash };
    }
    streamBuffer ??= Buffer.allocUnsafe(STREAM_CHUNK);
    for (let at = 0; at < p.length; ) {
      const n = readSync(p.fd, streamBuffer, 0, Math.min(STREAM_CHUNK, p.length - at), at);
      if (n === 0) throw new Error(`internal: the deflated copy of ${e.path} is short`);
      await out.append(streamBuffer.subarray(0, n));
      at += n;
    }
    return { record: rec, hash };
  } finally {
    if (p.fd >= 0) closeSync(p.fd);
  }
}

/**
 * A big file goes through a deflate stream straight into the output; when the result is not
 * smaller, the writer rewinds and stores the file instead. The local header is patched at the end
 * with the CRC and sizes, so there is no data descriptor.
 */
async function streamFile(out: Output, e: LayerEntry, name: Buffer, offset: number, params: ZipWriteParams): Promise<{ record: EntryRecord; hash: Buffer }> {
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
  if (first && (stored.crc !== first.crc || !stored.hash.equals(first.hash))) {
    throw new UserError(`file changed while zipping: ${e.path}`);
  }
  rec.method = METHOD_STORE;
  rec.crc = stored.crc;
  rec.compressedSize = e.size;
  await out.patch(offset, localHeader(rec, params.dos));
  await out.release();
  return { record: rec, hash: stored.hash };
}

async function forEachChunk(e: LayerEntry, fn: (chunk: Buffer) => Promise<void> | undefined): Promise<{ crc: number; hash: Buffer }> {
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
    streamBuffer ??= Buffer.allocUnsafe(STREAM_CHUNK);
    const buf = streamBuffer;
    for (;;) {
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
      // zlib's output chunks are garbage outside V8's heap, which V8 lets pile up for tens of MB
      // over a big file (a 24 MB .so took peak RSS from ~95 to ~145 MB): collect every few MiB.
      if (total % (4 << 20) === 0) collectYoung();
    }
  } finally {
    closeSync(fd);
  }
  if (total !== e.size) throw new UserError(`file changed while zipping: ${e.path}`);
  return { crc, hash: h.digest() };
}

async function deflateFileInto(out: Output, e: LayerEntry, level: number): Promise<{ crc: number; hash: Buffer }> {
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

function copyFileInto(out: Output, e: LayerEntry): Promise<{ crc: number; hash: Buffer }> {
  return forEachChunk(e, (chunk) => out.append(chunk));
}
