import type { CommandModule } from "yargs";
import { UserError } from "../errors.js";
import type { LayerDiff } from "../diff/index.js";
import { writeOut } from "../stdout.js";

interface DiffArgs {
  old: string;
  new: string;
  json: boolean;
}

export const diffCommand: CommandModule<object, DiffArgs> = {
  command: "diff <old> <new>",
  describe: "Compare two layers (zips or folders) per file and per package; exit 0 when equal, 1 when different",
  builder: (y) =>
    y
      .positional("old", { type: "string", demandOption: true, describe: "a zip or layer folder" })
      .positional("new", { type: "string", demandOption: true, describe: "a zip or layer folder" })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" })
      .example("$0 diff deployed.zip layer.zip", "e.g. `~ requests 2.20.0 -> 2.21.0 in python (5 changed files)`") as never,
  handler: async (args) => {
    const { diffLayers, diffReport } = await import("../diff/index.js");
    let d: LayerDiff;
    try {
      d = await diffLayers(args.old, args.new);
    } catch (err) {
      // Exit 1 means "different" here, so trouble is 2.
      throw new UserError(err instanceof Error ? err.message : String(err), 2);
    }
    writeOut(args.json ? `${JSON.stringify(d)}\n` : `${diffReport(d)}\n`);
    // Like diff(1): 1 means "different", not failure; failures exit 1 or 2 with a message.
    if (!d.equal) process.exitCode = 1;
  },
};
