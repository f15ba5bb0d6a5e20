// The two hashes AWS uses to name a zip: MD5 hex (the S3 key `package` uploads under) and
// base64 SHA-256 (Lambda's CodeSha256).
import { createHash } from "node:crypto";
import { readChunksSync } from "../layer/file-hash.js";

export interface FileSums {
  md5: string;
  sha256: string;
}

export function fileSums(path: string): FileSums {
  const md5 = createHash("md5");
  const sha = createHash("sha256");
  readChunksSync(path, path, (chunk) => {
    md5.update(chunk);
    sha.update(chunk);
  });
  return { md5: md5.digest("hex"), sha256: sha.digest("base64") };
}
