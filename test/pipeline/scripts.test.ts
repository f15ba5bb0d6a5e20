// The pipeline's own scripts (.circleci/scripts), run for real: the integration builds rehearsed
// locally exactly as the continued config chains them (capture the job's output through BASH_ENV,
// build twice with the orb's build-layer.sh, record, compare), the release guards, the npm publish
// dry run, and the orb publish with stand-ins for the circleci CLI and npm (no network, no token).
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, VENV_BIN, run, type RunResult } from "../support/run.js";
import { buildLayerEnv, type LayerBuild } from "../support/orb-scripts.js";

const SCRIPTS = join(REPO, ".circleci/scripts");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "sam-layer-pipeline-scripts-"));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function pipelineScript(script: string, env: NodeJS.ProcessEnv, okCodes?: number[], args: string[] = []): Promise<RunResult> {
  return run("bash", [join(SCRIPTS, script), ...args], { cwd: REPO, env: { ...process.env, ...env }, okCodes });
}

describe("the pipeline scripts", () => {
  it("are shellcheck-clean bash with `set -euo pipefail`", async () => {
    const files = (await readdir(SCRIPTS)).filter((f) => f.endsWith(".sh"));
    expect(files.sort()).toEqual(["capture-output.sh", "check-release-version.sh", "compare-builds.sh", "npm-publish.sh", "publish-orb.sh", "record-build.sh"]);
    await run(
      "shellcheck",
      files.map((f) => join(SCRIPTS, f)),
    );
    for (const file of files) {
      const text = await readFile(join(SCRIPTS, file), "utf8");
      expect(text.startsWith("#!/usr/bin/env bash\n"), file).toBe(true);
      expect(text, file).toMatch(/^set -euo pipefail$/m);
      expect(text, file).not.toMatch(/set -[a-z]*x/);
    }
  });
});

