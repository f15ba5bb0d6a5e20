// requirements.txt is its own export; there is no manifest to be out of date with.
import { readFile } from "node:fs/promises";
import { fsFailure } from "../../layer/fs-error.js";
import type { PythonManager } from "./manager.js";

export const pip: PythonManager = {
  name: "pip",
  async lockCurrent() {
    return "current";
  },
  async exportRequirements(ctx) {
    try {
      return await readFile(ctx.lockfile, "utf8");
    } catch (err) {
      throw fsFailure("cannot read", ctx.shown, err);
    }
  },
};
