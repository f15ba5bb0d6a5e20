// uv.lock -> `uv export --frozen`. uv.lock records no hash of pyproject.toml, so lockCurrent
// decides only the common shapes (uv-lock-current.ts); `uv lock --check` runs on every install and
// whenever those cannot tell. It runs offline first: an up-to-date lock validates from uv.lock
// alone; only a failure asks the index, so the error is uv's real verdict.
import { UserError } from "../../errors.js";
import { uvLockCurrent } from "../uv-lock-current.js";
import { debugOutput, firstErrorLine, runTool, type ToolRun } from "../run.js";
import type { LockContext, PythonManager } from "./manager.js";

const INSTALL = "install it with `pip install uv` (or `pipx install uv`)";
const ENV = { NO_COLOR: "1", UV_NO_PROGRESS: "1", UV_PYTHON_DOWNLOADS: "never" };

function uv(ctx: LockContext, args: string[]): Promise<ToolRun> {
  return runTool("uv", args, { cwd: ctx.projectDir, env: ENV, installHint: INSTALL });
}

export const uvManager: PythonManager = {
  name: "uv",
  lockCurrent: uvLockCurrent,
  async checkLockWithTool(ctx) {
    const offline = await uv(ctx, ["lock", "--check", "--offline"]);
    debugOutput(offline);
    if (offline.code === 0) return;
    const online = await uv(ctx, ["lock", "--check"]);
    debugOutput(online);
    if (online.code === 0) return;
    if (/needs to be updated/i.test(online.stdout + online.stderr)) {
      throw new UserError(`${ctx.shown} is out of date with its pyproject.toml (uv lock --check); run \`uv lock\` and commit it`);
    }
    throw new UserError(`uv lock --check failed for ${ctx.shown}: ${firstErrorLine(online)}`);
  },
  async exportRequirements(ctx) {
    // --emit-index-url: the index uv locked against ([[tool.uv.index]], UV_INDEX_URL) is the one installed from
    const run = await uv(ctx, [
      "export",
      "--frozen",
      "--no-dev",
      "--no-emit-project",
      "--emit-index-url",
      ...(ctx.extras ?? []).flatMap((e) => ["--extra", e]),
      "--format",
      "requirements-txt",
      "--no-header",
      "--no-annotate",
    ]);
    debugOutput(run);
    if (run.code !== 0) throw new UserError(`uv export failed for ${ctx.shown}: ${firstErrorLine(run)}`);
    return run.stdout;
  },
};
