// Content hash of one file, read in fixed-size chunks so memory does not grow with the file.
import { closeSync, openSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import { UserError } from "../errors.js";
import { fsFailure } from "./fs-error.js";

const CHUNK = 1 << 20;
let scratch: Buffer | undefined;

/** sha256 hex of the file; `rel` names it in errors; `size` is what the walk saw. */
export function hashFileSync(absPath: string, rel: string, size: number): string {
  scratch ??= Buffer.allocUnsafe(CHUNK);
  const h = createHash("sha256");
  let fd: number;
  try {
    fd = openSync(absPath, "r");
  } catch (err) {
    throw fsFailure("cannot read", rel, err);
  }
  try {
    let total = 0;
    for (;;) {
      const n = readSync(fd, scratch, 0, CHUNK, null);
      if (n === 0) break;
      h.update(scratch.subarray(0, n));
      total += n;
    }
    if (total !== size) throw new UserError(`file changed while reading: ${rel}`);
  } catch (err) {
    throw fsFailure("cannot read", rel, err);
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}
