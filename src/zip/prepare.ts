// Reads, hashes (CRC-32, SHA-256) and deflates the layer's files of up to WHOLE_FILE_MAX ahead of
// the zip writer, on worker threads: one per core, each running synchronous zlib over batches of
// files, so both cores of a CI machine deflate while the main thread only writes. This replaced
// one async zlib stream per file on libuv's pool, whose per-file stream set-up and per-16 KiB
// callbacks cost the main thread about as much CPU as a third of the deflating itself (perf, 2
// cores; see the README's benchmark section). The bytes do not depend on any of this: each file is
// one independent raw deflate stream of the same zlib at the same level, whichever thread runs it.
import { Worker } from "node:worker_threads";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as zlib from "node:zlib";
import * as crypto from "node:crypto";
import v8 from "node:v8";
import vm from "node:vm";
import { UserError } from "../errors.js";
import { fsFailure } from "../layer/fs-error.js";
import type { LayerEntry, Listing } from "../layer/walk.js";
import { usableCpus } from "../usable-cpus.js";
import { copyInto, Ring } from "./ring.js";
import { SEMI_SPACE_FLAG } from "./young-generation.js";

export interface Prepared {
  method: number;
  crc: number;
  /** SHA-256, 32 bytes; like data, valid until the next prepared file is taken */
  hash: Buffer;
  /** stored or deflated bytes; valid until the next prepared file is taken */
  data: Buffer;
}

/** Files up to this size are read whole; bigger ones are streamed by the writer. */
export const WHOLE_FILE_MAX = 4 << 20;
/**
 * The ring every batch is prepared into (see Ring): the read-ahead, and with it the memory bound,
 * whatever the layer size. 4 MiB keeps a worker 8+ batches ahead; 8 and 16 MiB were no faster and
 * cost 10-25 MB of peak RSS.
 */
const RING_BYTES = 4 << 20;
/** A batch is one message each way: big enough to hide the hand-over, small enough to balance. */
export const BATCH_BYTES = 256 << 10;
export const BATCH_FILES = 64;
/** Below this many bytes to deflate, starting workers (~20 ms each) costs more than it gains. */
const PARALLEL_MIN_BYTES = 4 << 20;
const MAX_WORKERS = 3;
/** Raw bytes prepared between two young-generation collections on the main thread. */
const GC_EVERY_BYTES = 4 << 20;
const CHANGED = "SAM_LAYER_FILE_CHANGED";

interface Modules {
  fs: Pick<typeof fs, "openSync" | "readSync" | "closeSync" | "writeSync">;
  zlib: Pick<typeof zlib, "crc32">;
  crypto: Pick<typeof crypto, "createHash"> & { hash?: (algorithm: string, data: Buffer, outputEncoding: "buffer") => Buffer };
}

/** Deflates `raw` into dest[at, at + raw.length): the deflated length, or -1 when deflate does not shrink it. */
type DeflateWhole = (raw: Buffer, level: number, dest: Buffer, at: number) => number;

/** DeflateWhole, and for files read in pieces: */
type Deflate = DeflateWhole & {
  /**
   * The same for a file read in pieces (longer than PIECE_BYTES), into dest[at, at + size);
   * undefined when zlib streams are not reused (the fallback), and the caller reads the file whole.
   */
  pieces(level: number, dest: Buffer, at: number, size: number): PieceDeflate | undefined;
  /** The same into `out` and on to `drain`; undefined as for pieces(). */
  sink(level: number, out: Buffer, drain: (chunk: Buffer) => void): SinkDeflate | undefined;
};

/**
 * One big file's deflate, fed in order (the first piece filling zlib's window), its output handed
 * to `drain` through one buffer whenever that is full, so that it needs no room of the file's size.
 */
interface SinkDeflate {
  feed(piece: Buffer): void;
  /** the deflated length */
  finish(): number;
}

/** One file's deflate, fed in order: the first piece must fill zlib's window (64 KiB). */
interface PieceDeflate {
  /** false once the output has no room left: deflate does not shrink the file (feed no more) */
  feed(piece: Buffer): boolean;
  /** the deflated length, or -1 when deflate does not shrink the file */
  finish(): number;
}

/**
 * Files longer than this are read, hashed and deflated in pieces of this size by the preparer, so
 * each thread reads through one buffer of at most this size (plus one byte) instead of one as big
 * as the biggest file it had: up to 4 MiB on each thread, and glibc kept the smaller ones it had
 * outgrown.
 */
export const PIECE_BYTES = 1 << 20;

/** What reusing a zlib stream takes: its native handle, and the [avail_out, avail_in] a write leaves. */
interface ZlibStream {
  close(): void;
  on(event: "error", listener: () => void): void;
  destroyed: boolean;
  _handle: { writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void; reset(): void };
  _writeState: Uint32Array;
}

/**
 * Deflate for the prepared files: one raw deflate stream per file, as the bytes promise, but not a
 * new zlib object per file where an old one provably gives the same bytes. A fresh
 * `deflateRawSync` costs 32-45 µs even for a tiny file (Node's stream object, ~256 KiB of zlib
 * state allocated and zeroed), ~4 % of single-threaded deflate time on the bench tree with the
 * optimizing compiler off. After `deflateReset` a stream keeps its window, and zlib reads up to
 * 258 bytes past the data it has (picking among equally long matches), where a fresh stream has
 * zeros: reused in zip order, 30 of the bench tree's 5,000 files came out different. Whatever a
 * file reads there is still a fresh stream's zeros when (a) every file the stream had before was
 * no longer than this one: their data lies below this file's end, and the 258 bytes zlib zeroes
 * past each file's end (its `high_water`) cover the rest; or (b) the file fills the whole window
 * (2 x 32 KiB at windowBits 15) before deflate looks at any of it. So: one stream for files that
 * fill the window, in any order; one for smaller files, replaced when a file is shorter than the
 * longest it had; runBatch deflates each batch shortest first. `npx tsx scripts/deflate-reuse.ts`
 * compares every file of a folder both ways: 0 of 102,494 differed (/usr/lib, /usr/share, a pip/uv
 * cache and node_modules at levels 1, 6 and 9), nor any in the bench tree or the data/API layer.
 * The handle and the write state are Node internals (what zlib.js itself uses since Node 10), so
 * a check on first use compares the two ways on sample data, and any difference or error falls
 * back to a fresh `deflateRawSync` per file for the rest of the run. `copy` puts that fallback's
 * output into dest, the shared ring. Self-contained: it is part of the worker's source too.
 */
