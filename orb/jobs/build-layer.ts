// The `build-layer` job: checkout, the `build` command, then hand the zip on (workspace) and keep it
// (artifact). Pre- and post-steps are CircleCI's own `pre-steps`/`post-steps` job arguments.
import CircleCI from "@circleci/circleci-config-sdk";
import { BUILD_PARAMETERS, defineBuildParameters } from "../commands/build.js";
import { EXECUTOR_PARAMETERS, defineExecutorParameters } from "../executors/default.js";
import { param, passThrough, WhenParameter } from "../sdk-gaps.js";

type JobLiteral = CircleCI.types.parameter.literals.JobParameterLiteral;

export const buildLayerDescription =
  "Build the layer zip with `sam-layer build` (cached by lockfile, runtime, architecture, package manager " +
  "and helper version; no fallback cache), persist it to the workspace for deploy-sam and store it as an " +
  "artifact. Its bytes depend only on the dependencies, so `sam package` keeps the layer's S3 key and no new " +
  "layer version is published until they change. Accepts CircleCI's pre-steps and post-steps.";

export function buildLayerJob(
  executor: CircleCI.reusable.ReusableExecutor,
  build: CircleCI.reusable.ReusableCommand,
  helperVersion: string,
): CircleCI.reusable.ParameterizedJob {
  const parameters = new CircleCI.parameters.CustomParametersList<JobLiteral>();
  defineBuildParameters(parameters, helperVersion);
  parameters.define("persist-to-workspace", "boolean", true, "Persist the zip to the workspace (at <app-dir>/<output>) for a later deploy-sam job.");
  defineExecutorParameters(parameters);

  const zip = `${param("app-dir")}/${param("output")}`;
  const steps = [
    new CircleCI.commands.Checkout(),
    new CircleCI.reusable.ReusedCommand(build, passThrough(BUILD_PARAMETERS)),
    new WhenParameter("persist-to-workspace", [new CircleCI.commands.workspace.Persist({ root: ".", paths: [zip] })]),
    new CircleCI.commands.StoreArtifacts({ path: zip }),
  ];
  return new CircleCI.reusable.ParameterizedJob("build-layer", executor.reuse(passThrough(EXECUTOR_PARAMETERS)), parameters, steps);
}
