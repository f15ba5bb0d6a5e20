// awscli calls the end-to-end tests make, and the state they read back from the endpoint.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parse } from "yaml";
import { run, VENV_BIN } from "./run.js";

export async function aws(env: NodeJS.ProcessEnv, args: string[], cwd?: string): Promise<string> {
  return (await run(resolve(VENV_BIN, "aws"), args, { env, cwd })).stdout;
}

export async function awsJson<T>(env: NodeJS.ProcessEnv, args: string[]): Promise<T> {
  return JSON.parse(await aws(env, [...args, "--output", "json"])) as T;
}

/** `aws cloudformation package`: the classic packaging command (a .zip ContentUri is keyed by its MD5). */
export async function cloudformationPackage(env: NodeJS.ProcessEnv, appDir: string, bucket: string, output: string): Promise<void> {
  await aws(env, ["cloudformation", "package", "--template-file", "template.yaml", "--s3-bucket", bucket, "--output-template-file", output], appDir);
}

/** `aws cloudformation deploy` of a packaged SAM template (the endpoint runs the SAM transform). */
export async function cloudformationDeploy(
  env: NodeJS.ProcessEnv,
  stack: string,
  packaged: string,
  capabilities: string[] = ["CAPABILITY_IAM"],
): Promise<void> {
  await aws(env, [
    "cloudformation",
    "deploy",
    "--template-file",
    packaged,
    "--stack-name",
    stack,
    "--capabilities",
    ...capabilities,
    "--no-fail-on-empty-changeset",
  ]);
}

export interface S3Location {
  bucket: string;
  key: string;
}

/** Where a packaged SAM template says the given layer's content is. */
export async function layerContentUri(packagedTemplate: string, logicalId: string): Promise<S3Location> {
  // aws-cli keeps short-form tags (!Ref); they are irrelevant here, so let them fall back to strings.
  const template = parse(await readFile(packagedTemplate, "utf8"), { logLevel: "error" }) as {
    Resources?: Record<string, { Properties?: { ContentUri?: unknown } }>;
  };
  const uri = template.Resources?.[logicalId]?.Properties?.ContentUri;
  const match = typeof uri === "string" ? /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) : null;
  if (!match) throw new Error(`${packagedTemplate}: ${logicalId} has no s3:// ContentUri (found ${JSON.stringify(uri)})`);
  return { bucket: match[1]!, key: match[2]! };
}

export interface LayerVersionInfo {
  version: number;
  arn: string;
}

/** Every version number the endpoint holds for a layer, oldest first (one call). */
export async function listLayerVersions(env: NodeJS.ProcessEnv, layerName: string): Promise<LayerVersionInfo[]> {
  const listed = await awsJson<{ LayerVersions: { Version: number; LayerVersionArn: string }[] }>(env, [
    "lambda",
    "list-layer-versions",
    "--layer-name",
    layerName,
  ]);
  return listed.LayerVersions.map((v) => ({ version: v.Version, arn: v.LayerVersionArn })).sort((a, b) => a.version - b.version);
}

/** Lambda's CodeSha256 of one layer version's content. */
export async function layerVersionSha256(env: NodeJS.ProcessEnv, layerName: string, version: number): Promise<string> {
  const full = await awsJson<{ Content: { CodeSha256: string } }>(env, [
    "lambda",
    "get-layer-version",
    "--layer-name",
    layerName,
    "--version-number",
    String(version),
  ]);
  return full.Content.CodeSha256;
}

export interface DeployedFunction {
  logicalId: string;
  name: string;
  codeSha256: string;
  layerArns: string[];
}

/** The stack's Lambda functions as the Lambda API reports them (not as the template says). */
export async function stackFunctions(env: NodeJS.ProcessEnv, stack: string): Promise<Record<string, DeployedFunction>> {
  const resources = await awsJson<{
    StackResources: { LogicalResourceId: string; PhysicalResourceId: string; ResourceType: string }[];
  }>(env, ["cloudformation", "describe-stack-resources", "--stack-name", stack]);
  const functions = resources.StackResources.filter((r) => r.ResourceType === "AWS::Lambda::Function");
  const deployed = await Promise.all(
    functions.map(async (r) => {
      const config = await awsJson<{ CodeSha256: string; Layers?: { Arn: string }[] }>(env, [
        "lambda",
        "get-function-configuration",
        "--function-name",
        r.PhysicalResourceId,
      ]);
      return {
        logicalId: r.LogicalResourceId,
        name: r.PhysicalResourceId,
        codeSha256: config.CodeSha256,
        layerArns: (config.Layers ?? []).map((l) => l.Arn),
      };
    }),
  );
  return Object.fromEntries(deployed.map((f) => [f.logicalId, f]));
}

/** "arn:...:layer:name:7" -> 7 */
export function versionOf(layerVersionArn: string): number {
  const match = /:layer:[^:]+:(\d+)$/.exec(layerVersionArn);
  if (!match) throw new Error(`not a layer version ARN: ${layerVersionArn}`);
  return Number(match[1]);
}
