// The cache key of a layer build, and the copy of it kept beside the zip (`<output>.key`): the key
// the layer folder and zip there were built for, so a CI cache restore can skip the install.
import { readFile, rm } from "node:fs/promises";
import { computeKey } from "../key.js";
import { fsFailure } from "../layer/fs-error.js";
import { VERSION } from "../version.js";

export interface KeyInputs {
  lockfile: string;
  runtime: string;
  architecture: string;
  pkgManager: string;
  compileBytecode: boolean;
  /** included requirements files, local packages' and --include folders' digests, extras */
  inputs: string[];
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
      ...k.inputs,
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

export async function forgetRecordedKey(output: string): Promise<void> {
  try {
    await rm(recordedKeyPath(output), { force: true });
  } catch (err) {
    throw fsFailure("cannot remove", recordedKeyPath(output), err);
  }
}
