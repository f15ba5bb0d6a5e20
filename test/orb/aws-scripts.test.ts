// deploy-sam's scripts run for real against a local AWS endpoint (the patched moto server of
// test/support, on 127.0.0.1): `sam package` through sam-package.sh, the deployed-template fetch of
// layer-plan.sh, `sam deploy` through sam-deploy.sh, with the classic example app and a layer zip
// made by the bundled helper.
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsJson, layerContentUri, stackFunctions } from "../support/aws.js";
import { copyExampleApp, scratchDir } from "../support/app-copy.js";
import { startMoto, type MotoServer } from "../support/moto.js";
import { REPO, run, VENV_BIN, type RunResult } from "../support/run.js";
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
    PARAM_HELPER: LOCAL_HELPER,
    PARAM_APP_DIR: app,
    PARAM_TEMPLATE: "template.yaml",
    PARAM_PACKAGED_TEMPLATE: "out/packaged.yaml",
    PARAM_S3_BUCKET: BUCKET,
    PARAM_RESOLVE_S3: "false",
    PARAM_S3_PREFIX: "classic",
    PARAM_REGION: "",
  });

  beforeAll(async () => {
    // A busy machine can take most of 30 s to import moto.
    moto = await startMoto({ timeoutMs: 120_000 });
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

  it("layer-plan.sh: a stack that does not exist yet is a first deploy", async () => {
    const real = await script("layer-plan.sh", planParams(LOCAL_HELPER));
    expect(real.stdout).toContain(`stack ${STACK} does not exist yet: first deploy`);
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

  it("layer-plan.sh: an existing stack is read with the SAM CLI's boto3 and planned against its original template", async () => {
    const helper = await recordingHelper(work);
    await script("layer-plan.sh", { ...planParams(helper.command), PARAM_REGION: "us-east-1" });
    const calls = await helper.calls();
    expect(calls.map((c) => c.args[0])).toEqual(["stack-state", "deploy-template", "plan"]);
    expect(calls[1]?.args).toEqual(["deploy-template", join(app, "template.yaml")]);
    expect(calls[2]?.args.slice(0, 4)).toEqual(["plan", "out/packaged.yaml", "--template", join(app, "template.yaml")]);
    expect(calls[2]?.args[4]).toBe("--stack-info");
    // The real helper: same zip, same S3 key, so no new layer version.
    const real = await script("layer-plan.sh", planParams(LOCAL_HELPER));
    expect(real.stdout).toMatch(new RegExp(`stack ${STACK} is (CREATE|UPDATE)_COMPLETE`));
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
    expect(result.stderr).toContain(`layer-plan: could not read stack ${STACK}:`);
    expect(await helper.calls()).toEqual([]);
  });

  it("layer-plan.sh: a REVIEW_IN_PROGRESS stack (a change set never executed) is a first deploy", async () => {
    const body = await readFile(join(work, "out/packaged.yaml"), "utf8");
    await aws(env, [
      "cloudformation",
      "create-change-set",
      "--stack-name",
      "orb-scripts-review",
      "--change-set-name",
      "never-run",
      "--change-set-type",
      "CREATE",
      "--template-body",
      body,
      "--capabilities",
      "CAPABILITY_IAM",
    ]);
    const result = await script("layer-plan.sh", { ...planParams(LOCAL_HELPER), PARAM_STACK_NAME: "orb-scripts-review" });
    expect(result.stdout).toContain(
      "stack orb-scripts-review is REVIEW_IN_PROGRESS (created by a change set that was never executed; nothing is deployed): first deploy",
    );
    expect(result.stdout).toMatch(/SharedLibsLayer: new: first deploy/);
  });

  it("layer-plan.sh waits for a stack operation in progress, then fails clearly when it does not finish", async () => {
    // moto leaves a stack whose function code is missing in CREATE_IN_PROGRESS for good.
    const stuck =
      "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.11\n      Handler: a.b\n      Role: arn:aws:iam::123456789012:role/x\n      Code: { S3Bucket: no-such-bucket-here, S3Key: nope }\n";
    await run(join(VENV_BIN, "aws"), ["cloudformation", "create-stack", "--stack-name", "orb-scripts-stuck", "--template-body", stuck], {
      env: { ...env, AWS_MAX_ATTEMPTS: "1" },
      okCodes: [0, 255, 254],
    });
    const result = await runScript(
      "layer-plan.sh",
      { ...env, SAM_LAYER_STACK_WAIT_SECONDS: "2", ...planParams(LOCAL_HELPER), PARAM_STACK_NAME: "orb-scripts-stuck" },
      { cwd: work, okCodes: [1] },
    );
    outputs.push(result);
    expect(result.stderr).toContain("stack orb-scripts-stuck is CREATE_IN_PROGRESS: another operation is running; waiting for it to finish");
    expect(result.stdout).toContain("layer-plan: stack orb-scripts-stuck is CREATE_IN_PROGRESS; waiting");
    expect(result.stderr).toContain("layer-plan: stack orb-scripts-stuck is still CREATE_IN_PROGRESS after 2 s; deploy again once it has finished");
  });

  it("layer-plan.sh deletes the stack when the helper says delete (ROLLBACK_COMPLETE with delete-rollback-complete), then plans a first deploy", async () => {
    // moto cannot put a stack in ROLLBACK_COMPLETE: a stand-in helper answers `delete` once; the deletion is real.
    await aws(env, [
      "cloudformation",
      "create-stack",
      "--stack-name",
      "orb-scripts-doomed",
      "--template-body",
      "Resources:\n  T:\n    Type: AWS::SNS::Topic\n",
    ]);
    const fake = join(work, "fake-helper.mjs");
    const answered = join(work, "answered-delete");
    await writeFile(
      fake,
      [
        'import { existsSync, writeFileSync } from "node:fs";',
        "const [answered, command] = process.argv.slice(2);",
        'if (command === "stack-state") {',
        '  if (existsSync(answered)) console.log("first-deploy"); else { writeFileSync(answered, ""); console.log("delete"); }',
        '} else if (command === "deploy-template") console.log(process.argv[4]);',
        'else console.log("plan " + process.argv.slice(3).join(" "));',
      ].join("\n"),
    );
    const result = await script("layer-plan.sh", {
      ...planParams(`node ${fake} ${answered}`),
      PARAM_STACK_NAME: "orb-scripts-doomed",
      PARAM_DELETE_ROLLBACK_COMPLETE: "true",
    });
    expect(result.stdout).toContain("layer-plan: deleted stack orb-scripts-doomed");
    expect(result.stdout).toMatch(/plan out\/packaged.yaml .*--delete-rollback-complete --stack-info /);
    const stacks = await awsJson<{ Stacks: { StackName: string; StackStatus: string }[] }>(env, ["cloudformation", "describe-stacks"]);
    expect(stacks.Stacks.filter((s) => s.StackName === "orb-scripts-doomed" && s.StackStatus !== "DELETE_COMPLETE")).toEqual([]);
  });

  it("sam-build.sh / sam-deploy.sh: build-args and deploy-args split as shell words, after the defaults; samconfig.toml with config-env", async () => {
    // A stand-in `sam` that records its arguments: what is tested is how the scripts assemble them.
    const bin = join(work, "stub-bin");
    await mkdir(bin, { recursive: true });
    const log = join(work, "sam-args.jsonl");
    await writeFile(join(bin, "sam"), `#!/usr/bin/env bash\npython3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >>${JSON.stringify(log)}\n`, {
      mode: 0o755,
    });
    const stubApp = join(work, "stub-app");
    await cp(join(REPO, "test/e2e/fixtures/built-functions"), stubApp, { recursive: true });
    await writeFile(join(stubApp, "samconfig.toml"), "version = 0.1\n[prod.deploy.parameters]\nresolve_s3 = true\n");
    const stubEnv = { ...env, PATH: `${bin}:${env.PATH ?? ""}` };
    const calls = async () =>
      (await readFile(log, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as string[]);
    const config = ["--config-file", join(stubApp, "samconfig.toml"), "--config-env", "prod"];

    await runScript(
      "sam-build.sh",
      {
        ...stubEnv,
        PARAM_HELPER: LOCAL_HELPER,
        PARAM_APP_DIR: stubApp,
        PARAM_TEMPLATE: "template.yaml",
        PARAM_BUILD_ARGS: `--use-container --build-image "ClockFunction=public.ecr.aws/sam/build-python3.11:latest" --debug`,
        PARAM_CONFIG_FILE: "samconfig.toml",
        PARAM_CONFIG_ENV: "prod",
      },
      { cwd: work },
    );
    expect((await calls())[0]).toEqual([
      "build",
      "--template-file",
      "template.yaml",
      "--cached",
      "--parallel",
      ...config,
      "--use-container",
      "--build-image",
      "ClockFunction=public.ecr.aws/sam/build-python3.11:latest",
      "--debug",
    ]);

    const unmatched = await runScript(
      "sam-build.sh",
      {
        ...stubEnv,
        PARAM_HELPER: LOCAL_HELPER,
        PARAM_APP_DIR: stubApp,
        PARAM_TEMPLATE: "template.yaml",
        PARAM_BUILD_ARGS: `--build-image "x`,
        PARAM_CONFIG_FILE: "samconfig.toml",
        PARAM_CONFIG_ENV: "prod",
      },
      { cwd: work, okCodes: [2] },
    );
    expect(unmatched.stderr).toContain("sam-build: build-args is not a list of shell words (an unmatched quote?)");
    expect(await calls()).toHaveLength(1);

    // No s3-bucket and no resolve-s3: allowed when samconfig.toml is there to say where (resolve_s3 above).
    await runScript(
      "sam-package.sh",
      {
        ...stubEnv,
        ...packageParams(),
        PARAM_APP_DIR: stubApp,
        PARAM_S3_BUCKET: "",
        PARAM_S3_PREFIX: "",
        PARAM_SAM_BUILD: "true",
        PARAM_CONFIG_FILE: "samconfig.toml",
        PARAM_CONFIG_ENV: "prod",
      },
      { cwd: work },
    );
    expect((await calls())[1]).toEqual([
      "package",
      "--template-file",
      ".aws-sam/build/template.yaml",
      "--output-template-file",
      join(work, "out/packaged.yaml"),
      ...config,
    ]);

    await runScript(
      "sam-deploy.sh",
      {
        ...stubEnv,
        ...packageParams(),
        PARAM_APP_DIR: stubApp,
        PARAM_S3_BUCKET: "",
        PARAM_S3_PREFIX: "",
        PARAM_STACK_NAME: "stub",
        PARAM_CAPABILITIES: "CAPABILITY_IAM",
        PARAM_NO_FAIL_ON_EMPTY_CHANGESET: "true",
        PARAM_DEPLOY_ARGS: `--disable-rollback --role-arn 'arn:aws:iam::123456789012:role/cfn exec'`,
        PARAM_CONFIG_FILE: "samconfig.toml",
        PARAM_CONFIG_ENV: "prod",
      },
      { cwd: work },
    );
    expect((await calls())[2]?.slice(-7)).toEqual([...config, "--disable-rollback", "--role-arn", "arn:aws:iam::123456789012:role/cfn exec"]);
  });

  it("printed no credentials in any of the runs above", () => {
    expect(outputs.length).toBeGreaterThanOrEqual(8);
    for (const { stdout, stderr } of outputs) {
      expect(stdout + stderr).not.toContain(SECRET);
      expect(stdout + stderr).not.toContain(TOKEN);
    }
  });
});