export function deflater(z: Pick<typeof zlib, "deflateRawSync" | "createDeflateRaw" | "constants">, copy: typeof copyInto): Deflate {
  const { deflateRawSync, createDeflateRaw, constants } = z;
  const WINDOW = 2 << 15;
  const SINK_SLACK = 64;
  interface Held {
    stream: ZlibStream;
    level: number;
    /** the longest file this stream has deflated */
    longest: number;
  }
  let big: Held | undefined;
  let small: Held | undefined;
  /** decided by the check on first use */
  let reuse: boolean | undefined;

  const fresh: DeflateWhole = (raw, level, dest, at) => {
    // An output buffer the size of the file: zlib finishes in one call instead of one per 16 KiB.
    const r = deflateRawSync(raw, { level, chunkSize: Math.max(64, raw.length + 64), info: true }) as unknown as {
      buffer: Buffer;
      engine: { _outBuffer?: unknown };
    };
    // The zlib object keeps that output buffer, and Node 24 frees a zlib object only in a full
    // collection (Node 20 in any young one too): that held ~1 MB per MB deflated until V8 got
    // round to one, ~70 MB of peak RSS on the bench tree (scripts/zlib-rss.mjs shows it alone).
    // A private field: if Node renames it, this does nothing and memory is as it was.
    r.engine._outBuffer = undefined;
    if (r.buffer.length >= raw.length) return -1;
    copy(dest, at, r.buffer);
    return r.buffer.length;
  };
  const open = (level: number): Held => {
    // The smallest output buffer zlib takes (write() deflates into the caller's buffer, never the
    // stream's): the default 16 KiB of each replaced stream stayed allocated until a full
    // collection, ~5 MB on the main thread for 20,000 small files (peak RSS 90 -> 83 MB, Node 24).
    const stream = createDeflateRaw({ level, chunkSize: 64 }) as unknown as ZlibStream;
    // zlib reports a failed write by destroying the stream, whose 'error' event would end the
    // process; write() sees `destroyed` instead, and the caller falls back.
    stream.on("error", () => {});
    return { stream, level, longest: 0 };
  };
  /** a file in pieces was begun on `big` and not finished: its bytes are still in the stream */
  let unfinished = false;
  const bigFor = (level: number): Held => {
    if (!big || big.level !== level) {
      big?.stream.close();
      big = open(level);
    } else if (unfinished) {
      big.stream._handle.reset();
    }
    unfinished = false;
    return big;
  };
  const write = (held: Held, raw: Buffer, dest: Buffer, at: number): number => {
    const { _handle: handle, _writeState: state } = held.stream;
    // No more room than the file: deflate that does not fit is not kept anyway.
    handle.writeSync(constants.Z_FINISH, raw, 0, raw.length, dest, at, raw.length);
    if (held.stream.destroyed) throw new Error("zlib failed");
    const room = state[0] as number;
    handle.reset();
    return room === 0 ? -1 : raw.length - room;
  };
  const reused: DeflateWhole = (raw, level, dest, at) => {
    let held: Held;
    if (raw.length >= WINDOW) {
      held = bigFor(level);
    } else {
      if (!small || small.level !== level || raw.length < small.longest) {
        small?.stream.close();
        small = open(level);
      }
      held = small;
      held.longest = raw.length;
    }
    return write(held, raw, dest, at);
  };
  // A file in pieces goes through the stream for big files: its first piece fills the window, so
  // whatever the stream had before does not matter (b). zlib's output does not depend on how its
  // input is cut when nothing is flushed before the end: deflate waits for 262 bytes of lookahead
  // before it looks for a match (checked below and by scripts/deflate-reuse.ts).
  const reusedPieces = (level: number, dest: Buffer, at: number, size: number): PieceDeflate => {
    const { stream } = bigFor(level);
    const { _handle: handle, _writeState: state } = stream;
    // Until finish(): a file given up half-way (unreadable, or no room) leaves its bytes in the stream.
    unfinished = true;
    let room = size;
    const step = (flush: number, piece: Buffer): boolean => {
      handle.writeSync(flush, piece, 0, piece.length, dest, at + size - room, room);
      if (stream.destroyed) throw new Error("zlib failed");
      room = state[0] as number;
      // Input left over, or the output full: more output than the file is long, or exactly as long.
      return state[1] === 0 && room > 0;
    };
    return {
      feed: (piece) => step(constants.Z_NO_FLUSH, piece),
      finish: () => {
        const fits = step(constants.Z_FINISH, Buffer.alloc(0));
        handle.reset();
        unfinished = false;
        return fits ? size - room : -1;
      },
    };
  };
  // The same stream for a file of any size: zlib's output does not depend on how its output buffer
  // is cut either, so `out` is drained whenever deflate fills it and the call goes on with the
  // input it had left (what Node's own zlib does for a sync call, with a new buffer each time).
  const reusedSink = (level: number, out: Buffer, drain: (chunk: Buffer) => void): SinkDeflate => {
    const { stream } = bigFor(level);
    const { _handle: handle, _writeState: state } = stream;
    unfinished = true;
    // The last SINK_SLACK bytes are never offered: a handle that writes a few bytes off fails the
    // check on first use instead of writing out of bounds (which Node answers with an abort).
    const room = out.length - SINK_SLACK;
    let used = 0;
    let total = 0;
    const step = (flush: number, piece: Buffer): void => {
      let from = 0;
      for (;;) {
        handle.writeSync(flush, piece, from, piece.length - from, out, used, room - used);
        if (stream.destroyed) throw new Error("zlib failed");
        from = piece.length - (state[1] as number);
        used = room - (state[0] as number);
        // Room left means zlib took all the input (and, finishing, wrote the end).
        if (used < room) return;
        drain(out.subarray(0, used));
        total += used;
        used = 0;
      }
    };
    return {
      feed: (piece) => step(constants.Z_NO_FLUSH, piece),
      finish: () => {
        step(constants.Z_FINISH, Buffer.alloc(0));
        if (used > 0) drain(out.subarray(0, used));
        total += used;
        handle.reset();
        unfinished = false;
        return total;
      },
    };
  };
  const check = (level: number): boolean => {
    // A Node that changed the handle's arguments could abort in one of its native checks rather
    // than throw: only the majors this was tested on (the project's CI runs 20; 24 and 26 by hand).
    if (Number(process.versions.node.split(".")[0]) > 26) return false;
    // Two files on one stream: the output lands where asked, avail_out says how much, reset works.
    const sample = Buffer.from("def layer(self, value):\n    return self.value + value  # 0123456789\n".repeat(40));
    const a = Buffer.alloc(sample.length);
    const b = Buffer.alloc(sample.length);
    const whole = [300, 2000].every((n) => {
      const raw = sample.subarray(sample.length - n);
      const x = fresh(raw, level, a, 0);
      const y = reused(raw, level, b, 7);
      return x > 0 && x === y && a.subarray(0, x).equals(b.subarray(7, 7 + y));
    });
    // And one file in three pieces (the first one filling the window).
    const long = Buffer.concat(Array.from({ length: 40 }, (_, i) => Buffer.from(`${i * 7919}`.repeat(60)), sample));
    const c = Buffer.alloc(long.length);
    // Room to spare past the end, as in the ring: a handle that writes off by a few bytes fails the
    // comparison instead of writing out of bounds.
    const d = Buffer.alloc(long.length + 7 + 64);
    const x = fresh(long, level, c, 0);
    const p = reusedPieces(level, d, 7, long.length);
    const fed = [long.subarray(0, WINDOW), long.subarray(WINDOW, WINDOW + 1000), long.subarray(WINDOW + 1000)].every((piece) => p.feed(piece));
    const y = p.finish();
    // And through a sink whose buffer is far smaller than the output.
    const drained: Buffer[] = [];
    const q = reusedSink(level, Buffer.alloc(100 + SINK_SLACK), (chunk) => drained.push(Buffer.from(chunk)));
    for (const piece of [long.subarray(0, WINDOW), long.subarray(WINDOW)]) q.feed(piece);
    const z = q.finish();
    const sunk = z === x && Buffer.concat(drained).equals(c.subarray(0, x));
    return whole && fed && sunk && x > 0 && x === y && c.subarray(0, x).equals(d.subarray(7, 7 + y));
  };
  const ensureChecked = (level: number): void => {
    if (reuse !== undefined) return;
    try {
      reuse = check(level);
    } catch {
      reuse = false;
    }
  };
  const deflate = (raw: Buffer, level: number, dest: Buffer, at: number): number => {
    ensureChecked(level);
    if (reuse) {
      try {
        return reused(raw, level, dest, at);
      } catch {
        reuse = false;
      }
    }
    return fresh(raw, level, dest, at);
  };
  // A failure half-way through a file cannot fall back to a fresh stream (the pieces before are
  // gone): the stream is not reused again, and the caller reads that file again another way.
  const guard =
    <A extends unknown[], R>(f: (...a: A) => R) =>
    (...a: A): R => {
      try {
        return f(...a);
      } catch (err) {
        reuse = false;
        throw err;
      }
    };
  const pieces = (level: number, dest: Buffer, at: number, size: number): PieceDeflate | undefined => {
    ensureChecked(level);
    if (!reuse) return undefined;
    const p = reusedPieces(level, dest, at, size);
    return { feed: guard(p.feed), finish: guard(p.finish) };
  };
  const sink = (level: number, out: Buffer, drain: (chunk: Buffer) => void): SinkDeflate | undefined => {
    ensureChecked(level);
    if (!reuse) return undefined;
    const q = reusedSink(level, out, drain);
    return { feed: guard(q.feed), finish: guard(q.finish) };
  };
  return Object.assign(deflate, { pieces, sink });
}

