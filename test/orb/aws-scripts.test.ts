// deploy-sam's scripts run for real against a local AWS endpoint (the patched moto server of
// test/support, on 127.0.0.1): `sam package` through sam-package.sh, the deployed-template fetch of
// layer-plan.sh, `sam deploy` through sam-deploy.sh, with the classic example app and a layer zip
// made by the bundled helper.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsJson, layerContentUri, stackFunctions } from "../support/aws.js";
import { copyExampleApp, scratchDir } from "../support/app-copy.js";
import { startMoto, type MotoServer } from "../support/moto.js";
import { REPO, run, type RunResult } from "../support/run.js";
import { md5Hex } from "../support/zip-facts.js";
import { LOCAL_HELPER, recordingHelper, runScript } from "./script-harness.js";

const BUCKET = "orb-scripts-artifacts";
const STACK = "orb-scripts-classic";
// Distinctive dummy credentials, so a script that printed them would be caught.
const SECRET = "dummy-secret-SHOULD-NEVER-BE-PRINTED";
const TOKEN = "dummy-token-SHOULD-NEVER-BE-PRINTED";

describe("deploy-sam's scripts against a local AWS endpoint", () => {
  let moto: MotoServer;
  let work: string;
  let app: string;
  let env: NodeJS.ProcessEnv;
  let zipMd5: string;
  const outputs: RunResult[] = [];

  async function script(name: string, params: Record<string, string>, okCodes?: number[]): Promise<RunResult> {
    const result = await runScript(name, { ...env, ...params }, { cwd: work, okCodes });
    outputs.push(result);
    return result;
  }

  const packageParams = () => ({
    PARAM_APP_DIR: app,
    PARAM_TEMPLATE: "template.yaml",
    PARAM_PACKAGED_TEMPLATE: "out/packaged.yaml",
    PARAM_S3_BUCKET: BUCKET,
    PARAM_RESOLVE_S3: "false",
    PARAM_S3_PREFIX: "classic",
    PARAM_REGION: "",
  });

  beforeAll(async () => {
    moto = await startMoto();
    env = { ...moto.env, AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN };
    work = await scratchDir("orb-aws-scripts");
    app = await copyExampleApp("classic-app", work);
    // A template parameter, so the deploy can show parameter-overrides arriving.
    const template = join(app, "template.yaml");
    const text = await readFile(template, "utf8");
    await writeFile(template, text.replace(/^Globals:/m, "Parameters:\n  Stage:\n    Type: String\n    Default: dev\n\nGlobals:"));
    // A small real layer, zipped by the helper: the scripts only care that it is a zip.
    await mkdir(join(work, "tiny/python"), { recursive: true });
    await writeFile(join(work, "tiny/python/tiny.py"), "VALUE = 1\n");
    await run("node", [join(REPO, "dist/sam-layer.mjs"), "zip", join(work, "tiny"), "-o", join(app, "layer.zip")]);
    zipMd5 = await md5Hex(join(app, "layer.zip"));
    await aws(env, ["s3", "mb", `s3://${BUCKET}`]);
  });

  afterAll(async () => {
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("sam-package.sh uploads the layer zip under the MD5 of its bytes and writes the packaged template", async () => {
    await script("sam-package.sh", packageParams());
    const packaged = join(work, "out/packaged.yaml");
    expect(await layerContentUri(packaged, "SharedLibsLayer")).toEqual({ bucket: BUCKET, key: `classic/${zipMd5}` });
    // Packaging again changes nothing: same key, same template.
    const before = await readFile(packaged, "utf8");
    await script("sam-package.sh", packageParams());
    expect(await readFile(packaged, "utf8")).toBe(before);
  });

  it("sam-package.sh wants exactly one of s3-bucket and resolve-s3", async () => {
    const neither = await script("sam-package.sh", { ...packageParams(), PARAM_S3_BUCKET: "" }, [2]);
    expect(neither.stderr.trim()).toBe("sam-package: set s3-bucket, or resolve-s3: true to let SAM manage a bucket");
    const both = await script("sam-package.sh", { ...packageParams(), PARAM_RESOLVE_S3: "true" }, [2]);
    expect(both.stderr.trim()).toBe("sam-package: set either s3-bucket or resolve-s3, not both");
  });

  const planParams = (helper: string) => ({
    PARAM_HELPER: helper,
    PARAM_STACK_NAME: STACK,
    PARAM_PACKAGED_TEMPLATE: "out/packaged.yaml",
    PARAM_SOURCE_TEMPLATE: join(app, "template.yaml"),
    PARAM_REGION: "",
  });

  it("layer-plan.sh: a stack that does not exist yet is a first deploy (plan without --deployed)", async () => {
    const helper = await recordingHelper(work);
    const result = await script("layer-plan.sh", planParams(helper.command));
    expect(result.stdout).toContain(`layer-plan: stack ${STACK} does not exist yet: first deploy`);
    expect(await helper.calls()).toEqual([{ args: ["plan", "out/packaged.yaml", "--template", join(app, "template.yaml")], deployed: null }]);
    const real = await script("layer-plan.sh", planParams(LOCAL_HELPER));
    expect(real.stdout).toMatch(/SharedLibsLayer.*new: first deploy/);
  });

  it("sam-deploy.sh deploys the packaged template with the capabilities, tags and parameter overrides given", async () => {
    await script("sam-deploy.sh", {
      ...packageParams(),
      PARAM_STACK_NAME: STACK,
      PARAM_CAPABILITIES: "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND",
      PARAM_PARAMETER_OVERRIDES: "Stage=prod",
      PARAM_TAGS: "project=sam-layer team=ci",
      PARAM_NO_FAIL_ON_EMPTY_CHANGESET: "true",
    });
    type Stack = { StackStatus: string; Tags: { Key: string; Value: string }[]; Parameters: { ParameterKey: string; ParameterValue: string }[] };
    const { Stacks } = await awsJson<{ Stacks: Stack[] }>(env, ["cloudformation", "describe-stacks", "--stack-name", STACK]);
    expect(Stacks[0]?.StackStatus).toMatch(/_COMPLETE$/);
    expect(Stacks[0]?.Parameters).toContainEqual({ ParameterKey: "Stage", ParameterValue: "prod" });
    expect(Stacks[0]?.Tags).toEqual(
      expect.arrayContaining([
        { Key: "project", Value: "sam-layer" },
        { Key: "team", Value: "ci" },
      ]),
    );
    const functions = await stackFunctions(env, STACK);
    expect(Object.keys(functions).sort()).toEqual(["FugaFunction", "HogeFunction"]);
    expect(functions.HogeFunction?.layerArns).toHaveLength(1);
  });

  it("layer-plan.sh: an existing stack's original template is handed to the plan as --deployed", async () => {
    const helper = await recordingHelper(work);
    await script("layer-plan.sh", { ...planParams(helper.command), PARAM_REGION: "us-east-1" });
    const [call] = await helper.calls();
    expect(call?.args.slice(0, 5)).toEqual(["plan", "out/packaged.yaml", "--template", join(app, "template.yaml"), "--deployed"]);
    // get-template's output with the original (pre-transform) template: the SAM layer, packaged.
    expect(call?.deployed).toContain("AWS::Serverless::LayerVersion");
    expect(call?.deployed).toContain(`classic/${zipMd5}`);
    // The real helper: same zip, same S3 key, so no new layer version.
    const real = await script("layer-plan.sh", planParams(LOCAL_HELPER));
    expect(real.stdout).toMatch(/SharedLibsLayer.*unchanged: no new layer version/);
  });

  it("layer-plan.sh says a new layer version when the zip changed", async () => {
    await writeFile(join(work, "tiny/python/tiny.py"), "VALUE = 2\n");
    await run("node", [join(REPO, "dist/sam-layer.mjs"), "zip", join(work, "tiny"), "-o", join(app, "layer.zip")]);
    await script("sam-package.sh", { ...packageParams(), PARAM_PACKAGED_TEMPLATE: "out/changed.yaml" });
    const real = await script("layer-plan.sh", { ...planParams(LOCAL_HELPER), PARAM_PACKAGED_TEMPLATE: "out/changed.yaml" });
    expect(real.stdout).toMatch(/SharedLibsLayer.*changed: a new layer version will be published/);
  });

  it("sam-deploy.sh with nothing to change succeeds only when no-fail-on-empty-changeset is true", async () => {
    const params = {
      ...packageParams(),
      PARAM_STACK_NAME: STACK,
      PARAM_CAPABILITIES: "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND",
      PARAM_PARAMETER_OVERRIDES: "Stage=prod",
      PARAM_TAGS: "project=sam-layer team=ci",
    };
    const tolerated = await script("sam-deploy.sh", { ...params, PARAM_NO_FAIL_ON_EMPTY_CHANGESET: "true" });
    expect(tolerated.stdout + tolerated.stderr).toMatch(/No changes to deploy/i);
    const strict = await script("sam-deploy.sh", { ...params, PARAM_NO_FAIL_ON_EMPTY_CHANGESET: "false" }, [1]);
    expect(strict.stdout + strict.stderr).toMatch(/No changes to deploy/i);
  });

  it("layer-plan.sh fails with the AWS error when it cannot read the stack (not a first deploy)", async () => {
    const helper = await recordingHelper(work);
    const result = await runScript(
      "layer-plan.sh",
      {
        ...env,
        AWS_ENDPOINT_URL: "http://127.0.0.1:9",
        AWS_MAX_ATTEMPTS: "1",
        ...planParams(helper.command),
      },
      { cwd: work, okCodes: [1] },
    );
    outputs.push(result);
    expect(result.stderr).toContain(`layer-plan: could not read the template of stack ${STACK}:`);
    expect(await helper.calls()).toEqual([]);
  });

  it("printed no credentials in any of the runs above", () => {
    expect(outputs.length).toBeGreaterThanOrEqual(8);
    for (const { stdout, stderr } of outputs) {
      expect(stdout + stderr).not.toContain(SECRET);
      expect(stdout + stderr).not.toContain(TOKEN);
    }
  });
});
