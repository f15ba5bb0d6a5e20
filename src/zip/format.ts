// The bytes of the zip records we write (APPNOTE 6.3): local and central headers, ZIP64 records,
// end of central directory. Every field here is part of the layer's compatibility promise: a change
// changes every user's zip, and so publishes a new layer version for everyone.
import { isAscii } from "node:buffer";
import { UserError } from "../errors.js";

/** Deflate level; part of the bytes, so a change is a compatibility break like any other here. */
export const DEFAULT_LEVEL = 6;

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;

const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
const MADE_BY_UNIX = 3;
const FLAG_UTF8 = 1 << 11;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const MSDOS_DIRECTORY = 0x10;

/** DOS date and time packed as (date << 16) | time. */
export type DosDateTime = number;

const DOS_MIN_SECONDS = Date.UTC(1980, 0, 1) / 1000;
const DOS_MAX_SECONDS = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000;

/** 1980-01-01 00:00, or SOURCE_DATE_EPOCH clamped to the DOS range; always from UTC fields. */
export function zipTimestamp(env: NodeJS.ProcessEnv = process.env): { seconds: number; dos: DosDateTime } {
  const raw = env.SOURCE_DATE_EPOCH?.trim();
  let seconds = DOS_MIN_SECONDS;
  if (raw) {
    if (!/^-?\d+$/.test(raw)) throw new UserError(`SOURCE_DATE_EPOCH must be whole seconds since 1970, got: ${raw}`, 2);
    seconds = Math.min(Math.max(Number(raw), DOS_MIN_SECONDS), DOS_MAX_SECONDS);
  }
  seconds -= seconds % 2; // DOS times have two-second steps
  const d = new Date(seconds * 1000);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  return { seconds, dos: ((date << 16) | time) >>> 0 };
}

export interface EntryRecord {
  name: Buffer;
  directory: boolean;
  mode: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

function flagsOf(name: Buffer): number {
  return isAscii(name) ? 0 : FLAG_UTF8;
}

/** Whether the local header carries a ZIP64 extra: decided from the size alone, before writing. */
export function localNeedsZip64(size: number): boolean {
  return size >= U32_MAX;
}

export function localHeaderSize(e: Pick<EntryRecord, "name" | "size">): number {
  return 30 + e.name.length + (localNeedsZip64(e.size) ? 20 : 0);
}

/**
 * Little-endian fields through a DataView: its setters are V8 builtins, while Buffer's
 * writeUInt32LE and friends are JavaScript with range checks, ~5 us a header with the optimizing
 * compiler off (as it is while a zip is written) against ~0.5 us here. Two headers per entry.
 */
function fields(b: Buffer, at: number, size: number): DataView {
  return new DataView(b.buffer, b.byteOffset + at, size);
}

/** Writes the local header at `at` (every byte of it); returns where it ends. */
export function writeLocalHeader(b: Buffer, at: number, e: Omit<EntryRecord, "offset">, dos: DosDateTime): number {
  const zip64 = localNeedsZip64(e.size);
  const extraLen = zip64 ? 20 : 0;
  const size = 30 + e.name.length + extraLen;
  const v = fields(b, at, size);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, zip64 ? 45 : 20, true);
  v.setUint16(6, flagsOf(e.name), true);
  v.setUint16(8, e.method, true);
  v.setUint32(10, dos, true); // time (low half) then date (high half)
  v.setUint32(14, e.crc >>> 0, true);
  v.setUint32(18, zip64 ? U32_MAX : e.compressedSize, true);
  v.setUint32(22, zip64 ? U32_MAX : e.size, true);
  v.setUint16(26, e.name.length, true);
  v.setUint16(28, extraLen, true);
  e.name.copy(b, at + 30);
  if (zip64) {
    const x = 30 + e.name.length;
    v.setUint16(x, 0x0001, true);
    v.setUint16(x + 2, 16, true);
    v.setBigUint64(x + 4, BigInt(e.size), true);
    v.setBigUint64(x + 12, BigInt(e.compressedSize), true);
  }
  return at + size;
}

export function localHeader(e: Omit<EntryRecord, "offset">, dos: DosDateTime): Buffer {
  const b = Buffer.allocUnsafe(localHeaderSize(e));
  writeLocalHeader(b, 0, e, dos);
  return b;
}

