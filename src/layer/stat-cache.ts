// `<output>.stat.json`: content hashes by (path, size, mtime), and the zip's own hashes by its
// stat, so a "nothing to do" run costs stat calls and reading the zip's tail, not reading files.
import { readFileSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import type { LayerEntry } from "./walk.js";

const VERSION = 1;
/**
 * A hash is only trusted when the file's mtime is this much older than the moment it was read:
 * a later write then always moves the mtime, even on file systems with coarse timestamps.
 */
const RACY_MARGIN_NS = 3_000_000_000n;

export interface ZipIdentity {
  size: number;
  mtimeNs: string;
  ino: string;
  md5: string;
  sha256: string;
}

interface CacheFile {
  version: number;
  zip?: ZipIdentity;
  files: Record<string, [size: number, mtimeNs: string, hash: string]>;
}

export class StatCache {
  private dirty = false;

  private constructor(
    readonly path: string,
    private data: CacheFile,
  ) {}

  /** A missing, unreadable or foreign cache is an empty one. */
  static load(path: string): StatCache {
    try {
      const data = JSON.parse(readFileSync(path, "utf8")) as CacheFile;
      if (data && data.version === VERSION && typeof data.files === "object" && data.files) return new StatCache(path, data);
    } catch {
      // start empty
    }
    return new StatCache(path, { version: VERSION, files: {} });
  }

  lookup(e: LayerEntry): string | undefined {
    const hit = this.data.files[e.path];
    if (hit && hit[0] === e.size && hit[1] === e.mtimeNs.toString()) return hit[2];
    return undefined;
  }

  /** Records a hash computed now, unless the file is too fresh to be trusted later. */
  remember(e: LayerEntry, hash: string, readAtNs: bigint): void {
    if (e.mtimeNs + RACY_MARGIN_NS >= readAtNs) {
      if (this.data.files[e.path]) {
        delete this.data.files[e.path];
        this.dirty = true;
      }
      return;
    }
    const mtime = e.mtimeNs.toString();
    const old = this.data.files[e.path];
    if (old && old[0] === e.size && old[1] === mtime && old[2] === hash) return;
    this.data.files[e.path] = [e.size, mtime, hash];
    this.dirty = true;
  }

  /** Drops paths that are no longer in the layer. */
  keepOnly(entries: readonly LayerEntry[]): void {
    const present = new Set(entries.map((e) => e.path));
    for (const p of Object.keys(this.data.files)) {
      if (!present.has(p)) {
        delete this.data.files[p];
        this.dirty = true;
      }
    }
  }

  zip(size: number, mtimeNs: bigint, ino: bigint): ZipIdentity | undefined {
    const z = this.data.zip;
    if (z && z.size === size && z.mtimeNs === mtimeNs.toString() && z.ino === ino.toString()) return z;
    return undefined;
  }

  setZip(z: ZipIdentity): void {
    this.data.zip = z;
    this.dirty = true;
  }

  /** Written through a temp file; a cache that cannot be written only costs speed next time. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    const temp = `${this.path}.${process.pid}.tmp`;
    try {
      const fh = await open(temp, "w", 0o644);
      try {
        await fh.writeFile(JSON.stringify(this.data));
      } finally {
        await fh.close();
      }
      await rename(temp, this.path);
      this.dirty = false;
    } catch {
      await unlink(temp).catch(() => {});
    }
  }
}
