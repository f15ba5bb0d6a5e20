import type { CommandModule } from "yargs";
import { writeOut } from "../stdout.js";

interface DeployTemplateArgs {
  template: string;
}

export const deployTemplateCommand: CommandModule<object, DeployTemplateArgs> = {
  command: "deploy-template <template>",
  describe:
    "Print the template to deploy: the copy `build --template` wrote beside <template> (<name>.sam-layer.<ext>) when there is one and it was written from the templates as they are now, else <template> itself; fail for a stale copy",
  builder: (y) =>
    y.positional("template", {
      type: "string",
      demandOption: true,
      describe: "the SAM template the deploy was given (or a copy written by build --template)",
    }) as never,
  handler: async (a) => {
    const { deployTemplate } = await import("../template-build/deploy.js");
    const picked = deployTemplate(a.template);
    // The reason on stderr, so a script can take the path from stdout and the log still says why.
    process.stderr.write(`sam-layer: ${picked.reason}\n`);
    writeOut(`${picked.template}\n`);
  },
};
