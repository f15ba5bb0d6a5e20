// The cache key of a layer build, and the copy of it kept beside the zip (`<output>.key`): the key
// the layer folder and zip there were built for, so a CI cache restore can skip the install.
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { UserError } from "../errors.js";
import { dirname } from "node:path";
import { computeKey } from "../key.js";
import { fsFailure } from "../layer/fs-error.js";
import { VERSION } from "../version.js";

export interface KeyInputs {
  lockfile: string;
  runtime: string;
  architecture: string;
  pkgManager: string;
  compileBytecode: boolean;
}

export function buildKey(k: KeyInputs): Promise<string> {
  return computeKey(
    [k.lockfile],
    [
      `runtime=${k.runtime}`,
      `architecture=${k.architecture}`,
      `pkg-manager=${k.pkgManager}`,
      `compile-bytecode=${k.compileBytecode}`,
      `sam-layer=${VERSION}`,
    ],
  );
}

export function recordedKeyPath(output: string): string {
  return `${output}.key`;
}

export async function readRecordedKey(output: string): Promise<string | undefined> {
  try {
    return (await readFile(recordedKeyPath(output), "utf8")).trim();
  } catch {
    return undefined;
  }
}

/**
 * Temp file + rename: a half-written key must never match. Not for a device or pipe (say
 * `--write-key /dev/null`): renaming over that would replace the device itself, so it is written to.
 */
export async function writeKeyFile(path: string, key: string): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new UserError(`cannot write ${path}: is a folder`);
  if (existing && !existing.isFile()) {
    try {
      await writeFile(path, `${key}\n`);
      return;
    } catch (err) {
      throw fsFailure("cannot write", path, err);
    }
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, `${key}\n`);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw fsFailure("cannot write", path, err);
  }
}

export async function forgetRecordedKey(output: string): Promise<void> {
  try {
    await rm(recordedKeyPath(output), { force: true });
  } catch (err) {
    throw fsFailure("cannot remove", recordedKeyPath(output), err);
  }
}
