import type { CommandModule } from "yargs";
import { UserError } from "../errors.js";

export const hashCommand: CommandModule = {
  command: "hash",
  describe: "(not implemented yet)",
  handler: () => {
    throw new UserError("hash: not implemented yet");
  },
};
