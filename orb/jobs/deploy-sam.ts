// The `deploy-sam` job: package, plan and deploy a SAM application whose layer zip came from
// build-layer through the workspace. AWS credentials come from the `auth` steps.
import CircleCI from "@circleci/circleci-config-sdk";
import { defineCacheVersionParameter, defineSamVersionParameter } from "../commands/install-sam.js";
import { defineDeleteRollbackCompleteParameter } from "../commands/plan.js";
import { EXECUTOR_PARAMETERS, defineExecutorParameters } from "../executors/default.js";
import { defineHelperParameter } from "../helper.js";
import { param, paramEnv, passThrough, scriptStep, StepsParameter, WhenParameter } from "../sdk-gaps.js";

type JobLiteral = CircleCI.types.parameter.literals.JobParameterLiteral;

/** Where `sam package` writes the packaged template; plan, deploy and the artifact read it. */
export const PACKAGED_TEMPLATE = "/tmp/sam-layer/packaged.yaml";

/** What sam-build.sh writes in key mode: a key of the templates and the functions' manifests and lockfiles. */
export const BUILD_KEY_FILE = "/tmp/sam-layer/sam-build-key";

export const deploySamDescription =
  "Deploy a SAM application with the layer zip built by build-layer: attach the workspace, run the auth " +
  "steps, install a pinned SAM CLI (cached), `sam build --cached --parallel` of the functions (its cache " +
  "saved by CircleCI; the prebuilt layer zip passes through untouched), `sam package`, the layer plan " +
  "(unchanged / new layer version, nested stacks included; fails for a stack CloudFormation cannot update), " +
  "`sam deploy`, and store the packaged template as an artifact. Honours the app's samconfig.toml. After " +
  "build-layer's `template` build it deploys the copy of the template it wrote (checked to be written from the template as it is now).";