/** A file over WHOLE_FILE_MAX prepared ahead of the writer (see Preparer): its deflated bytes wait in a file. */
export interface BigPrepared {
  /** 8: deflated into fd[0, length); 0: deflate does not shrink it, and the writer stores the file itself */
  method: number;
  crc: number;
  /** SHA-256, 32 bytes */
  hash: Uint8Array;
  length: number;
  /** a file without a name holding the deflated bytes, for the writer to read and close; -1 when stored */
  fd: number;
}

interface PreparedInto {
  method: number;
  crc: number;
  /** SHA-256, 32 bytes */
  hash: Buffer;
  /** bytes written at the offset given */
  length: number;
}

/**
 * The per-file work: reads the file, hashes it and writes its stored or deflated bytes into
 * dest[at, at + size). A file longer than `pieceBytes` is read, hashed and deflated in pieces, and
 * read again into dest when deflate does not shrink it. It is also the source of the worker (via
 * toString), so it must use nothing from outside but its parameters (`copy` puts a stored file
 * into dest, the shared ring). Stored (method 0) when deflate does not shrink the file:
 * already-compressed files, tiny files, empty files, level 0.
 */
function preparer(
  m: Modules,
  deflate: Deflate,
  copy: typeof copyInto,
  pieceBytes: number,
): ((absPath: string, size: number, level: number, dest: Buffer, at: number) => PreparedInto) & {
  big(absPath: string, size: number, level: number, fd: number): Omit<BigPrepared, "fd"> | undefined;
} {
  // Taken once: on the main thread each module is a bundle stand-in whose properties are getters.
  const { openSync, readSync, closeSync, writeSync } = m.fs;
  const { crc32 } = m.zlib;
  const { createHash, hash: hashOnce } = m.crypto;
  // One buffer for every read, at its full size from the start (it costs memory only as far as
  // reads have touched it) instead of grown step by step, which left the outgrown ones to glibc.
  let scratch = Buffer.allocUnsafe(pieceBytes + 1);
  const changed = () => Object.assign(new Error("file changed"), { code: "SAM_LAYER_FILE_CHANGED" });
  /**
   * Hands the file to `each` in pieces of `piece` bytes (the last one shorter), each read into the
   * same buffer: one byte more than `size` is asked for in all, to notice a file that grew since
   * the walk. Throws when the file has not exactly `size` bytes.
   */
  const readPieces = (absPath: string, size: number, piece: number, each: (data: Buffer) => void): void => {
    // Only without pieces (the fallback deflate) are whole files longer than a piece read.
    if (scratch.length < piece) scratch = Buffer.allocUnsafe(piece);
    const fd = openSync(absPath, "r");
    let total = 0;
    try {
      for (;;) {
        const want = Math.min(piece, size + 1 - total);
        let n = 0;
        while (n < want) {
          const got = readSync(fd, scratch, n, want - n, null);
          if (got === 0) break;
          n += got;
          // Stop at the expected size without a read to see 0: the read that got there was short
          // of the one byte more asked for, and a short read of a regular file ends at its end.
          if (total + n === size) break;
        }
        total += n;
        if (total > size) throw changed();
        if (n > 0) each(scratch.subarray(0, n));
        if (total === size || n < want) break;
      }
    } finally {
      closeSync(fd);
    }
    if (total !== size) throw changed();
  };
  /** readPieces in pieces of pieceBytes, with the file's CRC-32 and SHA-256 summed on the way. */
  const summedPieces = (absPath: string, size: number, each: (piece: Buffer) => void): { crc: number; hash: Buffer } => {
    let crc = 0;
    const h = createHash("sha256");
    readPieces(absPath, size, pieceBytes, (piece) => {
      crc = crc32(piece, crc);
      h.update(piece);
      each(piece);
    });
    return { crc, hash: h.digest() };
  };
  const inPieces = (absPath: string, size: number, level: number, dest: Buffer, at: number): PreparedInto | undefined => {
    const d = deflate.pieces(level, dest, at, size);
    if (!d) return undefined;
    let fits = true;
    let failed = false;
    const { crc, hash } = summedPieces(absPath, size, (piece) => {
      try {
        if (fits) fits = d.feed(piece);
      } catch {
        [fits, failed] = [false, true];
      }
    });
    let length = -1;
    try {
      if (fits) length = d.finish();
    } catch {
      failed = true;
    }
    // zlib failed half-way: the deflater uses a fresh stream from now on, and the file is read whole.
    if (failed) return undefined;
    if (length >= 0) return { method: 8, crc, hash, length };
    // Stored: read again, straight into its place, and it must be the same file.
    let stored = 0;
    const again = summedPieces(absPath, size, (piece) => {
      copy(dest, at + stored, piece);
      stored += piece.length;
    });
    if (again.crc !== crc || !again.hash.equals(hash)) throw changed();
    return { method: 0, crc, hash, length: size };
  };
  /** sink()'s output buffer for big files: made on the first one */
  let sinkOut: Buffer | undefined;
  /**
   * A file over WHOLE_FILE_MAX, deflated in pieces into `fd`, a file without a name the main
   * thread made (and closes: a descriptor opened on one thread and closed on another confuses
   * Node's bookkeeping of them). Undefined when zlib streams are not reused: the writer then
   * streams the file itself, as it does without workers.
   */
  const big = (absPath: string, size: number, level: number, fd: number): Omit<BigPrepared, "fd"> | undefined => {
    // 256 KiB for the output, and the sink's 64 bytes of slack.
    sinkOut ??= Buffer.allocUnsafe((pieceBytes >> 2) + 64);
    let length = 0;
    const d = deflate.sink(level, sinkOut, (chunk) => {
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done, chunk.length - done, length + done);
      length += chunk.length;
    });
    if (!d) return undefined;
    let zlibFailed = false;
    const { crc, hash } = summedPieces(absPath, size, (piece) => {
      if (zlibFailed) return;
      try {
        d.feed(piece);
      } catch {
        zlibFailed = true;
      }
    });
    let total = -1;
    try {
      if (!zlibFailed) total = d.finish();
    } catch {
      // as a failed feed: the writer streams the file itself
    }
    if (total < 0) return undefined;
    return total < size ? { method: 8, crc, hash, length: total } : { method: 0, crc, hash, length: size };
  };
  const whole = (absPath: string, size: number, level: number, dest: Buffer, at: number): PreparedInto => {
    const pieced = level > 0 && size > pieceBytes ? inPieces(absPath, size, level, dest, at) : undefined;
    if (pieced) return pieced;
    let raw: Buffer = scratch.subarray(0, 0);
    readPieces(absPath, size, size + 1, (data) => {
      raw = data;
    });
    const crc = crc32(raw);
    // One call instead of a Hash object per file (crypto.hash: Node >= 20.12).
    const hash = hashOnce ? hashOnce("sha256", raw, "buffer") : createHash("sha256").update(raw).digest();
    if (level > 0 && size > 0) {
      const length = deflate(raw, level, dest, at);
      if (length >= 0) return { method: 8, crc, hash, length };
    }
    copy(dest, at, raw);
    return { method: 0, crc, hash, length: size };
  };
  return Object.assign(whole, { big });
}

