// The two hashes AWS uses to name a zip: MD5 hex (the S3 key `package` uploads under) and
// base64 SHA-256 (Lambda's CodeSha256).
import { closeSync, openSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import { fsFailure } from "../layer/fs-error.js";

export interface FileSums {
  md5: string;
  sha256: string;
}

export function fileSums(path: string): FileSums {
  const md5 = createHash("md5");
  const sha = createHash("sha256");
  const buf = Buffer.allocUnsafe(1 << 20);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw fsFailure("cannot read", path, err);
  }
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      md5.update(buf.subarray(0, n));
      sha.update(buf.subarray(0, n));
    }
  } catch (err) {
    throw fsFailure("cannot read", path, err);
  } finally {
    closeSync(fd);
  }
  return { md5: md5.digest("hex"), sha256: sha.digest("base64") };
}
