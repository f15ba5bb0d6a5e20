import { statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { CommandModule } from "yargs";
import { UserError } from "../errors.js";
import { fsFailure } from "../layer/fs-error.js";

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
    const { computeKey } = await import("../key.js");
    const key = await computeKey(args.lockfiles.map(String), args.extra.map(String));
    if (args.write !== undefined) {
      if (args.write === "") throw new UserError("--write needs a file name", 2);
      await writeKey(args.write, key);
    }
    process.stdout.write(args.json ? `${JSON.stringify({ key, file: args.write ?? null })}\n` : `${key}\n`);
  },
};

/**
 * A regular file is replaced atomically; a device or pipe (`--write /dev/stdout`) is written to,
 * never renamed over (as root, a rename would replace /dev/null itself).
 */
async function writeKey(file: string, key: string): Promise<void> {
  const existing = statSync(file, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw new UserError(`--write names a folder: ${file}`, 2);
  try {
    if (existing && !existing.isFile()) {
      await writeFile(file, `${key}\n`);
      return;
    }
    const { replaceAtomically } = await import("../zip/atomic.js");
    await replaceAtomically(file, async (fh) => {
      await fh.writeFile(`${key}\n`);
    });
  } catch (err) {
    throw fsFailure("cannot write", file, err);
  }
}