interface BatchRequest {
  paths: string[];
  sizes: number[];
  level: number;
  /** where to put the batch's data: ring[at, at + sum of sizes) */
  ring: SharedArrayBuffer;
  at: number;
}

interface BatchReply {
  methods: number[];
  crcs: number[];
  /**
   * SHA-256 of each file, 32 bytes each, in one buffer: one string per file, 40,000 of them kept
   * to the end of a write, were 3 MB of the main thread's heap.
   */
  hashes: Uint8Array;
  /** where each file's data starts in the ring, and its length (the data of the whole batch is at most its raw size, since deflate must shrink) */
  offsets: number[];
  lengths: number[];
  /** the first file, in entry order, that could not be prepared */
  failed?: { index: number; code?: string; message: string };
}

/** A batch's files into its place in the ring, prepared shortest first for the deflater's sake. */
function runBatch(prepare: ReturnType<typeof preparer>, { paths, sizes, level, ring, at: start }: BatchRequest): BatchReply {
  const total = sizes.reduce((a, b) => a + b, 0);
  const out = Buffer.from(ring, start, total);
  // Not from Buffer's shared pool: a reply clones the whole ArrayBuffer under it.
  const reply: BatchReply = { methods: [], crcs: [], hashes: Buffer.alloc(paths.length * 32), offsets: [], lengths: [] };
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[a]! - sizes[b]! || a - b);
  let at = 0;
  for (const i of order) {
    try {
      const p = prepare(paths[i]!, sizes[i]!, level, out, at);
      reply.methods[i] = p.method;
      reply.crcs[i] = p.crc;
      reply.hashes.set(p.hash, i * 32);
      reply.offsets[i] = start + at;
      reply.lengths[i] = p.length;
      at += p.length;
    } catch (err) {
      // The others are still prepared: the writer needs every file before the first failure.
      const e = err as NodeJS.ErrnoException;
      if (!reply.failed || i < reply.failed.index) reply.failed = { index: i, code: e.code, message: e.message };
    }
  }
  return reply;
}

