// The `plan` command: before a deploy, says per layer whether it publishes a new layer version,
// comparing the packaged template with the deployed stack's template (`sam-layer plan`).
import CircleCI from "@circleci/circleci-config-sdk";
import { defineHelperParameter } from "../helper.js";
import { paramEnv, scriptStep } from "../sdk-gaps.js";

type CommandLiteral = CircleCI.types.parameter.literals.CommandParameterLiteral;

export const planDescription =
  "Print, for each layer in the packaged template, `unchanged: no new layer version` or `changed: a new " +
  "layer version will be published`, comparing it with the deployed stack's original template (none yet: " +
  "first deploy), and warn about known traps. Needs the AWS CLI and credentials.";

export function planCommand(helperVersion: string): CircleCI.reusable.ReusableCommand {
  const parameters = new CircleCI.parameters.CustomParametersList<CommandLiteral>();
  parameters.define("stack-name", "string", undefined, "CloudFormation stack the template is deployed to.");
  parameters.define("packaged-template", "string", undefined, "The template written by `sam package`.");
  parameters.define(
    "source-template",
    "string",
    "",
    "The template before packaging, to warn when a layer's ContentUri is a folder (its zip, and so its S3 key, then depends on file times). Empty to skip.",
  );
  parameters.define("region", "string", "", "AWS region of the stack; empty uses the AWS CLI's configured region.");
  defineHelperParameter(parameters, helperVersion);
  return new CircleCI.reusable.ReusableCommand(
    "plan",
    [scriptStep("Plan the layer versions", "layer-plan.sh", paramEnv("helper", "stack-name", "packaged-template", "source-template", "region"))],
    parameters,
    planDescription,
  );
}
