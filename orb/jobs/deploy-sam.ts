// The `deploy-sam` job: package, plan and deploy a SAM application whose layer zip came from
// build-layer through the workspace. AWS credentials come from the `auth` steps.
import CircleCI from "@circleci/circleci-config-sdk";
import { defineSamVersionParameter } from "../commands/install-sam.js";
import { EXECUTOR_PARAMETERS, defineExecutorParameters } from "../executors/default.js";
import { defineHelperParameter } from "../helper.js";
import { param, paramEnv, passThrough, scriptStep, StepsParameter, WhenParameter } from "../sdk-gaps.js";

type JobLiteral = CircleCI.types.parameter.literals.JobParameterLiteral;

/** Where `sam package` writes the packaged template; plan, deploy and the artifact read it. */
export const PACKAGED_TEMPLATE = "/tmp/sam-layer/packaged.yaml";

export const deploySamDescription =
  "Deploy a SAM application with the layer zip built by build-layer: attach the workspace, run the auth " +
  "steps, install a pinned SAM CLI, `sam package`, print the layer plan (unchanged / new layer version), " +
  "`sam deploy`, and store the packaged template as an artifact.";

export function deploySamJob(
  executor: CircleCI.reusable.ReusableExecutor,
  installSam: CircleCI.reusable.ReusableCommand,
  plan: CircleCI.reusable.ReusableCommand,
  helperVersion: string,
): CircleCI.reusable.ParameterizedJob {
  const p = new CircleCI.parameters.CustomParametersList<JobLiteral>();
  p.define("app-dir", "string", ".", "Folder of the SAM application, relative to the checkout.");
  p.define("template", "string", "template.yaml", "SAM template, relative to app-dir.");
  p.define("stack-name", "string", undefined, "CloudFormation stack to deploy (required).");
  p.define("s3-bucket", "string", "", "S3 bucket for the artifacts. Set this or resolve-s3.");
  p.define("resolve-s3", "boolean", false, "Let SAM create and use its managed artifacts bucket instead of s3-bucket.");
  p.define("s3-prefix", "string", "", "Prefix of the artifact keys in the bucket; empty for none.");
  p.define("region", "string", "", "AWS region; empty uses the region the auth steps configured.");
  p.define("capabilities", "string", "CAPABILITY_IAM", "Space-separated CloudFormation capabilities.");
  p.define("parameter-overrides", "string", "", "Template parameters as `Key=Value Key2=Value2`.");
  p.define("tags", "string", "", "Stack tags as `key=value key2=value2`.");
  p.define("no-fail-on-empty-changeset", "boolean", true, "Succeed when there is nothing to deploy (for instance a rerun).");
  defineSamVersionParameter(p);
  p.define("auth", "steps", [], "Steps that give the job AWS credentials, e.g. aws-cli/setup with role_arn for OIDC. They must not print secrets.");
  p.define("attach-workspace", "boolean", true, "Attach the workspace at the checkout root first, so the zip persisted by build-layer is in place.");
  defineHelperParameter(p, helperVersion);
  defineExecutorParameters(p);

  const s3 = paramEnv("app-dir", "s3-bucket", "resolve-s3", "s3-prefix", "region");
  const steps = [
    new CircleCI.commands.Checkout(),
    new WhenParameter("attach-workspace", [new CircleCI.commands.workspace.Attach({ at: "." })]),
    new StepsParameter("auth"),
    new CircleCI.reusable.ReusedCommand(installSam, passThrough(["sam-version"])),
    scriptStep("Package with sam package", "sam-package.sh", {
      ...s3,
      ...paramEnv("template"),
      PARAM_PACKAGED_TEMPLATE: PACKAGED_TEMPLATE,
    }),
    new CircleCI.reusable.ReusedCommand(plan, {
      ...passThrough(["stack-name", "region", "helper"]),
      "packaged-template": PACKAGED_TEMPLATE,
      "source-template": `${param("app-dir")}/${param("template")}`,
    }),
    scriptStep("Deploy with sam deploy", "sam-deploy.sh", {
      ...s3,
      ...paramEnv("stack-name", "capabilities", "parameter-overrides", "tags", "no-fail-on-empty-changeset"),
      PARAM_PACKAGED_TEMPLATE: PACKAGED_TEMPLATE,
    }),
    new CircleCI.commands.StoreArtifacts({ path: PACKAGED_TEMPLATE, destination: "packaged.yaml" }),
  ];
  return new CircleCI.reusable.ParameterizedJob("deploy-sam", executor.reuse(passThrough(EXECUTOR_PARAMETERS)), p, steps);
}
