import type { CommandModule } from "yargs";
import type { HashResult } from "../hash.js";
import { writeOut } from "../stdout.js";

interface HashArgs {
  path: string;
  exclude: string[];
  "include-pycache": boolean;
  json: boolean;
}

export function hashLines(r: HashResult): string {
  const lines = [`digest  ${r.digest}  (${r.entries} entries)`];
  if (r.md5 !== undefined) lines.push(`md5     ${r.md5}`, `sha256  ${r.sha256}`);
  return lines.join("\n");
}

export const hashCommand: CommandModule<object, HashArgs> = {
  command: "hash <path>",
  describe: "Print the content digest of a zip or folder; for a zip also its MD5 (S3 key) and base64 SHA-256 (CodeSha256)",
  builder: (y) =>
    y
      .positional("path", { type: "string", demandOption: true, describe: "a zip, or a layer folder" })
      .option("exclude", { type: "string", array: true, default: [], describe: "folders only: leave out paths matching GLOB, as `zip` does" })
      .option("include-pycache", { type: "boolean", default: false, describe: "folders only: keep __pycache__/ and *.pyc" })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" })
      .example("$0 hash layer.zip", "digest, md5 and CodeSha256 of a zip")
      .example("$0 hash layer/", "the digest `zip` would record for this folder") as never,
  handler: async (args) => {
    const { hashLayer } = await import("../hash.js");
    const r = await hashLayer(args.path, { exclude: args.exclude.map(String), includePycache: args["include-pycache"] });
    writeOut(args.json ? `${JSON.stringify(r)}\n` : `${hashLines(r)}\n`);
  },
};
