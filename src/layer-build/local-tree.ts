// A folder of the user's own code (a local package, an --include folder) as a digest of its content
// (relative paths, bytes, executable bit; never mtimes or the folder's own location), and the copy
// of it that the build works from. Left out of both: LEFT_OUT_ANYWHERE, LEFT_OUT_AT_TOP, *.pyc
// and *.egg-info. What build tools and editors leave behind is left out of both,
// so building a package in place (setuptools writes build/ and *.egg-info there) does not change
// the key, and a stale build/lib can never reach a wheel.
import { createHash } from "node:crypto";
import { cp, lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { fsFailure } from "../layer/fs-error.js";

/** Never part of a local package's content, at any depth. */
const LEFT_OUT_ANYWHERE = new Set([".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".DS_Store"]);
/** Left out at the top of the folder only (a package may well have a module folder named build). */
const LEFT_OUT_AT_TOP = new Set(["build", "dist", ".venv", "venv", ".tox", ".nox", "node_modules", ".aws-sam"]);

/** Whether a name inside a copied folder is left out (`atTop`: directly in it); `leftOut` unless told. */
export type LeftOut = (name: string, atTop: boolean) => boolean;

export function leftOut(name: string, atTop: boolean): boolean {
  return LEFT_OUT_ANYWHERE.has(name) || (atTop && LEFT_OUT_AT_TOP.has(name)) || name.endsWith(".pyc") || name.endsWith(".egg-info");
}

/** `skip` entries are paths (a folder with its content), or prefixes ending in `*`. */
export function skipped(abs: string, skip: readonly string[]): boolean {
  return skip.some((s) => (s.endsWith("*") ? abs.startsWith(s.slice(0, -1)) : abs === s || abs.startsWith(s + sep)));
}

/**
 * sha256 hex of a folder's content (or of a file's bytes). `skip`: absolute paths left out too
 * (the layer folder and zip, when the local package is the app folder itself).
 */
export async function treeDigest(path: string, skip: readonly string[] = [], isLeftOut: LeftOut = leftOut): Promise<string> {
  const h = createHash("sha256");
  const root = resolve(path);
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(root);
  } catch (err) {
    throw fsFailure("cannot read", path, err);
  }
  if (!st.isDirectory()) return h.update(await readFile(root)).digest("hex");
  const walk = async (dir: string, rel: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (isLeftOut(name, rel === "")) continue;
      const abs = join(dir, name);
      if (skipped(abs, skip)) continue;
      const relPath = rel ? `${rel}/${name}` : name;
      const s = await lstat(abs);
      if (s.isDirectory()) {
        h.update(`d ${relPath}\n`);
        await walk(abs, relPath);
      } else if (s.isSymbolicLink()) {
        h.update(`l ${relPath} ${await readlink(abs)}\n`);
      } else if (s.isFile()) {
        const bytes = await readFile(abs);
        h.update(`f ${relPath} ${s.mode & 0o111 ? "x" : "-"} ${bytes.length}\n`);
        h.update(bytes);
      }
    }
  };
  try {
    await walk(root, "");
  } catch (err) {
    throw fsFailure("cannot read", path, err);
  }
  return h.digest("hex");
}

/** Copies a folder (or one file) without what treeDigest leaves out. */
export async function copyTree(from: string, to: string, skip: readonly string[] = [], isLeftOut: LeftOut = leftOut): Promise<void> {
  const root = resolve(from);
  try {
    await cp(root, to, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => {
        if (src === root) return true;
        const cut = src.lastIndexOf(sep);
        return !isLeftOut(src.slice(cut + 1), src.slice(0, cut) === root) && !skipped(src, skip);
      },
    });
  } catch (err) {
    throw fsFailure("cannot copy", from, err);
  }
}

/** A folder or file of the user's copied into the layer: an --include folder, or a layer folder's own code. */
export interface Include {
  /** absolute folder or file */
  src: string;
  /** relative to the layer folder, e.g. python/shared */
  dest: string;
  /** as given, for messages */
  shown: string;
  /** the layer folder's own code (found, not given with --include) */
  own?: boolean;
  /** what is left out inside it (default: leftOut) */
  leftOut?: LeftOut;
}
