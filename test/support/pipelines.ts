// The two CI pipelines the end-to-end scenarios compare, each run step by step against the local
// AWS endpoint on its own copy of the example app, its own stack and its own layer name:
// - sam-layer: the orb's build-layer job (key file, restore_cache, `sam-layer build`, save_cache)
//   and deploy-sam job (`sam package`, layer plan, `sam deploy`), all through orb/scripts/*.sh;
// - classic: restore_cache keyed by Pipfile.lock, pip install + `zip -r -u` (exit 12 is success),
//   save_cache, `aws cloudformation package` and `deploy`.
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { cloudformationDeploy, cloudformationPackage, layerContentUri, listLayerVersions } from "./aws.js";
import { freshCheckout } from "./app-copy.js";
import { checksum, CiCache } from "./ci-cache.js";
import { REGION } from "./moto.js";
import { buildLayer, runOrbScript } from "./orb-scripts.js";
import { REPO, run, VENV_BIN } from "./run.js";
import { md5Hex } from "./zip-facts.js";

export const LAYER_LOGICAL_ID = "SharedLibsLayer";

export interface StepResult {
  /** The layer.zip this step built, kept for diffs. */
  zip: string;
  md5: string;
  /** The layer's S3 key in the packaged template of each packaging tool the pipeline ran. */
  s3KeyBy: Partial<Record<"sam" | "awscli", string>>;
  packaged: string;
  /** restore_cache found an entry for this step's key. */
  cacheHit: boolean;
  buildOutput: string;
  /** What the pipeline says before deploying (sam-layer's layer plan; empty for classic). */
  plan: string;
  /** Layer versions published by this step's deploy, read back from the endpoint. */
  newVersions: number;
}

export interface PipelineOptions {
  env: NodeJS.ProcessEnv;
  appDir: string;
  workDir: string;
  bucket: string;
  stack: string;
  layerName: string;
}

abstract class Pipeline {
  readonly cache: CiCache;

  constructor(protected readonly o: PipelineOptions) {
    this.cache = new CiCache(join(o.workDir, "cache"));
  }

  get appDir(): string {
    return this.o.appDir;
  }

  get stack(): string {
    return this.o.stack;
  }

  get layerName(): string {
    return this.o.layerName;
  }

  protected async outDir(step: string): Promise<string> {
    const dir = join(this.o.workDir, "out", step);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  private versionsSeen = 0;

  /** Versions the endpoint published since the last call (the layer's versions, read back). */
  protected async newVersionsSinceLastLook(): Promise<number> {
    const count = (await listLayerVersions(this.o.env, this.o.layerName)).length;
    const published = count - this.versionsSeen;
    this.versionsSeen = count;
    return published;
  }

  /** One CI run: fresh checkout, cache, build, package, deploy. */
  abstract runStep(step: string): Promise<StepResult>;

  /** Deploy an earlier packaged template again (a rollback); returns the versions it published. */
  abstract redeploy(packaged: string): Promise<{ plan: string; newVersions: number }>;
}

export class SamLayerPipeline extends Pipeline {
  async runStep(step: string): Promise<StepResult> {
    const { env, appDir, bucket } = this.o;
    const out = await this.outDir(step);
    await freshCheckout(appDir);

    const keyFile = join(out, "cache-key");
    await buildLayer({ appDir, writeKey: keyFile }, env);
    const cacheKey = `sam-layer-v1-${await checksum(keyFile)}`;
    const cacheHit = await this.cache.restore(cacheKey, appDir);
    const build = await buildLayer({ appDir }, env);
    await this.cache.save(cacheKey, appDir, ["layer", "layer.zip", "layer.zip.stat.json", "layer.zip.key"]);

    const zip = join(out, "layer.zip");
    await copyFile(join(appDir, "layer.zip"), zip);
    const packaged = join(out, "packaged.yaml");
    await runOrbScript("sam-package", { app_dir: appDir, template: "template.yaml", packaged_template: packaged, s3_bucket: bucket, region: REGION }, env);
    // The same app through the classic packaging command: a .zip ContentUri must get the same key.
    const packagedByAwscli = join(out, "packaged-awscli.yaml");
    await cloudformationPackage(env, appDir, bucket, packagedByAwscli);
    const s3KeyBy = {
      sam: (await layerContentUri(packaged, LAYER_LOGICAL_ID)).key,
      awscli: (await layerContentUri(packagedByAwscli, LAYER_LOGICAL_ID)).key,
    };
    const { plan, newVersions } = await this.redeploy(packaged);
    return { zip, md5: await md5Hex(zip), s3KeyBy, packaged, cacheHit, buildOutput: build.stdout, plan, newVersions };
  }

  async redeploy(packaged: string): Promise<{ plan: string; newVersions: number }> {
    const { env, appDir, bucket, stack } = this.o;
    const plan = await runOrbScript("layer-plan", { stack_name: stack, packaged_template: packaged, region: REGION }, env);
    await runOrbScript(
      "sam-deploy",
      {
        app_dir: appDir,
        packaged_template: packaged,
        stack_name: stack,
        s3_bucket: bucket,
        region: REGION,
        capabilities: "CAPABILITY_IAM",
        no_fail_on_empty_changeset: "true",
      },
      env,
    );
    return { plan: plan.stdout, newVersions: await this.newVersionsSinceLastLook() };
  }
}

const CLASSIC_RECIPE = resolve(REPO, "test/support/classic-recipe.sh");

export class ClassicPipeline extends Pipeline {
  async runStep(step: string): Promise<StepResult> {
    const { env, appDir, bucket } = this.o;
    const out = await this.outDir(step);
    await freshCheckout(appDir);

    const cacheKey = `classic-v1-${await checksum(join(appDir, "Pipfile.lock"))}`;
    const cacheHit = await this.cache.restore(cacheKey, appDir);
    const build = await run("bash", [CLASSIC_RECIPE], {
      env: { ...env, PARAM_APP_DIR: appDir, PARAM_PYTHON: join(VENV_BIN, "python") },
    });
    await this.cache.save(cacheKey, appDir, ["layer", "layer.zip"]);

    const zip = join(out, "layer.zip");
    await copyFile(join(appDir, "layer.zip"), zip);
    const packaged = join(out, "packaged.yaml");
    await cloudformationPackage(env, appDir, bucket, packaged);
    const s3KeyBy = { awscli: (await layerContentUri(packaged, LAYER_LOGICAL_ID)).key };
    const { plan, newVersions } = await this.redeploy(packaged);
    return { zip, md5: await md5Hex(zip), s3KeyBy, packaged, cacheHit, buildOutput: build.stdout, plan, newVersions };
  }

  async redeploy(packaged: string): Promise<{ plan: string; newVersions: number }> {
    await cloudformationDeploy(this.o.env, this.o.stack, packaged);
    return { plan: "", newVersions: await this.newVersionsSinceLastLook() };
  }
}

/** Give an app copy its own layer name, so two pipelines in one account don't share versions. */
export async function renameLayer(appDir: string, layerName: string): Promise<void> {
  const template = join(appDir, "template.yaml");
  const text = await readFile(template, "utf8");
  const renamed = text.replace(/^(\s+LayerName:\s*)\S+$/m, `$1${layerName}`);
  if (renamed === text) throw new Error(`${template}: no LayerName to rename`);
  await writeFile(template, renamed);
}
