import type { CommandModule } from "yargs";
import { UserError } from "../errors.js";

export const diffCommand: CommandModule = {
  command: "diff",
  describe: "(not implemented yet)",
  handler: () => {
    throw new UserError("diff: not implemented yet");
  },
};
