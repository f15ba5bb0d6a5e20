// deploy-sam for an app whose functions need `sam build`, end to end against the local endpoint
// (patched moto): the shared layer from build-layer, a Python function with its own
// requirements.txt (python-dateutil) and an esbuild TypeScript function, deployed through the
// orb's scripts as the job runs them (SAM build cache restored and saved with tar as CircleCI
// does, esbuild installed by the script because none is on PATH). The functions are then run with
// the code and layer the endpoint holds. A second app has its layer in a nested application: the
// plan follows the nested stack and says `changed` when the nested lockfile changes.
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, cloudformationDeploy, layerContentUri, listLayerVersions, stackFunctions, versionOf } from "../support/aws.js";
import { scratchDir } from "../support/app-copy.js";
import { checksum, CiCache } from "../support/ci-cache.js";
import { invokeFunction } from "../support/lambda-runner.js";
import { REGION, startMoto, type MotoServer } from "../support/moto.js";
import { buildLayer, runOrbScript } from "../support/orb-scripts.js";
import { REPO, type RunResult } from "../support/run.js";
import { md5Hex } from "../support/zip-facts.js";

const BUCKET = "built-functions-artifacts";
const FIXTURES = resolve(REPO, "test/e2e/fixtures");

/** The environment minus every esbuild on PATH (npx puts node_modules/.bin there), with its own HOME. */
function withoutEsbuild(env: NodeJS.ProcessEnv, home: string): NodeJS.ProcessEnv {
  const path = (env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !dir.includes("node_modules"))
    .join(delimiter);
  // npm's download cache stays the user's, so the esbuild install does not download every run.
  return { ...env, PATH: path, HOME: home, npm_config_cache: join(homedir(), ".npm") };
}

interface JobRun {
  build: RunResult;
  plan: RunResult;
  packaged: string;
  buildCacheHit: "exact" | "fallback" | "none";
  newVersions: number;
}

