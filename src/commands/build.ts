import type { CommandModule } from "yargs";
import { UserError } from "../errors.js";

export const buildCommand: CommandModule = {
  command: "build",
  describe: "(not implemented yet)",
  handler: () => {
    throw new UserError("build: not implemented yet");
  },
};