describe("integration builds, rehearsed locally", () => {
  const APPS = [
    { app: "examples/classic-app", runtime: "python3.12" },
    { app: "test/pipeline/fixtures/pip-app", runtime: "python3.12" },
    { app: "test/pipeline/fixtures/poetry-app", runtime: "python3.12" },
    { app: "test/pipeline/fixtures/uv-app", runtime: "python3.12" },
    { app: "test/pipeline/fixtures/npm-app", runtime: "nodejs22.x" },
  ];
  let integration: string;
  let records: string;

  /** One build-layer job as test-deploy.yml runs it: capture pre-step, the build step, record post-step. */
  async function job(name: string, appDir: string, runtime: string, architecture: LayerBuild["architecture"]): Promise<string> {
    const bashEnv = join(work, `${name.replaceAll("/", "_")}.bash_env`);
    await writeFile(bashEnv, "");
    const env = {
      ...process.env,
      PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
      SAM_LAYER_INTEGRATION_DIR: integration,
      CIRCLE_JOB: name,
      BASH_ENV: bashEnv,
    };
    const step = (args: string[], extra: NodeJS.ProcessEnv = {}) => run("bash", args, { cwd: work, env: { ...env, ...extra } });
    await step([join(SCRIPTS, "capture-output.sh")]);
    await step([join(REPO, "orb/scripts/build-layer.sh")], buildLayerEnv({ appDir, runtime, architecture }));
    return (await step([join(SCRIPTS, "record-build.sh")])).stdout;
  }

  beforeAll(async () => {
    integration = join(work, "integration");
    records = join(integration, "records");
    for (const { app } of APPS) {
      await cp(join(REPO, app), join(work, app), {
        recursive: true,
        filter: (src) => !/(^|\/)(layer|layer\.zip.*)$/.test(src),
      });
    }
  });

  it("capture-output.sh makes every later step's output land in job.log", async () => {
    const bashEnv = join(work, "capture.bash_env");
    await writeFile(bashEnv, "");
    const env = { SAM_LAYER_INTEGRATION_DIR: join(work, "capture"), BASH_ENV: bashEnv };
    await pipelineScript("capture-output.sh", env);
    // Two later "steps": CircleCI starts each with bash, which sources BASH_ENV first.
    await run("bash", ["-c", "echo from step one; echo and its stderr >&2"], { env: { ...process.env, ...env } });
    await run("bash", ["-c", "echo from step two"], { env: { ...process.env, ...env } });
    const log = await readFile(join(work, "capture/job.log"), "utf8");
    expect(log).toContain("from step one\n");
    expect(log).toContain("and its stderr\n");
    expect(log).toContain("from step two\n");
  });

  it("each app: the first build is created, the second unchanged with the same MD5; compare-builds agrees", async () => {
    for (const { app, runtime } of APPS) {
      const first = await job(`first-x86_64-${app}`, app, runtime, "x86_64");
      expect(first).toMatch(/: created, md5 [0-9a-f]{32}/);
      const second = await job(`second-x86_64-${app}`, app, runtime, "x86_64");
      expect(second).toMatch(/: unchanged, md5 [0-9a-f]{32}/);
    }
    const compared = await pipelineScript("compare-builds.sh", {}, [0], [records]);
    expect(compared.stdout.match(/^ok /gm)).toHaveLength(APPS.length);
    expect(compared.stdout).toContain(`${APPS.length} pairs compared, 0 problems`);
    // The same packages locked by pip, poetry and uv give the very same zip.
    const md5 = async (app: string) => /md5=(\w+)/.exec(await readFile(join(records, `first-x86_64-${app.replaceAll("/", "_")}`, "report"), "utf8"))?.[1];
    const fixtures = ["pip-app", "poetry-app", "uv-app"].map((name) => md5(`test/pipeline/fixtures/${name}`));
    const [pip, poetry, uv] = await Promise.all(fixtures);
    expect(poetry).toBe(pip);
    expect(uv).toBe(pip);
  });

  it("compare-builds.sh fails on a changed zip, a second build that was not unchanged, or a missing first build", async () => {
    const broken = join(work, "broken-records");
    await cp(records, broken, { recursive: true });
    const pip = (run: string) => join(broken, `${run}-x86_64-test_pipeline_fixtures_pip-app`);
    // Different bytes than the MD5 the build reported.
    await writeFile(join(pip("second"), "layer.zip"), "not the zip");
    // A second build that had to rebuild.
    const uvSecond = join(broken, "second-x86_64-test_pipeline_fixtures_uv-app", "report");
    await writeFile(uvSecond, (await readFile(uvSecond, "utf8")).replace("status=unchanged", "status=updated"));
    await rm(join(broken, "first-x86_64-examples_classic-app"), { recursive: true });
    const result = await pipelineScript("compare-builds.sh", {}, [1], [broken]);
    expect(result.stdout).toContain("FAIL x86_64-test_pipeline_fixtures_pip-app: a zip's bytes do not have the MD5 its build reported");
    expect(result.stdout).toContain("FAIL x86_64-test_pipeline_fixtures_uv-app: second build was updated, expected unchanged");
    expect(result.stdout).toContain("FAIL x86_64-examples_classic-app: no first build to compare with");
    expect(result.stdout).toContain("5 pairs compared, 3 problems");
    const empty = await pipelineScript("compare-builds.sh", {}, [1], [join(work, "no-records")]);
    expect(empty.stdout).toContain("FAIL no second-* build records");
  });

  it("record-build.sh fails when the job printed no build report", async () => {
    const dir = join(work, "no-report");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "job.log"), "sam-layer: no lockfile found\n");
    const result = await pipelineScript("record-build.sh", { SAM_LAYER_INTEGRATION_DIR: dir, CIRCLE_JOB: "first-x" }, [1]);
    expect(result.stderr).toContain(`record-build: no build report in ${dir}/job.log`);
  });
});

