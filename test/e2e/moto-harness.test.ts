// The local AWS endpoint itself: a hand-made layer zip goes through `aws cloudformation package`
// and `deploy` of the example's SAM template, and the layer versions and each function's layer
// ARNs are read back from the Lambda API. Proves the launcher's patches before the real scenarios
// rely on them.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  aws,
  cloudformationDeploy,
  cloudformationPackage,
  layerContentUri,
  layerVersionSha256,
  listLayerVersions,
  stackFunctions,
  versionOf,
} from "../support/aws.js";
import { copyExampleApp, scratchDir } from "../support/app-copy.js";
import { startMoto, type MotoServer } from "../support/moto.js";
import { run } from "../support/run.js";
import { md5Hex, sha256Base64 } from "../support/zip-facts.js";

const LAYER = "classic-app-shared-libs";
const BUCKET = "harness-artifacts";

async function tinyLayerZip(appDir: string, content: string): Promise<string> {
  const src = join(appDir, "tiny-layer");
  await rm(src, { recursive: true, force: true });
  await rm(join(appDir, "layer.zip"), { force: true });
  await mkdir(join(src, "python"), { recursive: true });
  await writeFile(join(src, "python", "tiny.py"), content);
  await run("zip", ["-q", "-r", "-X", "../layer.zip", "python"], { cwd: src });
  return join(appDir, "layer.zip");
}

describe("patched moto: layer versions and function layers through CloudFormation", () => {
  let moto: MotoServer;
  let work: string;
  let app: string;
  const packaged: string[] = [];
  const codeSha: string[] = [];

  async function deployLayer(stack: string, content: string): Promise<void> {
    const zip = await tinyLayerZip(app, content);
    codeSha.push(await sha256Base64(zip));
    const out = join(work, `packaged-${packaged.length + 1}.yaml`);
    await cloudformationPackage(moto.env, app, BUCKET, out);
    expect((await layerContentUri(out, "SharedLibsLayer")).key).toBe(await md5Hex(zip));
    packaged.push(out);
    await cloudformationDeploy(moto.env, stack, out);
  }

  async function functionLayerVersions(stack: string): Promise<number[][]> {
    const fns = await stackFunctions(moto.env, stack);
    expect(Object.keys(fns).sort()).toEqual(["FugaFunction", "HogeFunction"]);
    return [fns.HogeFunction!, fns.FugaFunction!].map((f) => f.layerArns.map(versionOf));
  }

  beforeAll(async () => {
    moto = await startMoto();
    work = await scratchDir("harness");
    app = await copyExampleApp("classic-app", work);
    await aws(moto.env, ["s3", "mb", `s3://${BUCKET}`]);
  });

  afterAll(async () => {
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("creates the layer under its LayerName; both functions use :1", async () => {
    await deployLayer("harness", "VALUE = 1\n");
    expect((await listLayerVersions(moto.env, LAYER)).map((v) => v.version)).toEqual([1]);
    expect(await functionLayerVersions("harness")).toEqual([[1], [1]]);
  });

  it("a new zip through !Ref publishes :2 and moves both functions (a stack update)", async () => {
    await deployLayer("harness", "VALUE = 2\n");
    const versions = await listLayerVersions(moto.env, LAYER);
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(await layerVersionSha256(moto.env, LAYER, 1)).toBe(codeSha[0]);
    expect(await layerVersionSha256(moto.env, LAYER, 2)).toBe(codeSha[1]);
    expect(await functionLayerVersions("harness")).toEqual([[2], [2]]);
  });

  it("redeploying the first packaged template publishes :3 with v1's bytes; v1 and v2 are retained", async () => {
    await cloudformationDeploy(moto.env, "harness", packaged[0]!);
    const versions = await listLayerVersions(moto.env, LAYER);
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(await layerVersionSha256(moto.env, LAYER, 3)).toBe(codeSha[0]);
    expect(await functionLayerVersions("harness")).toEqual([[3], [3]]);
  });

  it("get-template returns the packaged SAM template, as CloudFormation's Original stage does", async () => {
    const body = await aws(moto.env, [
      "cloudformation",
      "get-template",
      "--stack-name",
      "harness",
      "--template-stage",
      "Original",
      "--query",
      "TemplateBody",
      "--output",
      "text",
    ]);
    expect(body).toContain("AWS::Serverless::LayerVersion");
  });
});

describe("stock moto 5.2.5, for contrast: what the launcher's patches fix", () => {
  let moto: MotoServer;
  let work: string;

  beforeAll(async () => {
    moto = await startMoto({ stock: true });
    work = await scratchDir("stock");
  });

  afterAll(async () => {
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("reports success for the SAM template and creates no function and no layer", async () => {
    const app = await copyExampleApp("classic-app", work);
    await tinyLayerZip(app, "VALUE = 1\n");
    await aws(moto.env, ["s3", "mb", `s3://${BUCKET}`]);
    const out = join(work, "packaged.yaml");
    await cloudformationPackage(moto.env, app, BUCKET, out);
    await cloudformationDeploy(moto.env, "stock", out);
    expect(await stackFunctions(moto.env, "stock")).toEqual({});
    const layers = await aws(moto.env, ["lambda", "list-layers", "--query", "Layers[].LayerName", "--output", "json"]);
    expect(JSON.parse(layers)).toEqual([]);
  });
});
