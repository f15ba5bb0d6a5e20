// The bytes of the zip records we write (APPNOTE 6.3): local and central headers, ZIP64 records,
// end of central directory. Every field here is part of the layer's compatibility promise: a change
// changes every user's zip, and so publishes a new layer version for everyone.
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

function isAscii(name: Buffer): boolean {
  for (const b of name) if (b > 0x7f) return false;
  return true;
}

function flagsOf(name: Buffer): number {
  return isAscii(name) ? 0 : FLAG_UTF8;
}

/** Whether the local header carries a ZIP64 extra: decided from the size alone, before writing. */
export function localNeedsZip64(size: number): boolean {
  return size >= U32_MAX;
}

export function localHeader(e: Omit<EntryRecord, "offset">, dos: DosDateTime): Buffer {
  const zip64 = localNeedsZip64(e.size);
  const extraLen = zip64 ? 20 : 0;
  const b = Buffer.alloc(30 + e.name.length + extraLen);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(zip64 ? 45 : 20, 4);
  b.writeUInt16LE(flagsOf(e.name), 6);
  b.writeUInt16LE(e.method, 8);
  b.writeUInt32LE(dos, 10); // time (low half) then date (high half)
  b.writeUInt32LE(e.crc >>> 0, 14);
  b.writeUInt32LE(zip64 ? U32_MAX : e.compressedSize, 18);
  b.writeUInt32LE(zip64 ? U32_MAX : e.size, 22);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(extraLen, 28);
  e.name.copy(b, 30);
  if (zip64) {
    const x = 30 + e.name.length;
    b.writeUInt16LE(0x0001, x);
    b.writeUInt16LE(16, x + 2);
    b.writeBigUInt64LE(BigInt(e.size), x + 4);
    b.writeBigUInt64LE(BigInt(e.compressedSize), x + 12);
  }
  return b;
}

export function centralHeader(e: EntryRecord, dos: DosDateTime): Buffer {
  const big: bigint[] = [];
  if (e.size >= U32_MAX) big.push(BigInt(e.size));
  if (e.compressedSize >= U32_MAX) big.push(BigInt(e.compressedSize));
  if (e.offset >= U32_MAX) big.push(BigInt(e.offset));
  const zip64 = big.length > 0 || localNeedsZip64(e.size);
  const extraLen = big.length ? 4 + 8 * big.length : 0;
  const version = zip64 ? 45 : 20;
  const b = Buffer.alloc(46 + e.name.length + extraLen);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE((MADE_BY_UNIX << 8) | version, 4);
  b.writeUInt16LE(version, 6);
  b.writeUInt16LE(flagsOf(e.name), 8);
  b.writeUInt16LE(e.method, 10);
  b.writeUInt32LE(dos, 12);
  b.writeUInt32LE(e.crc >>> 0, 16);
  b.writeUInt32LE(Math.min(e.compressedSize, U32_MAX), 20);
  b.writeUInt32LE(Math.min(e.size, U32_MAX), 24);
  b.writeUInt16LE(e.name.length, 28);
  b.writeUInt16LE(extraLen, 30);
  // comment length, disk number, internal attributes: 0
  const attrs = e.directory ? ((S_IFDIR | e.mode) << 16) | MSDOS_DIRECTORY : (S_IFREG | e.mode) << 16;
  b.writeUInt32LE(attrs >>> 0, 38);
  b.writeUInt32LE(Math.min(e.offset, U32_MAX), 42);
  e.name.copy(b, 46);
  if (big.length) {
    let x = 46 + e.name.length;
    b.writeUInt16LE(0x0001, x);
    b.writeUInt16LE(8 * big.length, x + 2);
    x += 4;
    for (const v of big) {
      b.writeBigUInt64LE(v, x);
      x += 8;
    }
  }
  return b;
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
