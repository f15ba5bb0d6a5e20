import type { CommandModule } from "yargs";
import { DEFAULT_EXCLUDES } from "../layer/excludes.js";
import type { ZipResult } from "../zip/layer-zip.js";
import { DEFAULT_LEVEL } from "../zip/format.js";
import { formatBytes } from "./output.js";
import { writeOut } from "../stdout.js";
import { shownPath } from "../shown-path.js";

interface ZipArgs {
  "layer-dir": string;
  output: string;
  level: number;
  exclude: string[];
  "include-pycache": boolean;
  engine: "builtin" | "infozip";
  json: boolean;
}

/** The zip's path as the user would type it from here (a new user read `layer.zip` for `-o ../zips/layer.zip`). */
export function zipLine(r: ZipResult): string {
  const status = r.status === "unchanged" ? "unchanged (nothing to do)" : r.status;
  return (
    `${shownPath(r.output)}: ${status}, ${r.entries} entries, ${formatBytes(r.bytes)} ` +
    `(${formatBytes(r.unzippedBytes)} unzipped), md5 ${r.md5}, digest ${r.digest}`
  );
}

export const zipCommand: CommandModule<object, ZipArgs> = {
  command: "zip <layer-dir>",
  describe: "Zip a layer folder deterministically; rewrite the zip only when its content changed",
  builder: (y) =>
    y
      .positional("layer-dir", { type: "string", demandOption: true, describe: "the folder to zip (its content becomes /opt)" })
      .option("output", { alias: "o", type: "string", demandOption: true, describe: "the zip to write (outside the layer folder)" })
      .option("level", { type: "number", default: DEFAULT_LEVEL, describe: "deflate level 0-9 (part of the bytes)" })
      .option("exclude", {
        type: "string",
        array: true,
        default: [],
        describe: `leave out paths matching GLOB (repeatable; "name" at any depth, "a/b" from the top, "dir/" folders only). Left out by default: ${DEFAULT_EXCLUDES.join(" ")}`,
      })
      .option("include-pycache", { type: "boolean", default: false, describe: "keep __pycache__/ and *.pyc" })
      .option("engine", {
        choices: ["builtin", "infozip"] as const,
        default: "builtin" as const,
        describe: "infozip: run the classic `zip -r -u -X` (exit 12 = nothing to do; not deterministic)",
      })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" })
      .epilogue("Dates 1980-01-01 (or SOURCE_DATE_EPOCH), modes 644/755, sorted entries: same folder content, same bytes.") as never,
  handler: async (args) => {
    const opts = {
      dir: args["layer-dir"],
      output: args.output,
      level: args.level,
      exclude: args.exclude.map(String),
      includePycache: args["include-pycache"],
    };
    let result: ZipResult;
    if (args.engine === "infozip") {
      const { zipWithInfoZip } = await import("../zip/infozip.js");
      result = await zipWithInfoZip(opts);
    } else {
      const { zipLayer } = await import("../zip/layer-zip.js");
      result = await zipLayer(opts);
    }
    writeOut(args.json ? `${JSON.stringify(result)}\n` : `${zipLine(result)}\n`);
  },
};
