// The product's claim, end to end: a layer version is published when, and only when, the layer's
// dependencies change. The classic app goes through six CI runs against a local AWS endpoint
// (patched moto), once with the sam-layer orb's scripts and once with the classic recipe, each on
// its own stack and layer; every assertion reads the real state back from the endpoint (layer
// versions, each function's layer ARNs and code hash), and after every deploy both functions of both
// stacks are run with the layer they were deployed with (test/support/lambda-runner.ts: code and
// layers downloaded back from the endpoint, the handler called on python3.12, the template's
// runtime) and must answer 200 with the requests version of that step's lock. The steps share
// their stacks, in order.
import { appendFile, mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, layerVersionSha256, listLayerVersions, stackFunctions, versionOf, type DeployedFunction } from "../support/aws.js";
import { copyExampleApp, scratchDir, useLockFixture } from "../support/app-copy.js";
import { startMoto, type MotoServer } from "../support/moto.js";
import { ClassicPipeline, renameLayer, SamLayerPipeline, type StepResult } from "../support/pipelines.js";
import { invokeFunction } from "../support/lambda-runner.js";
import { REPO, run } from "../support/run.js";
import { sha256Base64, zipEntries } from "../support/zip-facts.js";

const BUCKET = "classic-app-artifacts";
// `sam-layer plan` says, per layer: "<LogicalId>: unchanged: ..." or "<LogicalId>: changed: ...".
const UNCHANGED = /SharedLibsLayer: unchanged\b/;
const CHANGED = /SharedLibsLayer: changed\b/;
// requests in examples/classic-app's lock, and after step 4's bump (test/e2e/fixtures).
const FIRST_REQUESTS = "2.31.0";
const BUMPED_REQUESTS = "2.32.3";

interface LedgerRow {
  step: string;
  samLayer: Pick<StepResult, "md5" | "newVersions">;
  classic: Pick<StepResult, "md5" | "newVersions">;
}

