// The `default` executor: CircleCI's Python image with Node.js, so one container has the Python
// that builds Python layers, npm for Node.js layers, and npx for the helper.
import CircleCI from "@circleci/circleci-config-sdk";
import { param, typedParam, type ParameterList } from "../sdk-gaps.js";

type DockerResourceClass = ConstructorParameters<typeof CircleCI.executors.DockerExecutor>[1];

export const EXECUTOR_PARAMETERS = ["python-version", "resource-class"] as const;

export const defaultExecutorDescription =
  "cimg/python with Node.js (`cimg/python:<python-version>-node`). Match python-version to the Lambda " +
  "runtime when compile-bytecode is on; set resource-class to an arm.* class to build on arm64 hardware.";

export function defineExecutorParameters(list: ParameterList): void {
  list.define(
    "python-version",
    "string",
    "3.12",
    "Tag of the cimg/python image (its `-node` variant), e.g. 3.12 or 3.12.7. Must equal the runtime's " + "Python version when compile-bytecode is true.",
  );
  list.define(
    "resource-class",
    "string",
    "medium",
    "Docker resource class, e.g. small, medium, large, or arm.medium for arm64 hardware. Wheels for either " + "Lambda architecture install on both.",
  );
}

export function defaultExecutor(): CircleCI.reusable.ReusableExecutor {
  const parameters = new CircleCI.parameters.CustomParametersList<"string">();
  defineExecutorParameters(parameters);
  const docker = new CircleCI.executors.DockerExecutor(`cimg/python:${param("python-version")}-node`, typedParam<DockerResourceClass>("resource-class"));
  return new CircleCI.reusable.ReusableExecutor("default", docker, parameters);
}