interface BigRequest {
  big: true;
  path: string;
  size: number;
  level: number;
  /** where the deflated bytes go (see preparer's big) */
  fd: number;
}

/** BigPrepared without its fd; `method` -1 when not prepared (the writer streams the file itself) */
type BigReply = Partial<Omit<BigPrepared, "fd">> & { method: number; failed?: { code?: string; message: string } };

/** One big file: the worker's side of Preparer.takeBig. */
function runBig(prepare: ReturnType<typeof preparer>, { path, size, level, fd }: BigRequest): BigReply {
  try {
    const r = prepare.big(path, size, level, fd);
    // The hash copied into 32 bytes of its own: a reply clones the whole ArrayBuffer under a view.
    return r ? { ...r, hash: new Uint8Array(r.hash) } : { method: -1 };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { method: -1, failed: { code: e.code, message: e.message } };
  }
}

function workerMain(run: (req: BatchRequest | BigRequest) => BatchReply | BigReply, port: import("node:worker_threads").MessagePort, gc: () => void): void {
  let sinceGc = 0;
  port.on("message", (req: BatchRequest | BigRequest) => {
    const reply = run(req);
    port.postMessage(reply);
    // Counted in bytes read: with the fallback deflate each file leaves its output (up to its own size) behind.
    for (const size of "big" in req ? [req.size] : req.sizes) sinceGc += size;
    if (sinceGc > 2 << 20) {
      sinceGc = 0;
      gc();
    }
  });
}

/**
 * The V8 flags a zip is written with, set by the main thread before the walk of a first write
 * (startWorkersEarly) or before the Preparer starts its workers, so that the walk and the workers
 * run with them. They are process-wide, and any change to V8's flags makes Node compile its own
 * modules from source from then on: its built-in code cache is keyed to the flags (`node
 * scripts/flag-cost.mjs` on this project's machine: a worker thread booted in 54–70 ms with Node's
 * flags against 105–133 ms after a change on Node 20, 79–88 against 164–171 ms on Node 24). So the
 * main thread loads the writer's modules first (loadWriterModules), and a worker boots the slow way
 * beside the walk, which it used to avoid by setting the flags itself once booted. That was too
 * late on Node 24: the walk's path and stat functions (hundreds of calls per ms) were compiled by
 * Maglev meanwhile, which left ~5 MB of V8's compiler code and its background threads' memory in
 * the process: peak RSS 98–105 against 92–93 MB on the bench tree, with the same wall time (6
 * interleaved rounds each, 2 cores).
 * - `--no-opt --no-maglev`: no optimizing compiler. The hot loops are zlib's and OpenSSL's, in C;
 *   the JavaScript around them runs a few thousand times, and TurboFan spent its time compiling it
 *   and recompiling it after deopts (104 optimizations of the writer, the batch loop and Node's
 *   stream constructors, ~0.4 s of CPU on V8's background threads of a 3.5 s cold zip on 2 cores)
 *   for code that then ran no faster. Sparkplug still runs. Both flags, because Node 24 also has
 *   Maglev, which `--no-opt` leaves on. Not `--max-opt=1`: V8 turns it into the other flags only
 *   at start-up, so set at run time it turns off nothing on Node 24 (`node --trace-opt` shows both
 *   compilers still at work; on Node 20 it works).
 * - `--semi-space-growth-factor=1` (SEMI_SPACE_FLAG): the young generation stays small.
 * - `--expose-gc`: young collections on demand (collector), in the workers too.
 */
export function tuneForZip(): void {
  if (tuned) return;
  loadWriterModules();
  for (const flag of ["--no-opt", "--no-maglev", SEMI_SPACE_FLAG, "--expose-gc"]) v8.setFlagsFromString(flag);
  tuned = true;
}

/** Whether this process's flags are set for zipping (tuneForZip). */
let tuned = false;
let mainGc: ((type: "minor" | "major") => void) | undefined;

/**
 * A collection on demand, once `--expose-gc` is set (tuneForZip); nothing before. Young ones: files
 * leave buffers behind (the writer's streamed chunks, and with the fallback deflate each file's
 * output): memory outside V8's heap, which V8 lets grow by tens of MB before it collects.
 * Collecting every few MB keeps peak RSS flat; `gc` is reached this way because a worker cannot
 * take V8 flags of its own. Self-contained: it is part of the worker's source too.
 */
function collector(vmm: typeof vm): (type: "minor" | "major") => void {
  let gc: ((opts?: { type: string }) => void) | undefined;
  return (type) => {
    try {
      // A context made after the flag was set has `gc`: a worker's own (the main thread sets the
      // flag before it starts any), or else a new one, which costs ~1 MB on Node 24.
      gc ??= ((globalThis as { gc?: typeof gc }).gc ?? vmm.runInNewContext("gc")) as (opts?: { type: string }) => void;
    } catch {
      return;
    }
    // A full collection is gc() with no options: V8 11 (Node 20) runs a young one for { type: "major" }.
    if (type === "major") gc();
    else gc({ type });
  };
}

/**
 * A full collection on the main thread; nothing until the flags are set. After each big segment
 * of a walk (layer-zip.ts, collected): what young collections promoted of the walk's and the
 * writer's garbage is freed then, so the old space does not grow with the layer.
 */
export function collectAll(): void {
  collectHere("major");
}

/** The main thread's young collection, also for the writer's streamed files; nothing until the flags are set. */
export function collectYoung(): void {
  collectHere("minor");
}

function collectHere(type: "minor" | "major"): void {
  if (!tuned) return;
  mainGc ??= collector(vm);
  mainGc(type);
}

/**
 * Loads the Node modules a write uses on this thread while Node's code cache for them is still
 * good (tuneForZip). In the bundle each is a stand-in that loads its module on first use
 * (scripts/bundle-options.ts), so touching one loads it; under tsx they are loaded already.
 */
function loadWriterModules(): void {
  void [zlib.crc32, crypto.createHash, v8.setFlagsFromString, vm.runInNewContext, fsp.open];
}

