// A zip or a folder, listed the same way: entries with content hashes, plus the few text files a
// caller wants to read (package metadata for `diff`).
import { readFileSync, statSync } from "node:fs";
import { UserError } from "../errors.js";
import { readZipContents } from "../zip/read.js";
import type { DigestEntry } from "./digest.js";
import { hashFileSync } from "./file-hash.js";
import { fsFailure } from "./fs-error.js";
import { walkLayer, type WalkOptions } from "./walk.js";

export interface LayerContents {
  kind: "zip" | "folder";
  entries: DigestEntry[];
  texts: Map<string, string>;
  /** the archive comment, for zips */
  comment?: string;
}

export async function readContents(path: string, opts: WalkOptions & { keepText?: (path: string) => boolean } = {}): Promise<LayerContents> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new UserError(`not found: ${path}`);
    throw fsFailure("cannot read", path, err);
  }
  const keepText = opts.keepText ?? (() => false);
  if (!isDir) {
    const z = await readZipContents(path, keepText);
    return { kind: "zip", entries: z.entries, texts: z.texts, comment: z.comment };
  }
  const walked = await walkLayer(path, opts);
  const texts = new Map<string, string>();
  const entries = Array.from(walked, (e): DigestEntry => {
    if (e.type === "directory") return { path: e.path, type: e.type, mode: e.mode, size: 0, hash: "" };
    if (keepText(e.path)) {
      try {
        texts.set(e.path, readFileSync(e.absPath, "utf8"));
      } catch (err) {
        throw fsFailure("cannot read", e.path, err);
      }
    }
    return { path: e.path, type: e.type, mode: e.mode, size: e.size, hash: hashFileSync(e.absPath, e.path, e.size) };
  });
  return { kind: "folder", entries, texts };
}
