// Pipfile.lock -> `pipenv requirements --hash`, which reads only Pipfile and Pipfile.lock: no
// virtualenv is created, no network is used. Whether the lock is current is checked without pipenv
// (lock-current.ts: the hash `pipenv verify` compares), so a restored layer needs no pipenv.
import { UserError } from "../../errors.js";
import { pipfileLockCurrent } from "../lock-current.js";
import { debugOutput, firstErrorLine, runTool } from "../run.js";
import type { LockContext, PythonManager } from "./manager.js";

const INSTALL = "install it with `pip install pipenv` (or `pipx install pipenv`)";

function env(ctx: LockContext): Record<string, string> {
  return {
    PIPENV_PIPFILE: `${ctx.projectDir}/Pipfile`,
    // Never pick up or create a virtualenv: the CI job may itself run inside one.
    PIPENV_IGNORE_VIRTUALENVS: "1",
    PIPENV_DONT_LOAD_ENV: "1",
    PIPENV_VERBOSITY: "-1",
    PIPENV_NOSPIN: "1",
    PIPENV_YES: "1",
    NO_COLOR: "1",
  };
}

export const pipenv: PythonManager = {
  name: "pipenv",
  lockCurrent: pipfileLockCurrent,
  async exportRequirements(ctx) {
    const run = await runTool("pipenv", ["requirements", "--hash"], { cwd: ctx.projectDir, env: env(ctx), installHint: INSTALL });
    debugOutput(run);
    if (run.code !== 0) throw new UserError(`pipenv requirements failed for ${ctx.shown}: ${firstErrorLine(run)}`);
    return run.stdout;
  },
};
