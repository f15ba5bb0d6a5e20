import type { CommandModule } from "yargs";
import { writeOut } from "../stdout.js";

interface PlanArgs {
  packaged: string;
  deployed?: string;
  template?: string;
  stackInfo?: string;
  deleteRollbackComplete: boolean;
  json: boolean;
}

export const planCommand: CommandModule<object, PlanArgs> = {
  command: "plan <packaged>",
  describe: "Say per layer whether deploying the packaged template publishes a new layer version, and warn about known traps",
  builder: (y) =>
    y
      .positional("packaged", { type: "string", demandOption: true, describe: "the packaged template (output of sam package / aws cloudformation package)" })
      .option("deployed", {
        type: "string",
        describe: "the deployed stack's template (aws cloudformation get-template output or its TemplateBody); leave out for a first deploy",
      })
      .option("stack-info", {
        type: "string",
        describe: "instead of --deployed: the stack's state, deployed template and nested stacks as deploy-sam's plan step fetches them (JSON)",
      })
      .option("delete-rollback-complete", {
        type: "boolean",
        default: false,
        describe: "with --stack-info: a ROLLBACK_COMPLETE stack will be deleted first (else it is an error)",
      })
      .option("template", { type: "string", describe: "the source template, to check for folder ContentUri" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON object" })
      .example("$0 plan packaged.yaml --deployed deployed.json --template template.yaml", "") as never,
  handler: async (a) => {
    const { formatPlan, planFromFiles } = await import("../plan/index.js");
    const plan = await planFromFiles({
      packaged: a.packaged,
      deployed: a.deployed,
      template: a.template,
      stackInfo: a.stackInfo,
      deleteRollbackComplete: a.deleteRollbackComplete,
    });
    if (a.json) writeOut(`${JSON.stringify(plan, null, 2)}\n`);
    else for (const line of formatPlan(plan, a.packaged)) writeOut(`${line}\n`);
  },
};
