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
    // poetry writes --index-url/--extra-index-url for the sources the lock uses; --with-credentials
    // adds their configured credentials (the export goes to a private temporary file, never output)
    const run = await poetry(ctx, ["export", "--format", "requirements.txt", "--with-credentials", ...(ctx.extras ?? []).flatMap((e) => ["--extras", e])]);
    debugOutput(run);
    if (run.code === 0) return run.stdout;
    if (/command "?export"? (is not defined|does not exist)/i.test(run.stdout + run.stderr)) {
      throw new UserError(
        `poetry export is not available (needed for ${ctx.shown}): install poetry-plugin-export (\`poetry self add poetry-plugin-export\` or \`pipx inject poetry poetry-plugin-export\`)`,
      );
    }
    if (outOfDate(run)) throw new UserError(`${ctx.shown} is out of date with its pyproject.toml; run \`poetry lock\` and commit it`);
    const extra = /Extra \[([^\]]+)\] is not specified|extras? (?:are|is) not (?:defined|specified)[^:]*: (.+)/i.exec(run.stdout + run.stderr);
    if (extra) throw new UserError(`--extras ${extra[1] ?? extra[2]} is not an extra of ${ctx.shown}'s pyproject.toml`);
    throw new UserError(`poetry export failed for ${ctx.shown}: ${firstErrorLine(run)}`);
  },
};
