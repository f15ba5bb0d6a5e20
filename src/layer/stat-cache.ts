// `<output>.stat.json`: content hashes by (path, size, mtime), and the zip's own hashes by its
// stat, so a "nothing to do" run costs stat calls and reading the zip's tail, not reading files.
import { readFileSync } from "node:fs";
import type { LayerEntry } from "./walk.js";

const VERSION = 1;
/**
 * A hash is only trusted when the file's mtime is this much older than the moment it was read:
 * a later write then always moves the mtime, even on file systems with coarse timestamps.
 */
const RACY_MARGIN_MS = 3000;

export interface ZipIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
  md5: string;
  sha256: string;
}

interface CacheFile {
  version: number;
  zip?: ZipIdentity;
  /** mtime in ms with its sub-ms digits, as stat reports it */
  files: Record<string, [size: number, mtimeMs: number, hash: string]>;
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
    if (hit && hit[0] === e.size && hit[1] === e.mtimeMs) return hit[2];
    return undefined;
  }

  /** Records a hash computed now, unless the file is too fresh to be trusted later. */
  remember(e: LayerEntry, hash: string, readAtMs: number): void {
    if (e.mtimeMs + RACY_MARGIN_MS >= readAtMs) {
      if (this.data.files[e.path]) {
        delete this.data.files[e.path];
        this.dirty = true;
      }
      return;
    }
    const old = this.data.files[e.path];
    if (old && old[0] === e.size && old[1] === e.mtimeMs && old[2] === hash) return;
    this.data.files[e.path] = [e.size, e.mtimeMs, hash];
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

  zip(size: number, mtimeMs: number, ino: number): ZipIdentity | undefined {
    const z = this.data.zip;
    if (z && z.size === size && z.mtimeMs === mtimeMs && z.ino === ino) return z;
    return undefined;
  }

  setZip(z: ZipIdentity): void {
    const old = this.data.zip;
    if (old && old.size === z.size && old.mtimeMs === z.mtimeMs && old.ino === z.ino && old.md5 === z.md5 && old.sha256 === z.sha256) return;
    this.data.zip = { size: z.size, mtimeMs: z.mtimeMs, ino: z.ino, md5: z.md5, sha256: z.sha256 };
    this.dirty = true;
  }

  /** Written through a temp file; a cache that cannot be written only costs speed next time. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    // Loaded here: an unchanged layer never writes the cache, and fs/promises costs start-up time.
    const { open, rename, unlink } = await import("node:fs/promises");
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
