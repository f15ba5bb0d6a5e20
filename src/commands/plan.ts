import type { CommandModule } from "yargs";
import { UserError } from "../errors.js";

export const planCommand: CommandModule = {
  command: "plan",
  describe: "(not implemented yet)",
  handler: () => {
    throw new UserError("plan: not implemented yet");
  },
};
