import type { CommandModule } from "yargs";
import { UserError } from "../errors.js";
import { writeOut } from "../stdout.js";

interface KeyArgs {
  lockfiles: string[];
  extra: string[];
  write?: string;
  json: boolean;
}

export const keyCommand: CommandModule<object, KeyArgs> = {
  command: "key <lockfiles..>",
  describe: "Print one stable digest of lockfile contents plus extra strings (a CI cache key)",
  builder: (y) =>
    y
      .positional("lockfiles", { type: "string", array: true, demandOption: true, describe: "lockfiles, in a fixed order" })
      .option("extra", { type: "string", array: true, default: [], describe: "an extra string to key on, e.g. python3.12 (repeatable)" })
      .option("write", { type: "string", describe: "also write the key to FILE (for CircleCI's {{ checksum FILE }})" })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" })
      .example("$0 key Pipfile.lock --extra python3.12 --extra arm64 --write .layer-key", "") as never,
  handler: async (args) => {
    const { computeKey, writeKeyFile } = await import("../key.js");
    const key = await computeKey(args.lockfiles.map(String), args.extra.map(String));
    if (args.write !== undefined) {
      if (args.write === "") throw new UserError("--write needs a file name", 2);
      await writeKeyFile(args.write, key, "--write");
    }
    writeOut(args.json ? `${JSON.stringify({ key, file: args.write ?? null })}\n` : `${key}\n`);
  },
};
