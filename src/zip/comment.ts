// The archive comment of an existing zip, for the "nothing to do" check: read from the end record
// by hand rather than with yauzl, which would load zlib, streams and assert at start-up for the
// one thing this path needs (see the README's benchmark section for what start-up costs).
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** What the end record of a zip says. */
export interface ZipEnd {
  comment: string;
  /** the entry count, 65,535 at most (a zip64 one says 0xffff here) */
  entries: number;
}

/**
 * The archive comment and entry count of the zip at `path`: `undefined` when no file is there,
 * `null` when the file is not a readable zip (foreign or corrupt output gets rebuilt, it is no
 * error). Reads only the end of the file. As in yauzl: the last end record whose comment length
 * reaches exactly to the end of the file, on disk 0; the comment is read as single bytes (ours is
 * ASCII, so any other comment simply does not match).
 */
export function readZipEnd(path: string): ZipEnd | null | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? undefined : null;
  }
  try {
    const size = fstatSync(fd).size;
    const want = Math.min(size, EOCD_SIZE + MAX_COMMENT);
    const buf = Buffer.allocUnsafe(want);
    let n = 0;
    while (n < want) {
      const got = readSync(fd, buf, n, want - n, size - want + n);
      if (got === 0) return null;
      n += got;
    }
    for (let i = want - EOCD_SIZE; i >= 0; i--) {
      if (buf.readUInt32LE(i) !== EOCD_SIGNATURE) continue;
      if (buf.readUInt16LE(i + 4) !== 0) return null; // multi-disk
      const commentLength = buf.readUInt16LE(i + 20);
      if (commentLength !== want - i - EOCD_SIZE) return null;
      return { comment: buf.toString("latin1", i + EOCD_SIZE, want), entries: buf.readUInt16LE(i + 10) };
    }
    return null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
