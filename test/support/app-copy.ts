// A private copy of an example app for one test file, without anything a build left behind.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { REPO } from "./run.js";

const BUILD_OUTPUTS = /^(layer|layer\.zip.*|\.aws-sam|\.sam-layer|requirements\.txt)$/;

export async function scratchDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `sam-layer-${prefix}-`));
}

export async function copyExampleApp(name: string, into: string): Promise<string> {
  const target = join(into, name);
  await cp(resolve(REPO, "examples", name), target, {
    recursive: true,
    filter: (src) => !BUILD_OUTPUTS.test(basename(src)),
  });
  return target;
}

/** Switch an app to another Pipfile + Pipfile.lock, as a commit that changes the lock would. */
export async function useLockFixture(appDir: string, fixture: string): Promise<void> {
  const from = resolve(REPO, "test/e2e/fixtures", fixture);
  await cp(join(from, "Pipfile"), join(appDir, "Pipfile"));
  await cp(join(from, "Pipfile.lock"), join(appDir, "Pipfile.lock"));
}

/** What a CI job starts from: the app as committed, no build outputs (caches restore those). */
export async function freshCheckout(appDir: string): Promise<void> {
  for (const output of ["layer", "layer.zip", "layer.zip.key", "layer.zip.stat.json", "requirements.txt", ".aws-sam"]) {
    await rm(join(appDir, output), { recursive: true, force: true });
  }
}
