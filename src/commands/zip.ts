import type { CommandModule } from "yargs";
import { UserError } from "../errors.js";

export const zipCommand: CommandModule = {
  command: "zip",
  describe: "(not implemented yet)",
  handler: () => {
    throw new UserError("zip: not implemented yet");
  },
};
