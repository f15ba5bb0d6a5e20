// The layer folder is rebuilt in a fresh sibling folder and swapped in only when the install and
// every check on the fresh folder succeeded: a failed build leaves the previous layer as it was, and nothing of the old layer
// (files of a removed package) survives into the new one.
import { existsSync, readdirSync, statSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { randomBytes } from "node:crypto";
import { UserError } from "../errors.js";
import { fsFailure } from "../layer/fs-error.js";

const NEW = ".new-";
const OLD = ".old-";

/** Refuses layer folders whose replacement would take the app or its lockfile with it. */
export function checkLayerDir(layerDir: string, shown: string, keep: { path: string; what: string }[]): void {
  const dir = resolve(layerDir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`--layer-dir is not a folder: ${shown}`, 2);
  for (const k of keep) {
    const p = resolve(k.path);
    if (p === dir || p.startsWith(dir + sep)) {
      throw new UserError(`--layer-dir ${shown} holds the ${k.what}; build replaces that folder, so point --layer-dir at its own folder`, 2);
    }
  }
}

/**
 * A new empty folder next to the layer folder, for the install; nothing else changes yet. The
 * caller fills it, checks it, then calls swapIn (or discardFresh on any failure).
 */
export async function makeFresh(layerDir: string): Promise<string> {
  const dir = resolve(layerDir);
  const parent = dirname(dir);
  const base = basename(dir);
  try {
    await mkdir(parent, { recursive: true });
  } catch (err) {
    throw fsFailure("cannot create", parent, err);
  }
  await removeLeftovers(parent, base);
  try {
    const fresh = await mkdtemp(join(parent, `.${base}${NEW}`));
    // mkdtemp makes it 0700; the layer folder should look like any other folder.
    await chmod(fresh, 0o755);
    return fresh;
  } catch (err) {
    throw fsFailure("cannot create a folder next to", dir, err);
  }
}

export async function discardFresh(fresh: string): Promise<void> {
  await rm(fresh, { recursive: true, force: true });
}

/** Replaces the layer folder with `fresh` (two renames; the old one is put back if the second fails). */
export async function swapIn(layerDir: string, fresh: string): Promise<void> {
  const dir = resolve(layerDir);
  const old = join(dirname(dir), `.${basename(dir)}${OLD}${randomBytes(4).toString("hex")}`);
  const hadOld = existsSync(dir);
  try {
    if (hadOld) await rename(dir, old);
    try {
      await rename(fresh, dir);
    } catch (err) {
      if (hadOld) await rename(old, dir);
      throw err;
    }
  } catch (err) {
    await rm(fresh, { recursive: true, force: true });
    throw fsFailure("cannot replace", dir, err);
  }
  if (hadOld) await rm(old, { recursive: true, force: true });
}

/** Folders a killed build left next to the layer folder. */
async function removeLeftovers(parent: string, base: string): Promise<void> {
  const prefixes = [`.${base}${NEW}`, `.${base}${OLD}`];
  for (const name of readdirSync(parent)) {
    if (prefixes.some((p) => name.startsWith(p))) await rm(join(parent, name), { recursive: true, force: true });
  }
}
