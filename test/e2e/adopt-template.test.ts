// Zero-edit adoption, end to end: an app written the `sam build` way (a Python and a Node.js layer,
// each a folder with a lockfile and `Metadata: BuildMethod`, the Python one also holding the app's
// own common_utils/; two functions using both through !Ref), never edited, goes through the orb's
// scripts as CircleCI would run them: build-layer with its `template` parameter (key step,
// restore_cache with the template fallback, install-pkg-tool, build, save_cache, the staged
// workspace), then deploy-sam on another checkout with the workspace attached and the user's own
// `template: template.yaml` (sam package of the rewritten copy it picks, layer plan, sam deploy)
// against the local AWS endpoint. Layer versions and the functions' layer ARNs are read back from
// the endpoint, and the functions are run with the layers they got.
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, layerContentUri, listLayerVersions, stackFunctions, versionOf } from "../support/aws.js";
import { scratchDir } from "../support/app-copy.js";
import { checksum, CiCache } from "../support/ci-cache.js";
import { invokeFunction } from "../support/lambda-runner.js";
import { REGION, startMoto, type MotoServer } from "../support/moto.js";
import { runOrbScript } from "../support/orb-scripts.js";
import { REPO, run, VENV_BIN } from "../support/run.js";
import { md5Hex } from "../support/zip-facts.js";

const FIXTURE = resolve(REPO, "test/e2e/fixtures/sam-build-app");
const BUCKET = "adopt-artifacts";
const STACK = "adopt-app";
const LAYERS = { PyDepsLayer: "adopt-py-deps", NodeDepsLayer: "adopt-node-deps" } as const;
type LayerId = keyof typeof LAYERS;
const CACHE_PREFIX = "sam-layer-template-v1-";

interface Run {
  packaged: string;
  buildOutput: string;
  cacheRestored?: string;
  plan: string;
  md5: Record<LayerId, string>;
  s3Key: Record<LayerId, string>;
  versions: Record<LayerId, number[]>;
  functionLayers: Record<string, string[]>;
}

