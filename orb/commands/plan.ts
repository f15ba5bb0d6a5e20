// The `plan` command: before a deploy, says per layer whether it publishes a new layer version,
// comparing the packaged template with the deployed stack's template (`sam-layer plan`).
import CircleCI from "@circleci/circleci-config-sdk";
import { defineHelperParameter } from "../helper.js";
import { paramEnv, scriptStep, type ParameterList } from "../sdk-gaps.js";

type CommandLiteral = CircleCI.types.parameter.literals.CommandParameterLiteral;

export const planDescription =
  "Print, for each layer in the packaged template and its nested stacks, `unchanged: no new layer version` or " +
  "`changed: a new layer version will be published`, comparing it with the deployed stack's original template " +
  "(none yet: first deploy), and warn about known traps. Fails for a stack CloudFormation cannot update " +
  "(ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED...) naming what to do, and waits for a running operation. " +
  "Needs the SAM CLI (install-sam) and credentials.";

export function defineDeleteRollbackCompleteParameter(list: ParameterList): void {
  list.define(
    "delete-rollback-complete",
    "boolean",
    false,
    "Delete a stack in ROLLBACK_COMPLETE (a first deploy that failed; CloudFormation cannot update it) and deploy it anew. Off: the job fails and says so.",
  );
}

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
  parameters.define("region", "string", "", "AWS region of the stack; empty uses the configured region.");
  defineDeleteRollbackCompleteParameter(parameters);
  defineHelperParameter(parameters, helperVersion);
  return new CircleCI.reusable.ReusableCommand(
    "plan",
    [
      scriptStep(
        "Plan the layer versions",
        "layer-plan.sh",
        paramEnv("helper", "stack-name", "packaged-template", "source-template", "region", "delete-rollback-complete"),
      ),
    ],
    parameters,
    planDescription,
  );
}
