// The content digest: what the zip comment records and what `hash` prints for a zip or a folder.
import { createHash } from "node:crypto";
import type { LayerEntry } from "./walk.js";

export type DigestEntry = Pick<LayerEntry, "path" | "type" | "mode" | "size"> & {
  /** sha256 hex of the content; "" for directories */
  hash: string;
};

/**
 * sha256 over every entry in zip order: path, type, normalized mode, size, content hash. Fields end
 * with NUL, which no path can contain, so no two listings share an encoding.
 */
export function contentDigest(entries: readonly DigestEntry[]): string {
  const h = createHash("sha256");
  h.update("sam-layer-digest/1\0");
  // Fed in batches: one update per entry costs more than hashing the bytes.
  let batch: string[] = [];
  for (const e of entries) {
    batch.push(`${e.path}\0${e.type}\0${e.mode.toString(8)}\0${e.size}\0${e.hash}\0`);
    if (batch.length === 1024) {
      h.update(batch.join(""));
      batch = [];
    }
  }
  h.update(batch.join(""));
  return h.digest("hex");
}
