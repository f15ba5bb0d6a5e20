// What CircleCI's restore_cache / save_cache do to a job's fresh checkout, with real tar as
// CircleCI uses: an entry is saved once per key and never overwritten, restoring brings files and
// folders back with their modification times, and entries expire (clear()).
import { createHash } from "node:crypto";
import { access, mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { run } from "./run.js";

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** `{{ checksum "file" }}` */
export async function checksum(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}

export class CiCache {
  constructor(private readonly store: string) {}

  private archive(key: string): string {
    return join(this.store, `${key}.tar`);
  }

  /** restore_cache with one exact key (no fallback): true on a hit. */
  async restore(key: string, workDir: string): Promise<boolean> {
    if (!(await exists(this.archive(key)))) return false;
    await run("tar", ["-C", workDir, "-xf", this.archive(key)]);
    return true;
  }

  /**
   * restore_cache with several keys, as CircleCI matches them: each key in turn as a prefix, the
   * most recently saved entry first. Returns the key of the entry restored, if any.
   */
  async restoreFirst(keys: string[], workDir: string): Promise<string | undefined> {
    const names = (await exists(this.store)) ? (await readdir(this.store)).filter((n) => n.endsWith(".tar")).map((n) => n.slice(0, -4)) : [];
    for (const key of keys) {
      const matches = await Promise.all(names.filter((n) => n.startsWith(key)).map(async (n) => ({ n, t: (await stat(this.archive(n))).mtimeMs })));
      const newest = matches.sort((a, b) => b.t - a.t)[0];
      if (newest) {
        await run("tar", ["-C", workDir, "-xf", this.archive(newest.n)]);
        return newest.n;
      }
    }
    return undefined;
  }

  /** save_cache: a key that already exists is left as it is; missing paths are skipped. */
  async save(key: string, workDir: string, paths: string[]): Promise<void> {
    if (await exists(this.archive(key))) return;
    const present: string[] = [];
    for (const path of paths) if (await exists(join(workDir, path))) present.push(path);
    await mkdir(this.store, { recursive: true });
    await run("tar", ["-C", workDir, "-cf", this.archive(key), ...present]);
  }

  /** Every entry gone: caches expired, or a new branch that finds none. */
  async clear(): Promise<void> {
    await rm(this.store, { recursive: true, force: true });
  }
}
