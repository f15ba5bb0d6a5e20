// The `install-sam` command: a pinned AWS SAM CLI in its own virtualenv, cached by CircleCI under a
// key of the SAM version, the exact Python build and the machine, so a warm deploy does not reinstall it.
import CircleCI from "@circleci/circleci-config-sdk";
import { param, paramEnv, scriptStep, type ParameterList } from "../sdk-gaps.js";

type CommandLiteral = CircleCI.types.parameter.literals.CommandParameterLiteral;

/** The SAM CLI version the orb is tested with (requirements-test.txt pins the same). */
export const SAM_CLI_VERSION = "1.170.0";

/** What install-sam.sh writes in key mode: SAM version, Python build, machine. */
export const SAM_CLI_KEY_FILE = "/tmp/sam-layer/sam-cli-key";
/** The virtualenv install-sam.sh installs into (and the cache holds). */
export const SAM_CLI_VENV = "~/.sam-layer/venvs/sam";

export function defineSamVersionParameter(list: ParameterList): void {
  list.define("sam-version", "string", SAM_CLI_VERSION, "AWS SAM CLI version to install with pip (an image that already has exactly this version keeps it).");
}

export function defineCacheVersionParameter(list: ParameterList): void {
  list.define("cache-version", "string", "v1", "Change it to start from empty caches (the SAM CLI's and sam build's).");
}

export const installSamDescription =
  "Install a pinned AWS SAM CLI into its own virtualenv, restored from and saved to a CircleCI cache keyed by " +
  "the SAM version, the Python build and the machine. Only `sam` is put on PATH. No AWS CLI: the plan reads " +
  "the stack with the SAM CLI's own boto3.";

export function installSamCommand(): CircleCI.reusable.ReusableCommand {
  const parameters = new CircleCI.parameters.CustomParametersList<CommandLiteral>();
  defineSamVersionParameter(parameters);
  defineCacheVersionParameter(parameters);
  const key = `sam-layer-sam-cli-${param("cache-version")}-{{ arch }}-${param("sam-version")}-{{ checksum "${SAM_CLI_KEY_FILE}" }}`;
  const { Restore, Save } = CircleCI.commands.cache;
  return new CircleCI.reusable.ReusableCommand(
    "install-sam",
    [
      scriptStep("Key the SAM CLI cache", "install-sam.sh", { ...paramEnv("sam-version"), PARAM_WRITE_KEY: SAM_CLI_KEY_FILE }),
      new Restore({ name: "Restore the SAM CLI", keys: [key] }),
      scriptStep("Install the AWS SAM CLI", "install-sam.sh", paramEnv("sam-version")),
      new Save({ name: "Save the SAM CLI", key, paths: [SAM_CLI_VENV] }),
    ],
    parameters,
    installSamDescription,
  );
}