// Each step is a whole CI run (two installs, sam package, sam deploy): give it room on a busy 2-core machine.
describe("an unmodified sam build app through the orb's scripts: a layer version only when that layer's dependencies change", { timeout: 420_000 }, () => {
  let moto: MotoServer;
  let work: string;
  let source: string;
  let cache: CiCache;
  let runs = 0;
  const results: Run[] = [];

  /** One CI run: build-layer job on one fresh checkout, deploy-sam job on another. */
  async function pipeline(): Promise<Run> {
    const n = runs++;
    const buildRoot = join(work, `run-${n}`, "build");
    const deployRoot = join(work, `run-${n}`, "deploy");
    const stage = join(work, `run-${n}`, "workspace");
    for (const root of [buildRoot, deployRoot]) await cp(source, join(root, "app"), { recursive: true });
    const env = { ...moto.env };
    const inBuild = env;
    const build = (params: Record<string, string>) =>
      runOrbScript("build-layer", { app_dir: "app", template: "template.yaml", compile_bytecode: "false", ...params }, inBuild, buildRoot);

    const keyFile = join(work, `run-${n}`, "cache-key");
    await build({ write_key: keyFile });
    const key = `${CACHE_PREFIX}${await checksum(keyFile)}`;
    const cacheRestored = await cache.restoreFirst([key, CACHE_PREFIX], buildRoot);
    await runOrbScript(
      "install-pkg-tool",
      { app_dir: "app", template: "template.yaml", pkg_manager: "auto", lockfile: "", runtime: "python3.12" },
      inBuild,
      buildRoot,
    );
    const built = await build({ stage_dir: stage });
    await cache.save(key, buildRoot, ["app/.sam-layer"]);
    // attach_workspace at the deploy checkout's root
    await cp(stage, deployRoot, { recursive: true });

    const app = join(deployRoot, "app");
    const packaged = join(work, `run-${n}`, "packaged.yaml");
    // deploy-sam as the user already had it: `template: template.yaml`. Its scripts deploy the copy
    // build-layer wrote beside it (the layer plan reads it too: no "is a folder" warning below).
    const packageRun = await runOrbScript(
      "sam-package",
      { app_dir: app, template: "template.yaml", packaged_template: packaged, s3_bucket: BUCKET, region: REGION },
      env,
    );
    const plan = await runOrbScript(
      "layer-plan",
      { stack_name: STACK, packaged_template: packaged, source_template: join(app, "template.yaml"), region: REGION },
      env,
    );
    for (const step of [packageRun, plan])
      expect(step.stderr).toMatch(/^sam-layer: deploying \S*template\.sam-layer\.yaml: the copy build-layer wrote from \S*template\.yaml/m);
    await runOrbScript(
      "sam-deploy",
      {
        app_dir: app,
        packaged_template: packaged,
        stack_name: STACK,
        s3_bucket: BUCKET,
        region: REGION,
        capabilities: "CAPABILITY_IAM",
        no_fail_on_empty_changeset: "true",
      },
      env,
    );

    const md5 = {} as Record<LayerId, string>;
    const s3Key = {} as Record<LayerId, string>;
    const versions = {} as Record<LayerId, number[]>;
    for (const id of Object.keys(LAYERS) as LayerId[]) {
      md5[id] = await md5Hex(join(app, ".sam-layer", `${id}.zip`));
      s3Key[id] = (await layerContentUri(packaged, id)).key;
      versions[id] = (await listLayerVersions(env, LAYERS[id])).map((v) => v.version);
    }
    const fns = await stackFunctions(env, STACK);
    const functionLayers = Object.fromEntries(Object.values(fns).map((f) => [f.logicalId, f.layerArns]));
    const result = { packaged, buildOutput: built.stdout, cacheRestored, plan: plan.stdout, md5, s3Key, versions, functionLayers };
    results.push(result);
    return result;
  }

  /** Each function's layers as "name:version", in the function's order. */
  function layerVersions(r: Run): Record<string, string[]> {
    return Object.fromEntries(
      Object.entries(r.functionLayers).map(([fn, arns]) => [fn, arns.map((arn) => `${/:layer:([^:]+):/.exec(arn)![1]}:${versionOf(arn)}`)]),
    );
  }

  beforeAll(async () => {
    moto = await startMoto();
    work = await scratchDir("adopt");
    source = join(work, "repo");
    await cp(FIXTURE, source, { recursive: true });
    cache = new CiCache(join(work, "cache"));
    await aws(moto.env, ["s3", "mb", `s3://${BUCKET}`]);
  });

  afterAll(async () => {
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("1. first deploy: both layers at version 1, both functions on both, and the template is the user's", async () => {
    const r = await pipeline();
    expect(r.cacheRestored).toBeUndefined();
    expect(await readFile(join(source, "template.yaml"), "utf8")).toBe(await readFile(join(FIXTURE, "template.yaml"), "utf8"));
    expect(r.buildOutput).toMatch(/^PyDepsLayer: pip, python3\.12 x86_64, created, md5 [0-9a-f]{32}, /m);
    expect(r.buildOutput).toMatch(/^NodeDepsLayer: npm, nodejs20\.x x86_64, created, md5 [0-9a-f]{32}, /m);
    // The Python layer's folder holds code of its own (common_utils/): shipped and imported by the check.
    expect(r.buildOutput).toMatch(/^PyDepsLayer: import check: 1 module of 1 distribution and 1 own module import on python3\.12 /m);
    expect(r.buildOutput).toMatch(/^staged 3 files \(layer zips and rewritten templates\) in /m);
    // The S3 key of each layer is its zip's MD5: the bytes sam-layer made went up as they are.
    expect(r.s3Key).toEqual(r.md5);
    expect(r.plan).toMatch(/^PyDepsLayer: new: first deploy$/m);
    expect(r.plan).toMatch(/^NodeDepsLayer: new: first deploy$/m);
    expect(r.plan).not.toMatch(/warning: .*is a folder/);
    expect(r.versions).toEqual({ PyDepsLayer: [1], NodeDepsLayer: [1] });
    expect(layerVersions(r)).toEqual({
      PyFunction: ["adopt-py-deps:1", "adopt-node-deps:1"],
      NodeFunction: ["adopt-py-deps:1", "adopt-node-deps:1"],
    });
  });

  it("2. a code-only change, cache hit: both layers stay at version 1", async () => {
    await writeFile(join(source, "src/py/app.py"), `${await readFile(join(source, "src/py/app.py"), "utf8")}\n# a code change\n`);
    const r = await pipeline();
    expect(r.cacheRestored).toMatch(new RegExp(`^${CACHE_PREFIX}[0-9a-f]{64}$`));
    expect(r.buildOutput.match(/layer folder and zip already built for this key; skipping install/g)).toHaveLength(2);
    expect(r.md5).toEqual(results[0]!.md5);
    expect(r.plan).toMatch(/^PyDepsLayer: unchanged: no new layer version$/m);
    expect(r.plan).toMatch(/^NodeDepsLayer: unchanged: no new layer version$/m);
    expect(r.versions).toEqual({ PyDepsLayer: [1], NodeDepsLayer: [1] });
    expect(layerVersions(r)).toEqual(layerVersions(results[0]!));
  });

  it("3. a cache miss, fresh installs: the same MD5s, both layers stay at version 1", async () => {
    await cache.clear();
    const r = await pipeline();
    expect(r.cacheRestored).toBeUndefined();
    expect(r.buildOutput).not.toMatch(/skipping install/);
    expect(r.md5).toEqual(results[0]!.md5);
    expect(r.plan).toMatch(/^PyDepsLayer: unchanged/m);
    expect(r.plan).toMatch(/^NodeDepsLayer: unchanged/m);
    expect(r.versions).toEqual({ PyDepsLayer: [1], NodeDepsLayer: [1] });
  });

  it("4. six 1.16.0 -> 1.17.0: the Python layer alone gets version 2, and only it is installed again", async () => {
    await writeFile(join(source, "layers/py/requirements.txt"), "six==1.17.0\n");
    const r = await pipeline();
    // a new template key: CircleCI falls back to the newest cache of the template
    expect(r.cacheRestored).toMatch(new RegExp(`^${CACHE_PREFIX}[0-9a-f]{64}$`));
    expect(r.buildOutput).toMatch(/^NodeDepsLayer: layer folder and zip already built for this key; skipping install$/m);
    expect(r.buildOutput).toMatch(/^PyDepsLayer: installing 1 package with \w+$/m);
    expect(r.md5.PyDepsLayer).not.toBe(results[0]!.md5.PyDepsLayer);
    expect(r.md5.NodeDepsLayer).toBe(results[0]!.md5.NodeDepsLayer);
    expect(r.plan).toMatch(/^PyDepsLayer: changed: a new layer version will be published$/m);
    expect(r.plan).toMatch(/^NodeDepsLayer: unchanged: no new layer version$/m);
    expect(r.versions).toEqual({ PyDepsLayer: [1, 2], NodeDepsLayer: [1] });
    expect(layerVersions(r)).toEqual({
      PyFunction: ["adopt-py-deps:2", "adopt-node-deps:1"],
      NodeFunction: ["adopt-py-deps:2", "adopt-node-deps:1"],
    });
  });

  it("5. the functions run with their layers: six and the layer folder's own common_utils from the Python layer, ms from the Node.js layer", async () => {
    const fns = await stackFunctions(moto.env, STACK);
    const py = await invokeFunction(moto.env, fns.PyFunction!.name);
    expect(py.functionError).toBeUndefined();
    expect(py.response).toEqual({ six: "1.17.0", shared: "common_utils" });
    const node = await invokeFunction(moto.env, fns.NodeFunction!.name);
    expect(node.functionError).toBeUndefined();
    expect(node.response).toEqual({ ms: 172800000 });
  });
  it("6. a stack deployed before adopting (sam build of the user's template): plan matches its layers by logical id, each changed once", async () => {
    // Its own stack and layer names, so its versions do not count in the steps above.
    const before = join(work, "before", "app");
    await cp(FIXTURE, before, { recursive: true });
    const template = join(before, "template.yaml");
    await writeFile(template, (await readFile(template, "utf8")).replaceAll("LayerName: adopt-", "LayerName: before-adopt-"));
    const env = { ...moto.env, PATH: `${VENV_BIN}:${moto.env.PATH ?? process.env.PATH}`, SAM_CLI_TELEMETRY: "0" };
    await run("sam", ["build", "--template", "template.yaml"], { cwd: before, env });
    const packaged = join(work, "before", "packaged.yaml");
    await runOrbScript(
      "sam-package",
      { app_dir: before, template: ".aws-sam/build/template.yaml", packaged_template: packaged, s3_bucket: BUCKET, region: REGION },
      env,
    );
    await runOrbScript(
      "sam-deploy",
      {
        app_dir: before,
        packaged_template: packaged,
        stack_name: `${STACK}-before`,
        s3_bucket: BUCKET,
        region: REGION,
        capabilities: "CAPABILITY_IAM",
        no_fail_on_empty_changeset: "true",
      },
      env,
    );
    const plan = await runOrbScript("layer-plan", { stack_name: `${STACK}-before`, packaged_template: results[0]!.packaged, region: REGION }, env);
    // sam package keyed the sam-built folders by SAM's folder checksum; the adopted zips go by their MD5.
    for (const id of Object.keys(LAYERS) as LayerId[]) {
      const samKey = (await layerContentUri(packaged, id)).key;
      expect(samKey).not.toBe(results[0]!.md5[id]);
      expect(plan.stdout).toContain(
        `${id}: changed: a new layer version will be published\n  content: s3://${BUCKET}/${samKey} -> s3://${BUCKET}/${results[0]!.md5[id]}\n`,
      );
    }
  });
});
