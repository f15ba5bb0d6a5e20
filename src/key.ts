// One stable digest of lockfile contents plus extra strings (runtime, architecture, versions),
// for CI cache keys: a file CircleCI's {{ checksum }} can read.
import { createHash } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { UserError } from "./errors.js";
import { fsFailure } from "./layer/fs-error.js";
import { replaceAtomically } from "./zip/atomic.js";

/**
 * sha256 hex over the lockfiles' bytes and the extras, in the order given. Paths are not part of
 * the key (the same project checked out elsewhere gets the same key); each part is length-prefixed
 * so moving bytes from one part to the next changes the key.
 */
export async function computeKey(lockfiles: string[], extras: string[]): Promise<string> {
  if (lockfiles.length === 0) throw new UserError("key: name at least one lockfile", 2);
  const h = createHash("sha256");
  h.update("sam-layer-key/1\n");
  for (const file of lockfiles) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new UserError(`lockfile not found: ${file}`);
      if (code === "EISDIR") throw new UserError(`lockfile is a folder, not a file: ${file}`);
      throw fsFailure("cannot read lockfile", file, err);
    }
    h.update(`file ${bytes.length}\n`);
    h.update(bytes);
  }
  for (const extra of extras) {
    const bytes = Buffer.from(extra, "utf8");
    h.update(`extra ${bytes.length}\n`);
    h.update(bytes);
  }
  return h.digest("hex");
}

/**
 * Writes the key and a newline to `file`. A regular file is replaced atomically (its folder made
 * first), so a half-written key never matches; a device or pipe (`--write /dev/stdout`) is written
 * to, never renamed over (as root, a rename would replace /dev/null itself). `option` is the flag
 * that named the file, for the usage error when it is a folder.
 */
export async function writeKeyFile(file: string, key: string, option?: string): Promise<void> {
  try {
    const existing = statSync(file, { throwIfNoEntry: false });
    if (existing?.isDirectory()) throw option ? new UserError(`${option} names a folder: ${file}`, 2) : new UserError(`cannot write ${file}: is a folder`);
    if (existing && !existing.isFile()) {
      await writeFile(file, `${key}\n`);
      return;
    }
    mkdirSync(dirname(file), { recursive: true });
    await replaceAtomically(file, (fh) => fh.writeFile(`${key}\n`));
  } catch (err) {
    throw fsFailure("cannot write", file, err);
  }
}