// Real builds, installs and deploys on a shared 2-core machine: a generous bound per step.
describe("deploy-sam with sam build: a layer, a Python function with its own requirements, an esbuild function", { timeout: 600_000 }, () => {
  let moto: MotoServer;
  let work: string;
  let app: string;
  let env: NodeJS.ProcessEnv;
  let layerZip: string;
  let cache: CiCache;
  let lastBuildKey: string | undefined;
  let versionsSeen = 0;
  const runs: JobRun[] = [];

  /** The deploy-sam job's steps after install-sam, on a fresh checkout with the workspace's zip. */
  async function deploySam(stack: string, n: number): Promise<JobRun> {
    await rm(join(app, ".aws-sam"), { recursive: true, force: true });
    await cp(layerZip, join(app, "layer.zip"));
    const params = { app_dir: app, template: "template.yaml", build_args: "", config_file: "samconfig.toml", config_env: "e2e" };
    const keyFile = join(work, `build-key-${n}`);
    await runOrbScript("sam-build", { ...params, write_key: keyFile }, env);
    const key = `sam-build-v1-${await checksum(keyFile)}`;
    let buildCacheHit: JobRun["buildCacheHit"] = "none";
    if (await cache.restore(key, app)) buildCacheHit = "exact";
    else if (lastBuildKey && (await cache.restore(lastBuildKey, app))) buildCacheHit = "fallback";
    const build = await runOrbScript("sam-build", params, env);
    await cache.save(key, app, [".aws-sam/cache", ".aws-sam/deps", ".aws-sam/build.toml"]);
    lastBuildKey = key;

    const packaged = join(work, `packaged-${n}.yaml`);
    const s3 = { app_dir: app, s3_bucket: BUCKET, resolve_s3: "false", s3_prefix: "", region: REGION, config_file: "samconfig.toml", config_env: "e2e" };
    await runOrbScript("sam-package", { ...s3, template: "template.yaml", packaged_template: packaged, sam_build: "true" }, env);
    const plan = await runOrbScript(
      "layer-plan",
      { stack_name: stack, packaged_template: packaged, source_template: join(app, "template.yaml"), region: REGION },
      env,
    );
    await runOrbScript(
      "sam-deploy",
      {
        ...s3,
        packaged_template: packaged,
        stack_name: stack,
        capabilities: "CAPABILITY_IAM",
        parameter_overrides: "",
        tags: "",
        no_fail_on_empty_changeset: "true",
        deploy_args: '--tags "team=ci" "deployed-by=sam-layer e2e"',
      },
      env,
    );
    const count = (await listLayerVersions(env, "built-functions-shared")).length;
    const result = { build, plan, packaged, buildCacheHit, newVersions: count - versionsSeen };
    versionsSeen = count;
    runs.push(result);
    return result;
  }

  async function functionName(stack: string, logicalId: string): Promise<string> {
    const fns = await stackFunctions(env, stack);
    const fn = fns[logicalId];
    if (!fn) throw new Error(`${stack} has no ${logicalId}`);
    return fn.name;
  }

  beforeAll(async () => {
    // A busy machine can take most of 30 s to import moto.
    moto = await startMoto({ timeoutMs: 120_000 });
    work = await scratchDir("built-functions");
    const home = join(work, "home");
    await mkdir(home, { recursive: true });
    env = withoutEsbuild(moto.env, home);
    cache = new CiCache(join(work, "cache"));
    app = join(work, "app");
    await cp(join(FIXTURES, "built-functions"), app, { recursive: true });
    // samconfig.toml with an environment the job selects with config-env.
    await writeFile(
      join(app, "samconfig.toml"),
      "version = 0.1\n\n[e2e.build.parameters]\ncached = true\n\n[e2e.deploy.parameters]\nconfirm_changeset = false\n",
    );
    // build-layer's part: the layer zip, handed over as the workspace would.
    await buildLayer({ appDir: app, runtime: "python3.11" }, moto.env);
    layerZip = join(work, "layer.zip");
    await cp(join(app, "layer.zip"), layerZip);
    await aws(env, ["s3", "mb", `s3://${BUCKET}`]);
  });

  afterAll(async () => {
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("first deploy: SAM builds both functions (esbuild installed at the pinned version), the layer zip keeps its MD5 key", async () => {
    const first = await deploySam("built-functions", 1);
    expect(first.build.stdout).toContain("no esbuild on PATH; installing esbuild@0.28.2");
    expect(first.build.stdout + first.build.stderr).toMatch(/Build Succeeded/);
    // sam build left the prebuilt zip alone: the built template points back at it...
    const built = await readFile(join(app, ".aws-sam/build/template.yaml"), "utf8");
    expect(built).toMatch(/ContentUri: \.\.\/\.\.\/layer\.zip/);
    // ...and sam package keyed it by the MD5 of its bytes, as without sam build.
    expect(await layerContentUri(first.packaged, "SharedLibsLayer")).toEqual({ bucket: BUCKET, key: await md5Hex(layerZip) });
    expect(first.plan.stdout).toMatch(/SharedLibsLayer: new: first deploy/);
    expect(first.newVersions).toBe(1);
  });

  it("the deployed functions run: dateutil from the function's own requirements, idna from the layer, the TypeScript bundle with ms", async () => {
    const clock = await invokeFunction(env, await functionName("built-functions", "ClockFunction"), {
      when: "2026-11-30T04:20:00+00:00",
      host: "bücher.example",
    });
    expect(clock.functionError, clock.stderr).toBeUndefined();
    expect(clock.response).toEqual({ version: 1, weekday: "Monday", host: "xn--bcher-kva.example" });
    const greet = await invokeFunction(env, await functionName("built-functions", "GreetFunction"), { name: "ci", wait: "2m" });
    expect(greet.response).toEqual({ greeting: "hello ci", waitMs: 120000 });
    const fns = await stackFunctions(env, "built-functions");
    expect(fns.ClockFunction?.layerArns.map(versionOf)).toEqual([1]);
  });

  it("deploy-args arrive as several flags (samconfig's e2e environment applied too)", async () => {
    const described = JSON.parse(await aws(env, ["cloudformation", "describe-stacks", "--stack-name", "built-functions", "--output", "json"])) as {
      Stacks: { Tags: { Key: string; Value: string }[] }[];
    };
    expect(described.Stacks[0]?.Tags).toEqual(
      expect.arrayContaining([
        { Key: "team", Value: "ci" },
        { Key: "deployed-by", Value: "sam-layer e2e" },
      ]),
    );
  });

  it("a code-only change: the build cache is restored and reused, no new layer version, the new code runs on the same layer", async () => {
    const py = join(app, "functions/clock/app.py");
    await writeFile(py, (await readFile(py, "utf8")).replace("VERSION = 1", "VERSION = 2"));
    const ts = join(app, "functions/greet/app.ts");
    await writeFile(ts, (await readFile(ts, "utf8")).replace("`hello ${", "`hi ${"));
    const second = await deploySam("built-functions", 2);
    expect(second.buildCacheHit).toBe("exact");
    expect(second.build.stdout + second.build.stderr).toContain("Manifest is not changed for (ClockFunction), running incremental build");
    expect(second.plan.stdout).toMatch(/SharedLibsLayer: unchanged: no new layer version/);
    expect(second.newVersions).toBe(0);
    expect(await listLayerVersions(env, "built-functions-shared")).toHaveLength(1);
    const clock = await invokeFunction(env, await functionName("built-functions", "ClockFunction"), { when: "2026-12-01T00:00:00Z", host: "example.org" });
    expect(clock.response).toEqual({ version: 2, weekday: "Tuesday", host: "example.org" });
    const greet = await invokeFunction(env, await functionName("built-functions", "GreetFunction"), { name: "ci" });
    expect(greet.response).toEqual({ greeting: "hi ci", waitMs: 120000 });
    const fns = await stackFunctions(env, "built-functions");
    expect(fns.ClockFunction?.layerArns.map(versionOf)).toEqual([1]);
  });

  it("a function whose Python runtime has no python3.X on PATH fails before SAM runs, naming the function and the fix", async () => {
    const broken = join(work, "broken");
    await cp(app, broken, { recursive: true });
    const version = await pythonNotOnPath(env, "3.12");
    const template = join(broken, "template.yaml");
    await writeFile(template, (await readFile(template, "utf8")).replaceAll("python3.11", `python${version}`));
    const result = await runOrbScript(
      "sam-build",
      { app_dir: broken, template: "template.yaml", build_args: "", config_file: "samconfig.toml", config_env: "e2e" },
      env,
    ).then(
      () => {
        throw new Error("sam-build.sh succeeded without the runtime's Python");
      },
      (err: Error) => err.message,
    );
    expect(result).toContain(`template.yaml: ClockFunction (Runtime: python${version}) needs python${version} on PATH for sam build, and there is none:`);
    expect(result).toContain(`set deploy-sam's python-version to ${version}`);
    expect(result).not.toContain("Build Failed");
  });
});

/** A Python 3.X whose interpreter does not run here (a pyenv shim of an inactive version counts as absent). */
async function pythonNotOnPath(env: NodeJS.ProcessEnv, preferred: string): Promise<string> {
  const { spawnSync } = await import("node:child_process");
  for (const v of [preferred, "3.9", "3.10", "3.12", "3.13", "3.14"]) {
    if (spawnSync(`python${v}`, ["-c", ""], { env, stdio: "ignore" }).status !== 0) return v;
  }
  throw new Error("every Python 3.9-3.14 is on PATH here: no runtime to test the missing-Python error with");
}

describe("the plan follows a nested application with a local template", { timeout: 600_000 }, () => {
  let moto: MotoServer;
  let work: string;
  let app: string;
  let env: NodeJS.ProcessEnv;
  const NESTED_BUCKET = "nested-app-artifacts";

  // Nothing to build here (sam-build: false): sam package uploads the nested template itself.
  async function buildAndPackage(n: number): Promise<{ packaged: string; plan: RunResult }> {
    await buildLayer({ appDir: join(app, "shared"), runtime: "python3.11" }, env);
    const packaged = join(work, `packaged-${n}.yaml`);
    await runOrbScript(
      "sam-package",
      {
        app_dir: app,
        template: "template.yaml",
        packaged_template: packaged,
        s3_bucket: NESTED_BUCKET,
        resolve_s3: "false",
        region: REGION,
        sam_build: "false",
      },
      env,
    );
    return { packaged, plan: await plan(packaged) };
  }

  function plan(packaged: string): Promise<RunResult> {
    return runOrbScript("layer-plan", { stack_name: "nested-app", packaged_template: packaged, source_template: "", region: REGION }, env);
  }

  /** sam deploy would package the nested Location again: it takes only amazonaws.com URLs for S3, and the endpoint's is localhost. */
  function deploy(packaged: string): Promise<void> {
    return cloudformationDeploy(env, "nested-app", packaged, ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]);
  }

  beforeAll(async () => {
    // A busy machine can take most of 30 s to import moto.
    moto = await startMoto({ timeoutMs: 120_000 });
    env = moto.env;
    work = await scratchDir("nested-app");
    app = join(work, "app");
    await cp(join(FIXTURES, "nested-app"), app, { recursive: true });
    await aws(env, ["s3", "mb", `s3://${NESTED_BUCKET}`]);
  });

  afterAll(async () => {
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("first deploy, then unchanged, then changed when the nested lockfile changes", async () => {
    const first = await buildAndPackage(1);
    expect(first.plan.stdout).toContain("stack nested-app does not exist yet: first deploy");
    expect(first.plan.stdout).toMatch(/Shared\/NestedLibsLayer: new: first deploy/);
    await deploy(first.packaged);
    expect(await listLayerVersions(env, "nested-app-shared")).toHaveLength(1);

    const again = await plan(first.packaged);
    expect(again.stdout).toMatch(/stack nested-app is CREATE_COMPLETE/);
    expect(again.stdout).toMatch(/Shared\/NestedLibsLayer: unchanged: no new layer version/);

    await writeFile(join(app, "shared/requirements.txt"), "idna==3.9\n");
    const changed = await buildAndPackage(3);
    const oldKey = await md5Of(first.packaged);
    expect(changed.plan.stdout).toMatch(/Shared\/NestedLibsLayer: changed: a new layer version will be published/);
    expect(changed.plan.stdout).toContain(`content: s3://${NESTED_BUCKET}/${oldKey} -> s3://${NESTED_BUCKET}/`);
    await deploy(changed.packaged);
    expect(await listLayerVersions(env, "nested-app-shared")).toHaveLength(2);
  });

  /** The nested layer's key in a plan: read back from the nested template sam package uploaded. */
  async function md5Of(packaged: string): Promise<string> {
    const text = await readFile(packaged, "utf8");
    const location = /Location: (\S+)/.exec(text)?.[1];
    if (!location) throw new Error(`${packaged}: no nested Location`);
    const key = location.split("/").pop()!;
    const nested = await aws(env, ["s3", "cp", `s3://${NESTED_BUCKET}/${key}`, "-"]);
    const content = /ContentUri: s3:\/\/[^/]+\/(\S+)/.exec(nested)?.[1];
    if (!content) throw new Error(`${key}: no ContentUri`);
    return content;
  }
});