export function deploySamJob(
  executor: CircleCI.reusable.ReusableExecutor,
  installSam: CircleCI.reusable.ReusableCommand,
  plan: CircleCI.reusable.ReusableCommand,
  helperVersion: string,
): CircleCI.reusable.ParameterizedJob {
  const p = new CircleCI.parameters.CustomParametersList<JobLiteral>();
  p.define("app-dir", "string", ".", "Folder of the SAM application, relative to the checkout.");
  p.define(
    "template",
    "string",
    "template.yaml",
    "SAM template, relative to app-dir. When build-layer's `template` build wrote a copy beside it (<name>.sam-layer.<ext>, its layers pointing at the built zips), the copy is deployed; a copy written from another version of the template fails the job.",
  );
  p.define("stack-name", "string", undefined, "CloudFormation stack to deploy (required).");
  p.define("s3-bucket", "string", "", "S3 bucket for the artifacts. Set this or resolve-s3.");
  p.define("resolve-s3", "boolean", false, "Let SAM create and use its managed artifacts bucket instead of s3-bucket.");
  p.define("s3-prefix", "string", "", "Prefix of the artifact keys in the bucket; empty for none.");
  p.define("region", "string", "", "AWS region; empty uses the region the auth steps configured.");
  p.define("capabilities", "string", "CAPABILITY_IAM", "Space-separated CloudFormation capabilities.");
  p.define("parameter-overrides", "string", "", "Template parameters as `Key=Value Key2=Value2`.");
  p.define("tags", "string", "", "Stack tags as `key=value key2=value2`.");
  p.define("no-fail-on-empty-changeset", "boolean", true, "Succeed when there is nothing to deploy (for instance a rerun).");
  p.define(
    "sam-build",
    "boolean",
    true,
    "Run `sam build --cached --parallel` before packaging (functions with a requirements.txt, package.json or BuildMethod). Turn off for an app with nothing to build.",
  );
  p.define(
    "build-args",
    "string",
    "",
    "More `sam build` arguments, split as shell words (quotes respected), e.g. `--use-container --build-image Function=img`.",
  );
  p.define("deploy-args", "string", "", "More `sam deploy` arguments, split as shell words, e.g. `--role-arn arn:aws:iam::1:role/cfn --disable-rollback`.");
  p.define(
    "config-file",
    "string",
    "samconfig.toml",
    "The app's SAM configuration file, relative to app-dir; used by build, package and deploy when it exists.",
  );
  p.define("config-env", "string", "default", "The environment of config-file to use (`sam ... --config-env`).");
  defineDeleteRollbackCompleteParameter(p);
  defineCacheVersionParameter(p);
  defineSamVersionParameter(p);
  p.define("auth", "steps", [], "Steps that give the job AWS credentials, e.g. aws-cli/setup with role_arn for OIDC. They must not print secrets.");
  p.define("attach-workspace", "boolean", true, "Attach the workspace at the checkout root first, so the zip persisted by build-layer is in place.");
  defineHelperParameter(p, helperVersion);
  defineExecutorParameters(p);

  const s3 = paramEnv("app-dir", "s3-bucket", "resolve-s3", "s3-prefix", "region");
  const config = paramEnv("config-file", "config-env");
  const build = { ...paramEnv("helper", "app-dir", "template", "build-args"), ...config };
  // sam build's own cache: per function, SAM checks the source and manifest hashes itself, so a
  // fallback to an older entry is safe and lets unchanged functions skip their dependency install.
  const buildCachePrefix = `sam-layer-sam-build-${param("cache-version")}-{{ arch }}-`;
  const buildCacheKey = `${buildCachePrefix}{{ checksum "${BUILD_KEY_FILE}" }}`;
  const { Restore, Save } = CircleCI.commands.cache;
  const steps = [
    new CircleCI.commands.Checkout(),
    new WhenParameter("attach-workspace", [new CircleCI.commands.workspace.Attach({ at: "." })]),
    new StepsParameter("auth"),
    new CircleCI.reusable.ReusedCommand(installSam, passThrough(["sam-version", "cache-version"])),
    new WhenParameter("sam-build", [
      scriptStep("Key the sam build cache", "sam-build.sh", { ...build, PARAM_WRITE_KEY: BUILD_KEY_FILE }),
      new Restore({ name: "Restore the sam build cache", keys: [buildCacheKey, buildCachePrefix] }),
      scriptStep("Build the functions with sam build", "sam-build.sh", build),
      new Save({
        name: "Save the sam build cache",
        key: buildCacheKey,
        paths: [".aws-sam/cache", ".aws-sam/deps", ".aws-sam/build.toml"].map((p) => `${param("app-dir")}/${p}`),
      }),
    ]),
    scriptStep("Package with sam package", "sam-package.sh", {
      ...s3,
      ...config,
      ...paramEnv("helper", "template", "sam-build"),
      PARAM_PACKAGED_TEMPLATE: PACKAGED_TEMPLATE,
    }),
    new CircleCI.reusable.ReusedCommand(plan, {
      ...passThrough(["stack-name", "region", "helper", "delete-rollback-complete"]),
      "packaged-template": PACKAGED_TEMPLATE,
      "source-template": `${param("app-dir")}/${param("template")}`,
    }),
    scriptStep("Deploy with sam deploy", "sam-deploy.sh", {
      ...s3,
      ...config,
      ...paramEnv("stack-name", "capabilities", "parameter-overrides", "tags", "no-fail-on-empty-changeset", "deploy-args"),
      PARAM_PACKAGED_TEMPLATE: PACKAGED_TEMPLATE,
    }),
    new CircleCI.commands.StoreArtifacts({ path: PACKAGED_TEMPLATE, destination: "packaged.yaml" }),
  ];
  return new CircleCI.reusable.ParameterizedJob("deploy-sam", executor.reuse(passThrough(EXECUTOR_PARAMETERS)), p, steps);
}
