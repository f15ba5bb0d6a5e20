// poetry.lock -> `poetry export` (hashes kept; main group only). Poetry 2 needs
// poetry-plugin-export for this. Whether the lock is current is checked without poetry
// (lock-current.ts: the content-hash `poetry check --lock` compares).
import { UserError } from "../../errors.js";
import { poetryLockCurrent } from "../lock-current.js";
import { debugOutput, firstErrorLine, runTool, type ToolRun } from "../run.js";
import type { LockContext, PythonManager } from "./manager.js";

const INSTALL = "install it with `pipx install poetry && pipx inject poetry poetry-plugin-export`";
const ENV = { NO_COLOR: "1", POETRY_NO_INTERACTION: "1" };

function poetry(ctx: LockContext, args: string[]): Promise<ToolRun> {
  return runTool("poetry", ["--no-ansi", "--no-interaction", "--directory", ctx.projectDir, ...args], {
    cwd: ctx.projectDir,
    env: ENV,
    installHint: INSTALL,
  });
}

function outOfDate(run: ToolRun): boolean {
  return /changed significantly since poetry\.lock|lock file .*(not consistent|out of date)|run `poetry lock`/i.test(run.stdout + run.stderr);
}

export const poetryManager: PythonManager = {
  name: "poetry",
  lockCurrent: poetryLockCurrent,
  async exportRequirements(ctx) {
    const run = await poetry(ctx, ["export", "--format", "requirements.txt"]);
    debugOutput(run);
    if (run.code === 0) return run.stdout;
    if (/command "?export"? (is not defined|does not exist)/i.test(run.stdout + run.stderr)) {
      throw new UserError(
        `poetry export is not available (needed for ${ctx.shown}): install poetry-plugin-export (\`poetry self add poetry-plugin-export\` or \`pipx inject poetry poetry-plugin-export\`)`,
      );
    }
    if (outOfDate(run)) throw new UserError(`${ctx.shown} is out of date with its pyproject.toml; run \`poetry lock\` and commit it`);
    throw new UserError(`poetry export failed for ${ctx.shown}: ${firstErrorLine(run)}`);
  },
};
