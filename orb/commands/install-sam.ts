// The `install-sam` command: a pinned AWS SAM CLI (and the AWS CLI when the image has none).
import CircleCI from "@circleci/circleci-config-sdk";
import { paramEnv, scriptStep, type ParameterList } from "../sdk-gaps.js";

type CommandLiteral = CircleCI.types.parameter.literals.CommandParameterLiteral;

/** The SAM CLI version the orb is tested with (requirements-test.txt pins the same). */
export const SAM_CLI_VERSION = "1.170.0";

export function defineSamVersionParameter(list: ParameterList): void {
  list.define("sam-version", "string", SAM_CLI_VERSION, "AWS SAM CLI version to install with pip (an image that already has exactly this version keeps it).");
}

export const installSamDescription =
  "Install a pinned AWS SAM CLI into its own virtualenv, and the AWS CLI when none is on PATH " +
  "(aws-cli/setup usually provides it). Only the executables are put on PATH.";

export function installSamCommand(): CircleCI.reusable.ReusableCommand {
  const parameters = new CircleCI.parameters.CustomParametersList<CommandLiteral>();
  defineSamVersionParameter(parameters);
  return new CircleCI.reusable.ReusableCommand(
    "install-sam",
    [scriptStep("Install the AWS SAM CLI", "install-sam.sh", paramEnv("sam-version"))],
    parameters,
    installSamDescription,
  );
}