/** The ZIP64 extra's values, in the order APPNOTE 4.5.3 gives: only the fields that overflow. */
function zip64Values(e: EntryRecord): number[] {
  const big: number[] = [];
  if (e.size >= U32_MAX) big.push(e.size);
  if (e.compressedSize >= U32_MAX) big.push(e.compressedSize);
  if (e.offset >= U32_MAX) big.push(e.offset);
  return big;
}

export function centralHeaderSize(e: EntryRecord): number {
  const big = zip64Values(e).length;
  return 46 + e.name.length + (big ? 4 + 8 * big : 0);
}

/** Writes the central directory header at `at` (every byte of it); returns where it ends. */
export function writeCentralHeader(b: Buffer, at: number, e: EntryRecord, dos: DosDateTime): number {
  const big = zip64Values(e);
  const zip64 = big.length > 0 || localNeedsZip64(e.size);
  const extraLen = big.length ? 4 + 8 * big.length : 0;
  const version = zip64 ? 45 : 20;
  const size = 46 + e.name.length + extraLen;
  const v = fields(b, at, size);
  v.setUint32(0, 0x02014b50, true);
  v.setUint16(4, (MADE_BY_UNIX << 8) | version, true);
  v.setUint16(6, version, true);
  v.setUint16(8, flagsOf(e.name), true);
  v.setUint16(10, e.method, true);
  v.setUint32(12, dos, true);
  v.setUint32(16, e.crc >>> 0, true);
  v.setUint32(20, Math.min(e.compressedSize, U32_MAX), true);
  v.setUint32(24, Math.min(e.size, U32_MAX), true);
  v.setUint16(28, e.name.length, true);
  v.setUint16(30, extraLen, true);
  v.setUint32(32, 0, true); // comment length, disk number
  v.setUint16(36, 0, true); // internal attributes
  const attrs = e.directory ? ((S_IFDIR | e.mode) << 16) | MSDOS_DIRECTORY : (S_IFREG | e.mode) << 16;
  v.setUint32(38, attrs >>> 0, true);
  v.setUint32(42, Math.min(e.offset, U32_MAX), true);
  e.name.copy(b, at + 46);
  if (big.length) {
    let x = 46 + e.name.length;
    v.setUint16(x, 0x0001, true);
    v.setUint16(x + 2, 8 * big.length, true);
    x += 4;
    for (const n of big) {
      v.setBigUint64(x, BigInt(n), true);
      x += 8;
    }
  }
  return at + size;
}

/** ZIP64 end records (when needed) followed by the classic end record with the comment. */
export function endRecords(count: number, cdOffset: number, cdSize: number, comment: Buffer): Buffer {
  if (comment.length > U16_MAX) throw new Error("zip comment too long");
  const parts: Buffer[] = [];
  const zip64 = count >= U16_MAX || cdOffset >= U32_MAX || cdSize >= U32_MAX;
  if (zip64) {
    const eocd64Offset = cdOffset + cdSize;
    const r = Buffer.alloc(56);
    r.writeUInt32LE(0x06064b50, 0);
    r.writeBigUInt64LE(44n, 4);
    r.writeUInt16LE((MADE_BY_UNIX << 8) | 45, 12);
    r.writeUInt16LE(45, 14);
    // this disk, disk with the central directory: 0
    r.writeBigUInt64LE(BigInt(count), 24);
    r.writeBigUInt64LE(BigInt(count), 32);
    r.writeBigUInt64LE(BigInt(cdSize), 40);
    r.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(eocd64Offset), 8);
    loc.writeUInt32LE(1, 16);
    parts.push(r, loc);
  }
  const e = Buffer.alloc(22 + comment.length);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(Math.min(count, U16_MAX), 8);
  e.writeUInt16LE(Math.min(count, U16_MAX), 10);
  e.writeUInt32LE(Math.min(cdSize, U32_MAX), 12);
  e.writeUInt32LE(Math.min(cdOffset, U32_MAX), 16);
  e.writeUInt16LE(comment.length, 20);
  comment.copy(e, 22);
  parts.push(e);
  return Buffer.concat(parts);
}
