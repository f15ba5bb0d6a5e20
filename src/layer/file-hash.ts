// Reading a file in fixed-size chunks, so memory does not grow with the file: the content hash of a
// layer file, and the zip's own sums (src/zip/file-sums.ts).
import { closeSync, openSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import { UserError } from "../errors.js";
import { fsFailure } from "./fs-error.js";

const CHUNK = 1 << 20;
let scratch: Buffer | undefined;

/** Hands the file to `onChunk` piece by piece (one reused buffer) and returns its length; `shown` names it in errors. */
export function readChunksSync(absPath: string, shown: string, onChunk: (chunk: Buffer) => void): number {
  scratch ??= Buffer.allocUnsafe(CHUNK);
  let fd: number;
  try {
    fd = openSync(absPath, "r");
  } catch (err) {
    throw fsFailure("cannot read", shown, err);
  }
  let total = 0;
  try {
    for (;;) {
      const n = readSync(fd, scratch, 0, CHUNK, null);
      if (n === 0) break;
      onChunk(scratch.subarray(0, n));
      total += n;
    }
  } catch (err) {
    throw fsFailure("cannot read", shown, err);
  } finally {
    closeSync(fd);
  }
  return total;
}

/** sha256 hex of the file; `rel` names it in errors; `size` is what the walk saw. */
export function hashFileSync(absPath: string, rel: string, size: number): string {
  const h = createHash("sha256");
  const total = readChunksSync(absPath, rel, (chunk) => h.update(chunk));
  if (total !== size) throw new UserError(`file changed while reading: ${rel}`);
  return h.digest("hex");
}