const WORKER_SOURCE = [
  // Run from source by tsx (esbuild's keepNames), the functions' text calls esbuild's __name helper.
  "const __name = (f) => f;",
  `require("node:v8").setFlagsFromString(${JSON.stringify(SEMI_SPACE_FLAG)});`,
  `const { parentPort } = require("node:worker_threads");`,
  `const zlib = require("node:zlib");`,
  `const copyInto = ${copyInto.toString()};`,
  `const prepare = (${preparer.toString()})({ fs: require("node:fs"), zlib, crypto: require("node:crypto") }, (${deflater.toString()})(zlib, copyInto), copyInto, ${PIECE_BYTES});`,
  `const runBatch = ${runBatch.toString()};`,
  `const runBig = ${runBig.toString()};`,
  `const collect = (${collector.toString()})(require("node:vm"));`,
  `(${workerMain.toString()})((req) => (req.big ? runBig(prepare, req) : runBatch(prepare, req)), parentPort, () => collect("minor"));`,
].join("\n");

/** A segment of a walk added to a Preparer; `base`: the index of its first entry. */
interface Segment {
  base: number;
  entries: Listing;
  /** entry index - base -> batch number, -1 for entries the writer handles itself */
  batchOf: Int32Array;
}

interface Batch {
  /** entry indices, ascending */
  indices: number[];
  bytes: number;
  /** its place in the ring, once handed out */
  at?: number;
  /** set when the batch is handed out, to a worker or to the main thread */
  reply?: Promise<BatchReply>;
  /** the reply, once it is here */
  done?: BatchReply;
}

let cpus: number | undefined;

/** One worker per usable CPU besides this thread's (the cgroup quota counts: usable-cpus.ts). */
function workerCount(): number {
  cpus ??= usableCpus();
  return Math.min(cpus, MAX_WORKERS + 1) - 1;
}

/** `n` workers, started with the flags set (tuneForZip). */
function startWorkers(n: number): Worker[] {
  tuneForZip();
  return Array.from(
    { length: n },
    // A small young generation: a worker's live data is one batch (2 MB instead of 4 cut ~7 MB of peak RSS).
    () => new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2 } }),
  );
}

/** Workers started before the walk, for the Preparer to take. */
const started: Worker[] = [];

/**
 * Sets the flags and starts the workers now, when the caller already knows a zip will be written
 * (there is none yet), so that both the walk and the workers run with the flags: a worker then
 * takes 105–171 ms to boot (tuneForZip), which overlaps the walk instead of following it. The Preparer stops them again
 * when the layer turns out too small to need them.
 */
export function startWorkersEarly(): void {
  if (started.length > 0) return;
  for (const worker of startWorkers(workerCount())) {
    // Not keeping the process alive until a Preparer takes it: a walk that fails leaves no thread behind.
    worker.unref();
    started.push(worker);
  }
}

interface WorkerSlot {
  worker: Worker;
  queue: Array<(r: BatchReply & BigReply) => void>;
  /** big files queued at this worker */
  bigs: number;
}

/** A file over WHOLE_FILE_MAX deflated ahead of the writer. */
interface BigJob {
  index: number;
  /** the file without a name its bytes go to, once it is handed out; -1 when none could be made */
  fd?: number;
  reply?: Promise<BigReply>;
  done?: BigReply;
  /** handed to the writer, which closes fd */
  taken?: boolean;
}

/**
 * Batches queued at a worker. The queue is topped up only between the main thread's own batches
 * (up to 256 KiB of deflating, ~8 ms), so it must last that long: with 2 the worker waited ~125 ms
 * of a cold zip of the bench tree in gaps of up to 11 ms, with 4 ~35 ms (6: no better).
 */
const WORKER_QUEUE = 4;

/**
 * Hands out Prepared files in entry order. Batches are handed out in order: each worker (cores - 1,
 * at most 3) keeps WORKER_QUEUE of them queued, and the main thread, whenever the batch the writer
 * needs next is still being prepared, prepares the next free batch itself instead of waiting. So the
 * main thread, which also writes and hashes the zip, takes exactly the share of the deflating it
 * has time for (a fixed split left one core idle for ~20% of a cold zip). Small layers use no worker.
 */
export class Preparer {
  /**
   * The batches not written yet, in order: batches[k] is batch number `dropped + k`. The segments
   * of a walk are added one ahead of the writer, and what it has written is dropped, so this and
   * `segments` hold at most two segments' worth whatever the size of the layer.
   */
  private readonly batches: Batch[] = [];
  private dropped = 0;
  /** the entries added and not all written yet */
  private readonly segments: Segment[] = [];
  /** entries added so far: the next segment's first index */
  private added = 0;
  /** undefined until decided (see pull) */
  private workers: WorkerSlot[] | undefined;
  private readonly prepare = preparer({ fs, zlib, crypto }, deflater(zlib, copyInto), copyInto, PIECE_BYTES);
  private readonly ring = new Ring(RING_BYTES);
  /**
   * Files over WHOLE_FILE_MAX, in entry order, when workers run. Without this the writer streamed
   * each through one zlib stream on its own (a 24 MB .so takes ~0.5 s), while the workers could
   * only run as far ahead as the ring holds (4 MiB of files): on the data/API layer, 54 MB in 4
   * such files were 1.2 s of its 2.7 s cold zip with one core idle. A worker now deflates them
   * one at a time into temp files (see preparer's big), beside the main thread's batches, and the
   * main thread takes the next one itself whenever it would otherwise wait. Never dropped: a
   * layer holds few (Lambda's 250 MB over 4 MiB).
   */
  private readonly bigJobs: BigJob[] = [];
  private readonly bigOf = new Map<number, BigJob>();
  /** the first big file not handed out yet */
  private nextBig = 0;
  /** a batch whose last file was taken: its data is freed when the next file is */
  private written?: Batch;
  private sinceGc = 0;
  /** the number of the first batch not handed out yet */
  private nextFree = 0;
  private failure?: Error;

  private readonly source: Iterator<Listing>;
  /** the source has no segment left */
  private exhausted = false;
  /** of the files added */
  private bytes = 0;

  /**
   * Prepares the files of a walk's segments (see walkSegments), each walked only as the writer
   * reaches the one before: the first two now, for a head start. `spillPath`: where a worker may
   * make (and at once unlink) the files of big files; none: the writer streams them.
   */
  constructor(
    source: Iterable<Listing>,
    private readonly level: number,
    private readonly spillPath?: string,
  ) {
    this.source = source[Symbol.iterator]();
    for (let n = 0; n < 2 && !this.exhausted; n++) this.pull();
    this.pump();
  }

