// package-lock.json -> `npm ci --omit=dev` inside <layer>/nodejs, for the runtime's OS and CPU
// (npm then picks the right optional platform packages, e.g. esbuild's or sharp's).
import { copyFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { UserError } from "../../errors.js";
import { fsFailure } from "../../layer/fs-error.js";
import { debugOutput, firstErrorLine, runTool } from "../run.js";
import type { NodeTarget } from "../target.js";
import type { LockContext } from "./manager.js";

const INSTALL = "install Node.js with npm (https://nodejs.org)";

/** Installs into `nodejsDir` (created by the caller), leaving only node_modules there. */
export async function npmInstall(ctx: LockContext, target: NodeTarget, nodejsDir: string): Promise<void> {
  // .npmrc carries registry settings; it is copied for npm and removed again (it may hold tokens).
  const copied = ["package.json", basename(ctx.lockfile), ".npmrc"].filter((n) => existsSync(join(ctx.projectDir, n)));
  for (const name of copied) {
    try {
      await copyFile(join(ctx.projectDir, name), join(nodejsDir, name));
    } catch (err) {
      throw fsFailure("cannot copy", join(ctx.projectDir, name), err);
    }
  }
  const run = await runTool("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--os=linux", `--cpu=${target.npmCpu}`, "--libc=glibc"], {
    cwd: nodejsDir,
    env: { NO_COLOR: "1", npm_config_update_notifier: "false", npm_config_progress: "false" },
    installHint: INSTALL,
  });
  debugOutput(run);
  if (run.code !== 0) {
    const text = run.stdout + run.stderr;
    if (
      /can only install packages when your package\.json and (package-lock\.json|npm-shrinkwrap\.json)/.test(text) ||
      /Missing: .* from lock file/.test(text)
    ) {
      throw new UserError(`${ctx.shown} is out of date with its package.json (npm ci); run \`npm install\` and commit it`);
    }
    throw new UserError(`npm ci failed for ${ctx.shown}: ${firstErrorLine(run)}`);
  }
  for (const name of copied) await rm(join(nodejsDir, name), { force: true });
  // Links to package binaries: not on Lambda's PATH, and the zip would store copies of them.
  await rm(join(nodejsDir, "node_modules", ".bin"), { recursive: true, force: true });
  // npm's own cache of the tree; it names the app and its version, which would change the layer
  // with every version bump of the app.
  await rm(join(nodejsDir, "node_modules", ".package-lock.json"), { force: true });
}