// Each step is two whole CI runs plus four function runs: room beyond the default per-test timeout.
describe("classic app, six CI runs: a new layer version only when dependencies change", { timeout: 600_000 }, () => {
  let moto: MotoServer;
  let work: string;
  let samLayer: SamLayerPipeline;
  let classic: ClassicPipeline;
  const steps: Record<number, { samLayer: StepResult; classic: StepResult }> = {};
  const ledger: LedgerRow[] = [];

  async function runBoth(n: number, label: string) {
    // The two pipelines touch different apps, stacks and layers: run them side by side.
    const [s, c] = await Promise.all([samLayer.runStep(`step-${n}`), classic.runStep(`step-${n}`)]);
    const result = { samLayer: s, classic: c };
    steps[n] = result;
    ledger.push({ step: label, samLayer: result.samLayer, classic: result.classic });
    return result;
  }

  async function onBothApps(change: (appDir: string) => Promise<void>): Promise<void> {
    await change(samLayer.appDir);
    await change(classic.appDir);
  }

  async function functions(pipeline: SamLayerPipeline | ClassicPipeline): Promise<DeployedFunction[]> {
    const fns = await stackFunctions(moto.env, pipeline.stack);
    expect(Object.keys(fns).sort()).toEqual(["FugaFunction", "HogeFunction"]);
    return [fns.HogeFunction!, fns.FugaFunction!];
  }

  /** Each function's layer versions, e.g. [[1], [1]]: fails when a function lost its layer. */
  async function functionLayerVersions(pipeline: SamLayerPipeline | ClassicPipeline): Promise<number[][]> {
    return (await functions(pipeline)).map((f) => {
      for (const arn of f.layerArns) expect(arn).toContain(`:layer:${pipeline.layerName}:`);
      return f.layerArns.map(versionOf);
    });
  }

  /**
   * Runs both functions of both stacks as Lambda would; each must answer 200 with the requests
   * version it finds in its layer (the handlers put requests.__version__ in the body).
   */
  async function expectFunctionsAnswer(requestsVersion: string): Promise<void> {
    const deployed = [...(await functions(samLayer)), ...(await functions(classic))];
    const answers = await Promise.all(deployed.map((f) => invokeFunction(moto.env, f.name, { source: "layer-lifecycle" })));
    for (const [i, answer] of answers.entries()) {
      const name = deployed[i]!.name;
      expect(answer.functionError, `${name}: ${JSON.stringify(answer.response)}`).toBeUndefined();
      const response = answer.response as { statusCode: number; body: string };
      expect(response.statusCode, name).toBe(200);
      expect(JSON.parse(response.body), name).toMatchObject({ requests: requestsVersion });
    }
  }

  async function versionNumbers(pipeline: SamLayerPipeline | ClassicPipeline): Promise<number[]> {
    return (await listLayerVersions(moto.env, pipeline.layerName)).map((v) => v.version);
  }

  beforeAll(async () => {
    moto = await startMoto();
    work = await scratchDir("lifecycle");
    await aws(moto.env, ["s3", "mb", `s3://${BUCKET}`]);
    const samWork = join(work, "sam-layer");
    const classicWork = join(work, "classic");
    samLayer = new SamLayerPipeline({
      env: moto.env,
      appDir: await copyExampleApp("classic-app", samWork),
      workDir: samWork,
      bucket: BUCKET,
      stack: "classic-app",
      layerName: "classic-app-shared-libs",
    });
    const classicApp = await copyExampleApp("classic-app", classicWork);
    await renameLayer(classicApp, "classic-app-shared-libs-classic-recipe");
    classic = new ClassicPipeline({
      env: moto.env,
      appDir: classicApp,
      workDir: classicWork,
      bucket: BUCKET,
      stack: "classic-app-classic-recipe",
      layerName: "classic-app-shared-libs-classic-recipe",
    });
  });

  afterAll(async () => {
    if (ledger.length) await writeLedger(ledger);
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("1. first deploy: layer version 1, both functions on :1", async () => {
    const { samLayer: s, classic: c } = await runBoth(1, "1. first deploy");
    // Both packaging commands key a prebuilt .zip by the MD5 of its bytes.
    expect(s.s3KeyBy).toEqual({ sam: s.md5, awscli: s.md5 });
    expect(c.s3KeyBy).toEqual({ awscli: c.md5 });
    expect(s.plan).toMatch(/SharedLibsLayer: new: first deploy/);
    expect(await versionNumbers(samLayer)).toEqual([1]);
    expect(await functionLayerVersions(samLayer)).toEqual([[1], [1]]);
    expect(await versionNumbers(classic)).toEqual([1]);
    expect(await functionLayerVersions(classic)).toEqual([[1], [1]]);
    await expectFunctionsAnswer(FIRST_REQUESTS);
  });

  it("2. a code-only change, cache kept: function code changes, the layer stays version 1", async () => {
    const codeBefore = (await functions(samLayer)).map((f) => f.codeSha256);
    await onBothApps((app) => appendFile(join(app, "src", "hoge.py"), "\n"));
    const { samLayer: s, classic: c } = await runBoth(2, "2. code change (cache hit)");

    expect(s.cacheHit).toBe(true);
    expect(s.buildOutput).toMatch(/\bunchanged\b/);
    expect(s.md5).toBe(steps[1]!.samLayer.md5);
    expect(s.s3KeyBy).toEqual({ sam: s.md5, awscli: s.md5 });
    expect(s.plan).toMatch(UNCHANGED);
    expect(s.plan).not.toMatch(CHANGED);
    expect(s.newVersions).toBe(0);
    const after = await functions(samLayer);
    expect(after[0]!.codeSha256).not.toBe(codeBefore[0]);
    expect(await functionLayerVersions(samLayer)).toEqual([[1], [1]]);

    // With its cache hit, the classic recipe's `zip -r -u` has nothing to do (exit 12) either.
    expect(c.cacheHit).toBe(true);
    expect(c.md5).toBe(steps[1]!.classic.md5);
    expect(c.newVersions).toBe(0);
    await expectFunctionsAnswer(FIRST_REQUESTS);
  });

  it("3. cache miss, fresh pip install: sam-layer keeps version 1 and its MD5; the classic recipe publishes a new version", async () => {
    await samLayer.cache.clear();
    await classic.cache.clear();
    const { samLayer: s, classic: c } = await runBoth(3, "3. cache miss (fresh install)");

    expect(s.cacheHit).toBe(false);
    expect(s.md5).toBe(steps[1]!.samLayer.md5);
    expect(s.s3KeyBy).toEqual({ sam: s.md5, awscli: s.md5 });
    expect(s.plan).toMatch(UNCHANGED);
    expect(s.plan).not.toMatch(CHANGED);
    expect(s.newVersions).toBe(0);
    expect(await versionNumbers(samLayer)).toEqual([1]);
    expect(await functionLayerVersions(samLayer)).toEqual([[1], [1]]);

    // Same lock, same packages: only the fresh files' times differ, and the classic zip holds them.
    expect(c.cacheHit).toBe(false);
    expect(c.md5).not.toBe(steps[2]!.classic.md5);
    expect(c.newVersions).toBe(1);
    expect(await versionNumbers(classic)).toEqual([1, 2]);
    expect(await functionLayerVersions(classic)).toEqual([[2], [2]]);
    await expectFunctionsAnswer(FIRST_REQUESTS);
  });

  it(`4. requests ${FIRST_REQUESTS} -> ${BUMPED_REQUESTS}: plan says changed, version 2 is published, both functions on :2 and answer with the new requests`, async () => {
    await onBothApps((app) => useLockFixture(app, `requests-${BUMPED_REQUESTS}`));
    const { samLayer: s, classic: c } = await runBoth(4, `4. requests ${FIRST_REQUESTS} -> ${BUMPED_REQUESTS}`);

    expect(s.md5).not.toBe(steps[3]!.samLayer.md5);
    expect(s.s3KeyBy).toEqual({ sam: s.md5, awscli: s.md5 });
    expect(s.plan).toMatch(CHANGED);
    expect(s.newVersions).toBe(1);
    expect(await versionNumbers(samLayer)).toEqual([1, 2]);
    expect(await functionLayerVersions(samLayer)).toEqual([[2], [2]]);

    const diff = await run("node", [resolve(REPO, "dist/sam-layer.mjs"), "diff", steps[3]!.samLayer.zip, s.zip], {
      okCodes: [1],
    });
    expect(diff.stdout).toContain(`requests ${FIRST_REQUESTS} -> ${BUMPED_REQUESTS}`);

    expect(c.newVersions).toBe(1);
    await expectFunctionsAnswer(BUMPED_REQUESTS);
  });

  it("5. a dependency removed (PySocks): a new version, and its files are gone from the zip", async () => {
    await onBothApps((app) => useLockFixture(app, `requests-${BUMPED_REQUESTS}-no-socks`));
    const { samLayer: s, classic: c } = await runBoth(5, "5. PySocks removed");

    const socks = (entries: string[]) => entries.filter((e) => /^python\/(socks\.py|sockshandler\.py|PySocks-)/.test(e));
    expect(socks(zipEntries(steps[4]!.samLayer.zip)).length).toBeGreaterThanOrEqual(3);
    expect(socks(zipEntries(s.zip))).toEqual([]);
    expect(s.s3KeyBy).toEqual({ sam: s.md5, awscli: s.md5 });
    expect(s.plan).toMatch(CHANGED);
    expect(s.newVersions).toBe(1);
    expect(await versionNumbers(samLayer)).toEqual([1, 2, 3]);
    expect(await functionLayerVersions(samLayer)).toEqual([[3], [3]]);

    expect(socks(zipEntries(c.zip))).toEqual([]);
    expect(c.newVersions).toBe(1);
    await expectFunctionsAnswer(BUMPED_REQUESTS);
  });

  it("6. rollback to step 4's packaged template: both functions back on step 4's layer bytes; the old version was retained", async () => {
    const v2 = await layerVersionSha256(moto.env, samLayer.layerName, 2);
    expect(v2).toBe(await sha256Base64(steps[4]!.samLayer.zip));

    const [s, c] = await Promise.all([samLayer.redeploy(steps[4]!.samLayer.packaged), classic.redeploy(steps[4]!.classic.packaged)]);
    ledger.push({
      step: "6. rollback to step 4",
      samLayer: { md5: steps[4]!.samLayer.md5, newVersions: s.newVersions },
      classic: { md5: steps[4]!.classic.md5, newVersions: c.newVersions },
    });

    // CloudFormation creates the layer resource of the old template again: Lambda publishes the
    // same S3 object as a new version number. Versions 1-3 are still there (RetentionPolicy: Retain).
    expect(s.plan).toMatch(CHANGED);
    expect(s.newVersions).toBe(1);
    expect(await versionNumbers(samLayer)).toEqual([1, 2, 3, 4]);
    expect(await layerVersionSha256(moto.env, samLayer.layerName, 2)).toBe(v2);
    expect(await layerVersionSha256(moto.env, samLayer.layerName, 4)).toBe(v2);
    expect(await functionLayerVersions(samLayer)).toEqual([[4], [4]]);

    expect(c.newVersions).toBe(1);
    await expectFunctionsAnswer(BUMPED_REQUESTS);
  });
});

/** The README's table: new layer versions per step, sam-layer vs the classic recipe. */
async function writeLedger(rows: LedgerRow[]): Promise<void> {
  const total = (pick: (r: LedgerRow) => number) => rows.reduce((sum, r) => sum + pick(r), 0);
  const lines = [
    "| step | sam-layer: layer MD5 | new versions | classic recipe: layer MD5 | new versions |",
    "| --- | --- | --: | --- | --: |",
    ...rows.map(
      (r) => `| ${r.step} | \`${r.samLayer.md5.slice(0, 8)}\` | ${r.samLayer.newVersions} | \`${r.classic.md5.slice(0, 8)}\` | ${r.classic.newVersions} |`,
    ),
    `| **total** | | **${total((r) => r.samLayer.newVersions)}** | | **${total((r) => r.classic.newVersions)}** |`,
  ];
  const dir = resolve(REPO, "test-results");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "e2e-layer-versions.md"), `${lines.join("\n")}\n`);
  console.log(`layer versions published per step:\n${lines.join("\n")}`);
}