  /** Every entry in zip order; the next segment is walked and added when the writer starts on the last one added. */
  *entries(): Generator<LayerEntry> {
    for (let i = 0; ; ) {
      while (i >= this.added && !this.exhausted) this.pull();
      if (i >= this.added) return;
      const seg = this.segmentOf(i);
      if (seg === this.segments.at(-1) && !this.exhausted) {
        this.pull();
        this.pump();
      }
      for (let k = i - seg.base; k < seg.entries.length; k++, i++) yield seg.entries.get(k);
    }
  }

  /**
   * Adds the source's next segment, if any, and decides on the workers once that can be told: as
   * soon as there are PARALLEL_MIN_BYTES to deflate, none if the walk ends first. Not from the
   * number of entries: on Node 20 a worker's start lets the main thread's young generation grow
   * until the worker runs (SEMI_SPACE_FLAG), 8 MB instead of 2 for the update of a 10,000-entry
   * layer of small files, which needs no worker.
   */
  private pull(): void {
    const r = this.source.next();
    if (r.done) this.exhausted = true;
    else this.bytes += this.add(r.value);
    if (!this.workers && this.bytes >= PARALLEL_MIN_BYTES) this.workers = this.startWorkers(workerCount());
    else if (!this.workers && this.exhausted) this.workers = this.startWorkers(0);
  }

  /** A segment of entries, in zip order, after the ones added before: its files' bytes. */
  private add(entries: Listing): number {
    const base = this.added;
    this.added += entries.length;
    const batchOf = new Int32Array(entries.length).fill(-1);
    this.segments.push({ base, entries, batchOf });
    let total = 0;
    let cur: Batch | undefined;
    for (let k = 0; k < entries.length; k++) {
      const e = entries.get(k);
      if (e.type !== "file") continue;
      if (e.size > WHOLE_FILE_MAX) {
        // Streamed by the writer instead.
        if (this.spillPath === undefined || this.level === 0 || this.workers?.length === 0) continue;
        total += e.size;
        const job = { index: base + k };
        this.bigJobs.push(job);
        this.bigOf.set(job.index, job);
        continue;
      }
      total += e.size;
      if (!cur || cur.indices.length >= BATCH_FILES || cur.bytes + e.size > BATCH_BYTES) {
        cur = { indices: [], bytes: 0 };
        this.batches.push(cur);
      }
      cur.indices.push(base + k);
      cur.bytes += e.size;
      batchOf[k] = this.dropped + this.batches.length - 1;
    }
    return total;
  }

  private startWorkers(n: number): WorkerSlot[] {
    let workers = started.splice(0);
    tuneForZip();
    if (workers.length !== n) {
      for (const w of workers) void w.terminate();
      workers = startWorkers(n);
    }
    const slots: WorkerSlot[] = [];
    for (const worker of workers) {
      worker.ref();
      const slot: WorkerSlot = { worker, queue: [], bigs: 0 };
      worker.on("message", (r: BatchReply & BigReply) => slot.queue.shift()?.(r));
      worker.on("error", (err) => {
        this.failure = err;
        for (const resolve of slot.queue.splice(0)) resolve({ methods: [], crcs: [], hashes: new Uint8Array(0), offsets: [], lengths: [], method: -1 });
      });
      slots.push(slot);
    }
    if (slots.length === 0) {
      for (const job of this.bigJobs) this.bigOf.delete(job.index);
      this.bigJobs.length = 0;
    }
    return slots;
  }

  /** Entry `i`, from the segment that holds it. */
  private entry(i: number): LayerEntry {
    const seg = this.segmentOf(i);
    return seg.entries.get(i - seg.base);
  }

  private segmentOf(i: number): Segment {
    for (const seg of this.segments) if (i < seg.base + seg.entries.length) return seg;
    throw new Error(`internal: entry ${i} is not here`);
  }

  /** Forgets the segments wholly before entry `i`, which the writer is taking. */
  private dropBefore(i: number): void {
    while (this.segments.length > 1 && this.segments[0]!.base + this.segments[0]!.entries.length <= i) this.segments.shift();
  }

  /** Claims the next free batch when the ring has room for it (always when nothing is out). */
  private claim(): Batch | undefined {
    const b = this.batches[this.nextFree - this.dropped];
    if (!b) return undefined;
    const at = this.ring.take(b.bytes);
    if (at < 0) return undefined;
    b.at = at;
    this.nextFree++;
    return b;
  }

  /**
   * Tops up every worker's queue: a big file first, one at a time, and a worker with one queued
   * gets no batch, which would wait behind it while the writer needs it (the main thread prepares
   * batches meanwhile).
   */
  private pump(): void {
    if (this.failure || !this.workers) return;
    for (const slot of this.workers) {
      if (slot.bigs === 0 && slot.queue.length === 0 && this.nextBig < this.bigJobs.length) this.sendBig(slot, this.bigJobs[this.nextBig++]!);
      if (slot.bigs > 0) continue;
      while (slot.queue.length < WORKER_QUEUE) {
        const b = this.claim();
        if (!b) return;
        b.reply = new Promise<BatchReply>((resolve) => slot.queue.push(resolve));
        b.reply.then((r) => {
          b.done = r;
          this.pump();
        });
        slot.worker.postMessage(this.request(b));
      }
    }
  }

  private sendBig(slot: WorkerSlot, job: BigJob): void {
    const req = this.bigRequest(job);
    if (!req) {
      job.done = { method: -1 };
      job.reply = Promise.resolve(job.done);
      return;
    }
    slot.bigs++;
    job.reply = new Promise<BigReply>((resolve) => slot.queue.push(resolve));
    job.reply.then((r) => {
      job.done = r;
      slot.bigs--;
      this.pump();
    });
    slot.worker.postMessage(req);
  }

  /**
   * The job's request, with the file without a name its bytes go to: made at a temp path beside the
   * zip and unlinked at once, so that nothing is left whatever happens to the process. Undefined
   * when it cannot be made (its folder is not made yet, say): the writer streams the file itself.
   */
  private bigRequest(job: BigJob): BigRequest | undefined {
    const e = this.entry(job.index);
    const path = `${this.spillPath}-${job.index}.tmp`;
    try {
      job.fd = fs.openSync(path, "wx+", 0o600);
    } catch {
      job.fd = -1;
      return undefined;
    }
    fs.rmSync(path, { force: true });
    return { big: true, path: e.absPath, size: e.size, level: this.level, fd: job.fd };
  }

