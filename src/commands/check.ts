import type { CommandModule } from "yargs";
import { ARCHITECTURES, RUNTIMES } from "../layer-build/target.js";
import { writeOut } from "../stdout.js";

interface CheckArgs {
  layer: string;
  runtime: string;
  architecture: string;
  python?: string;
  node?: string;
  "skip-import": string[];
  json: boolean;
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: "check <layer>",
  describe: "Import every top-level module of a layer (folder or zip) on an interpreter of its runtime, as Lambda lays the layer out",
  builder: (y) =>
    y
      .positional("layer", { type: "string", demandOption: true, describe: "layer folder (with python/ or nodejs/) or layer zip" })
      .option("runtime", { choices: RUNTIMES, demandOption: true, describe: "Lambda runtime the layer is for" })
      .option("architecture", { choices: ARCHITECTURES, default: "x86_64", describe: "Lambda architecture the layer is for" })
      .option("python", { type: "string", describe: "Python to import with (default: python3.X of the runtime, from PATH)" })
      .option("node", { type: "string", describe: "Node.js to load with (default: node from PATH; its major must be the runtime's)" })
      .option("skip-import", {
        type: "string",
        array: true,
        default: [] as string[],
        describe: "a module (or package) not to import, e.g. one that needs Lambda's environment at import time; repeatable",
      })
      .option("json", { type: "boolean", default: false, describe: "print one JSON object" })
      .example("$0 check layer.zip --runtime python3.12", "e.g. `requests 2.20.0: import requests fails on python3.12: ModuleNotFoundError: ...`") as never,
  handler: async (a) => {
    const { checkLayer, formatCheck } = await import("../check/index.js");
    const result = await checkLayer({
      layer: a.layer,
      runtime: a.runtime,
      architecture: a.architecture,
      interpreter: a.python ?? a.node,
      skip: a["skip-import"],
    });
    writeOut(a.json ? `${JSON.stringify(result)}\n` : `${formatCheck(result)}\n`);
  },
};
