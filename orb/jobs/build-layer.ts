// The `build-layer` job: checkout, the `build` command, then hand the zip on (workspace) and keep it
// (artifact). Pre- and post-steps are CircleCI's own `pre-steps`/`post-steps` job arguments.
import CircleCI from "@circleci/circleci-config-sdk";
import { BUILD_PARAMETERS, defineBuildParameters, STAGE_DIR } from "../commands/build.js";
import { EXECUTOR_PARAMETERS, defineExecutorParameters } from "../executors/default.js";
import { param, passThrough, WhenParameter, WhenSet } from "../sdk-gaps.js";

type JobLiteral = CircleCI.types.parameter.literals.JobParameterLiteral;

export const buildLayerDescription =
  "Build the layer zip with `sam-layer build` (cached by lockfile, runtime, architecture, package manager " +
  "and helper version; no fallback cache), or with `template` every layer of a SAM template and a copy of the template that points at the zips; persist it to the workspace for deploy-sam and store it as an " +
  "artifact. Its bytes depend only on the dependencies, so `sam package` keeps the layer's S3 key and no new " +
  "layer version is published until they change. Accepts CircleCI's pre-steps and post-steps.";

export function buildLayerJob(
  executor: CircleCI.reusable.ReusableExecutor,
  build: CircleCI.reusable.ReusableCommand,
  helperVersion: string,
): CircleCI.reusable.ParameterizedJob {
  const parameters = new CircleCI.parameters.CustomParametersList<JobLiteral>();
  defineBuildParameters(parameters, helperVersion);
  parameters.define(
    "persist-to-workspace",
    "boolean",
    true,
    "Persist the zip to the workspace (at <app-dir>/<output>; with template, the zips and the rewritten templates at their paths) for a later deploy-sam job.",
  );
  defineExecutorParameters(parameters);

  const zip = `${param("app-dir")}/${param("output")}`;
  const steps = [
    new CircleCI.commands.Checkout(),
    new CircleCI.reusable.ReusedCommand(build, passThrough(BUILD_PARAMETERS)),
    new WhenSet("template", [
      new WhenParameter("persist-to-workspace", [new CircleCI.commands.workspace.Persist({ root: STAGE_DIR, paths: ["."] })]),
      new CircleCI.commands.StoreArtifacts({ path: STAGE_DIR }),
    ]),
    new WhenSet(
      "template",
      [
        new WhenParameter("persist-to-workspace", [new CircleCI.commands.workspace.Persist({ root: ".", paths: [zip] })]),
        new CircleCI.commands.StoreArtifacts({ path: zip }),
      ],
      false,
    ),
  ];
  return new CircleCI.reusable.ParameterizedJob("build-layer", executor.reuse(passThrough(EXECUTOR_PARAMETERS)), parameters, steps);
}
