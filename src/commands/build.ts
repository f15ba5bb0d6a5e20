import type { CommandModule } from "yargs";
import { relative } from "node:path";
import { MANAGERS, type ManagerName } from "../layer-build/detect.js";
import { UNZIPPED_LIMIT_MB } from "../layer-build/limits.js";
import { ARCHITECTURES, RUNTIMES } from "../layer-build/target.js";

interface BuildArgs {
  "app-dir": string;
  "pkg-manager": ManagerName | "auto";
  lockfile?: string;
  "layer-dir": string;
  output: string;
  runtime?: string;
  architecture: string;
  "compile-bytecode": boolean;
  python: string;
  "write-key"?: string;
  "max-unzipped-mb": number;
  json: boolean;
}

export const buildCommand: CommandModule<object, BuildArgs> = {
  command: "build",
  describe: "Install the lockfile's packages for a Lambda runtime into the layer folder and zip it deterministically",
  builder: (y) =>
    y
      .option("app-dir", { type: "string", default: ".", describe: "folder with the lockfile; the paths below are relative to it" })
      .option("pkg-manager", {
        choices: ["auto", ...MANAGERS] as const,
        default: "auto" as const,
        describe: "auto detects, in this order: uv.lock, poetry.lock, Pipfile.lock, requirements.txt, package-lock.json",
      })
      .option("lockfile", { type: "string", describe: "lockfile to build from (default: found by --pkg-manager)" })
      .option("layer-dir", { type: "string", default: "layer", describe: "layer folder, replaced by every install" })
      .option("output", {
        alias: "o",
        type: "string",
        default: "layer.zip",
        describe: "the zip (ContentUri); <output>.key and <output>.stat.json go beside it",
      })
      .option("runtime", { choices: RUNTIMES, describe: "Lambda runtime (default: python3.12, or nodejs22.x for npm)" })
      .option("architecture", { choices: ARCHITECTURES, default: "x86_64", describe: "Lambda architecture" })
      .option("compile-bytecode", { type: "boolean", default: false, describe: "precompile .pyc for /opt/python (needs the runtime's Python version locally)" })
      .option("python", { type: "string", default: "python3", describe: "Python that runs pip and compileall" })
      .option("write-key", { type: "string", describe: "only write the cache key to this file and exit" })
      .option("max-unzipped-mb", {
        type: "number",
        default: UNZIPPED_LIMIT_MB,
        describe: "unzipped size this layer may use: lower it when the functions and other layers take part of Lambda's 250 MB",
      })
      .option("json", { type: "boolean", default: false, describe: "print one JSON object" }),
  handler: async (a) => {
    const say = (line: string) => (a.json ? process.stderr : process.stdout).write(`${line}\n`);
    const { buildLayer } = await import("../layer-build/index.js");
    const { formatBuild } = await import("../layer-build/report.js");
    const result = await buildLayer({
      appDir: a["app-dir"],
      pkgManager: a["pkg-manager"],
      lockfile: a.lockfile,
      layerDir: a["layer-dir"],
      output: a.output,
      runtime: a.runtime,
      architecture: a.architecture,
      compileBytecode: a["compile-bytecode"],
      python: a.python,
      writeKey: a["write-key"],
      maxUnzippedMb: a["max-unzipped-mb"],
      log: say,
    });
    if (result.status !== "key-written") {
      result.output = relative(process.cwd(), result.output) || result.output;
      for (const w of result.warnings) process.stderr.write(`sam-layer: warning: ${w}\n`);
    }
    if (a.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else for (const line of formatBuild(result)) say(line);
  },
};