  /**
   * Entry `i`, a file over WHOLE_FILE_MAX, as a worker prepared it; undefined, or a promise of
   * undefined, when the writer is to stream it itself. Taken in entry order, as take(); the
   * writer closes the descriptor.
   */
  takeBig(i: number): Promise<BigPrepared | undefined> | undefined {
    const job = this.bigOf.get(i);
    if (!job) return undefined;
    this.bigOf.delete(i);
    this.dropBefore(i);
    // The previous file's data is written by now (Prepared.data): its batch's space can be reused.
    if (this.written) this.release();
    return this.bigWhenReady(job);
  }

  private async bigWhenReady(job: BigJob): Promise<BigPrepared | undefined> {
    await this.prepareUntilDone(job);
    if (this.failure) throw this.failure;
    const r = job.done ?? (await job.reply!);
    job.taken = true;
    const fd = job.fd ?? -1;
    // Only deflated bytes are read back: otherwise the writer has no use for the file.
    if (r.method !== 8 && fd >= 0) fs.closeSync(fd);
    if (r.failed) throw this.translate(Object.assign(new Error(r.failed.message), { code: r.failed.code }), this.entry(job.index));
    return r.method < 0 ? undefined : ({ ...r, fd: r.method === 8 ? fd : -1 } as BigPrepared);
  }

  /** The main thread prepares the next big file not handed out yet itself; false when there is none. */
  private prepareBigHere(): boolean {
    const job = this.bigJobs[this.nextBig];
    if (!job) return false;
    this.nextBig++;
    const req = this.bigRequest(job);
    job.done = req ? runBig(this.prepare, req) : { method: -1 };
    job.reply = Promise.resolve(job.done);
    return true;
  }

  /** The main thread prepares the next free batch itself; false when there is none or no room in the ring. */
  private prepareOneHere(): boolean {
    const b = this.claim();
    if (!b) return false;
    b.done = runBatch(this.prepare, this.request(b));
    b.reply = Promise.resolve(b.done);
    return true;
  }

  private request(b: Batch): BatchRequest {
    const paths: string[] = [];
    const sizes: number[] = [];
    // One entry object per file (the Listing makes one each time it is asked).
    for (const i of b.indices) {
      const e = this.entry(i);
      paths.push(e.absPath);
      sizes.push(e.size);
    }
    return { paths, sizes, level: this.level, ring: this.ring.buffer, at: b.at! };
  }

  /**
   * The prepared file for entry `i`; entries must be taken in ascending order. A promise only when
   * its batch is not ready yet: most files come from a batch already here, and the writer's loop
   * then takes them without a turn of the event loop.
   */
  take(i: number): Prepared | Promise<Prepared> {
    this.dropBefore(i);
    const seg = this.segmentOf(i);
    const b = this.batches[seg.batchOf[i - seg.base]! - this.dropped];
    if (!b) throw new Error(`internal: entry ${i} is not prepared here`);
    // The previous file's data is written by now (Prepared.data): its batch's space can be reused.
    if (this.written && this.written !== b) this.release();
    if (b.done !== undefined && !this.failure) return this.fromBatch(b, b.done, i);
    return this.takeWhenReady(b, i);
  }

  private async takeWhenReady(b: Batch, i: number): Promise<Prepared> {
    await this.prepareUntilDone(b);
    if (this.failure) throw this.failure;
    return this.fromBatch(b, b.done ?? (await b.reply!), i);
  }

  /**
   * Until a batch or big file is prepared (or a worker failed), the main thread prepares the next
   * free batch, or else the next big file, itself instead of waiting. A batch or big file not
   * handed out yet is the next free one (every one before it is written), so the first of those
   * prepares it.
   */
  private async prepareUntilDone(item: { done?: unknown; reply?: Promise<unknown> }): Promise<void> {
    while (item.done === undefined && !this.failure) {
      if (!this.prepareOneHere() && !this.prepareBigHere()) {
        await item.reply;
        return;
      }
      // Let the workers' replies in (and top their queues up) before deciding again.
      if (item.done === undefined) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private fromBatch(b: Batch, r: BatchReply, i: number): Prepared {
    const k = b.indices.indexOf(i);
    if (r.failed && r.failed.index <= k) {
      const { code, message } = r.failed;
      throw this.translate(Object.assign(new Error(message), { code }), this.entry(b.indices[r.failed.index]!));
    }
    const data = Buffer.from(this.ring.buffer, r.offsets[k]!, r.lengths[k]!);
    // Freed when the next file is taken, once the writer is done with this one.
    if (k === b.indices.length - 1) this.written = b;
    return { method: r.methods[k]!, crc: r.crcs[k]!, hash: Buffer.from(r.hashes.buffer, r.hashes.byteOffset + k * 32, 32), data };
  }

  /** Frees the written batch's space and reply, and hands out what now fits. */
  private release(): void {
    const b = this.written!;
    this.written = undefined;
    // Batches are written in order, so the one written is the first kept.
    if (this.batches[0] === b) {
      this.batches.shift();
      this.dropped++;
    }
    this.ring.free();
    b.reply = undefined;
    b.done = undefined;
    this.pump();
    this.sinceGc += b.bytes;
    if (this.sinceGc > GC_EVERY_BYTES) {
      this.sinceGc = 0;
      collectYoung();
    }
  }

  private translate(err: unknown, e: LayerEntry): Error {
    if ((err as NodeJS.ErrnoException).code === CHANGED) return new UserError(`file changed while zipping: ${e.path}`);
    return fsFailure("cannot read", e.path, err);
  }

  /** Stops the workers; no read outlives the writer's file. */
  async close(): Promise<void> {
    this.nextFree = this.dropped + this.batches.length;
    this.nextBig = this.bigJobs.length;
    await Promise.all((this.workers ?? []).map((s) => s.worker.terminate()));
    // Big files handed out and never taken (the write failed first); their workers are gone. Once:
    // a Preparer may be closed twice (by writeZip, and by the caller that made it).
    for (const job of this.bigJobs) {
      if (job.taken || job.fd === undefined || job.fd < 0) continue;
      fs.closeSync(job.fd);
      job.fd = -1;
    }
  }
}