describe("release scripts", () => {
  it("check-release-version.sh accepts only the tag of package.json's version", async () => {
    const version = JSON.parse(await readFile(join(REPO, "package.json"), "utf8")).version as string;
    const ok = await pipelineScript("check-release-version.sh", { CIRCLE_TAG: `v${version}` });
    expect(ok.stdout).toContain(`releasing sam-layer ${version}`);
    const wrong = await pipelineScript("check-release-version.sh", { CIRCLE_TAG: "v99.0.0" }, [1]);
    expect(wrong.stderr).toContain(`tag v99.0.0 is not v${version}`);
  });

  // The bundle `npm test` built: rebuilding it here could hand a half-written file to another test file.
  it("npm-publish.sh (dry run) publishes the bundle, its launcher, its manifest, README and LICENSE, nothing else", async () => {
    const result = await pipelineScript("npm-publish.sh", { DRY_RUN: "true", NPM_TOKEN: "" });
    const listing = result.stdout + result.stderr;
    for (const file of ["dist/sam-layer.mjs", "dist/bin.mjs", "package.json", "README.md", "LICENSE"]) expect(listing).toContain(file);
    expect(listing).toMatch(/total files:\s+5/);
  });

  describe("publish-orb.sh", () => {
    const TOKEN = "orb-token-SHOULD-NEVER-BE-PRINTED";
    let bin: string;
    let calls: string;

    beforeAll(async () => {
      bin = join(work, "stand-ins");
      calls = join(work, "stand-in-calls.log");
      await mkdir(bin, { recursive: true });
      // Stand-ins for the external tools: circleci records how it was called; npm answers
      // `npm view sam-layer@X version` with $NPM_SERVES (empty: not published yet).
      await writeFile(join(bin, "circleci"), `#!/usr/bin/env bash\necho "circleci $* token=\${CIRCLECI_CLI_TOKEN:-none}" >>"${calls}"\n`);
      await writeFile(join(bin, "npm"), `#!/usr/bin/env bash\necho "npm $*" >>"${calls}"\nif [[ -n "\${NPM_SERVES:-}" ]]; then echo "$NPM_SERVES"; fi\n`);
      await chmod(join(bin, "circleci"), 0o755);
      await chmod(join(bin, "npm"), 0o755);
    });

    async function publish(ref: string, env: NodeJS.ProcessEnv, okCodes?: number[]): Promise<{ result: RunResult; calls: string[] }> {
      await writeFile(calls, "");
      const result = await pipelineScript(
        "publish-orb.sh",
        { PATH: `${bin}:${process.env.PATH ?? ""}`, ORB_REF: ref, CIRCLE_TOKEN: TOKEN, NPM_WAIT_SECONDS: "0", ...env },
        okCodes,
      );
      expect(result.stdout + result.stderr).not.toContain(TOKEN);
      return { result, calls: (await readFile(calls, "utf8")).split("\n").filter(Boolean) };
    }

    it("publishes a dev version at once, the token handed over through the environment", async () => {
      const { calls } = await publish("sam-layer/sam-layer@dev:abc123", {});
      expect(calls).toEqual([`circleci orb publish orb/orb.yml sam-layer/sam-layer@dev:abc123 --skip-update-check token=${TOKEN}`]);
    });

    it("publishes a release only once npm serves that helper version", async () => {
      const served = await publish("sam-layer/sam-layer@1.2.3", { NPM_SERVES: "1.2.3" });
      expect(served.calls).toEqual([
        "npm view sam-layer@1.2.3 version",
        `circleci orb publish orb/orb.yml sam-layer/sam-layer@1.2.3 --skip-update-check token=${TOKEN}`,
      ]);
      const missing = await publish("sam-layer/sam-layer@1.2.3", { NPM_SERVES: "", NPM_WAIT_TRIES: "3" }, [1]);
      expect(missing.calls).toEqual(Array(3).fill("npm view sam-layer@1.2.3 version"));
      expect(missing.result.stderr).toContain("npm does not serve sam-layer@1.2.3; publish the helper first");
    });

    it("refuses to run without the token", async () => {
      const { result, calls } = await publish("sam-layer/sam-layer@dev:abc123", { CIRCLE_TOKEN: "" }, [1]);
      expect(result.stderr).toContain("CIRCLE_TOKEN is not set");
      expect(calls).toEqual([]);
    });
  });
});
