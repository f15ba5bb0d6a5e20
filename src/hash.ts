// `sam-layer hash`: the content digest of a zip or a folder; for a zip also the names AWS gives it.
import { resolve } from "node:path";
import { contentDigest } from "./layer/digest.js";
import { readContents } from "./layer/contents.js";
import type { WalkOptions } from "./layer/walk.js";
import { fileSums } from "./zip/file-sums.js";

export interface HashResult {
  path: string;
  kind: "zip" | "folder";
  entries: number;
  unzippedBytes: number;
  /** sha256 hex over paths, types, modes, sizes and contents: equal for a folder and its zip */
  digest: string;
  /** zips only: MD5 hex of the bytes (the S3 key of `aws cloudformation package` / `sam package`) */
  md5?: string;
  /** zips only: base64 SHA-256 of the bytes (Lambda's CodeSha256) */
  sha256?: string;
}

export async function hashLayer(path: string, opts: WalkOptions = {}): Promise<HashResult> {
  const contents = await readContents(path, opts);
  const result: HashResult = {
    path: resolve(path),
    kind: contents.kind,
    entries: contents.entries.length,
    unzippedBytes: contents.entries.reduce((n, e) => n + e.size, 0),
    digest: contentDigest(contents.entries),
  };
  if (contents.kind === "zip") Object.assign(result, fileSums(path));
  return result;
}
