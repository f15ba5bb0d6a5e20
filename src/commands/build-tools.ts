import type { CommandModule } from "yargs";
import { writeOut } from "../stdout.js";

interface BuildToolsArgs {
  template: string;
  writeKey?: string;
  extra: string[];
  json: boolean;
}

export const buildToolsCommand: CommandModule<object, BuildToolsArgs> = {
  command: "build-tools <template>",
  describe:
    "Check that what `sam build` needs for a template is on PATH (python3.X per Python runtime, node and npm, esbuild); print the tools to install (esbuild), fail naming the function for the rest",
  builder: (y) =>
    y
      .positional("template", { type: "string", demandOption: true, describe: "the SAM template (local nested applications are followed)" })
      .option("write-key", {
        type: "string",
        describe: "write a key of the templates and the functions' manifests and lockfiles to FILE (the build cache key)",
      })
      .option("extra", { type: "string", array: true, default: [], describe: "an extra string for the key (repeatable)" })
      .option("json", { type: "boolean", default: false, describe: "print { install, needs, inputs }" }) as never,
  handler: async (a) => {
    const { buildTools, missingTools } = await import("../sam-build/tools.js");
    const tools = await buildTools(a.template);
    if (a.writeKey !== undefined) {
      const { computeKey, writeKeyFile } = await import("../key.js");
      await writeKeyFile(a.writeKey, await computeKey(tools.inputs, a.extra.map(String)), "--write-key");
    }
    const install = missingTools(tools.needs);
    if (a.json) writeOut(`${JSON.stringify({ install, ...tools })}\n`);
    else for (const tool of install) writeOut(`${tool}\n`);
  },
};
