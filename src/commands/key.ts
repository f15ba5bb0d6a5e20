import type { CommandModule } from "yargs";
import { UserError } from "../errors.js";

export const keyCommand: CommandModule = {
  command: "key",
  describe: "(not implemented yet)",
  handler: () => {
    throw new UserError("key: not implemented yet");
  },
};
