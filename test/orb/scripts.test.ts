// The orb's scripts, run for real with bash and PARAM_* set as CircleCI's `environment:` would:
// the layer build with the bundled helper on a real requirements.txt, the package-manager and SAM
// CLI installs from PyPI into a throwaway HOME. Plus shellcheck and the conventions every script keeps.
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, readdir, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checksum, CiCache } from "../support/ci-cache.js";
import { REPO, VENV_BIN, run } from "../support/run.js";
import { scriptReads } from "./orb-review.js";
import { buildLayerEnv } from "../support/orb-scripts.js";
import { LOCAL_HELPER, SCRIPTS_DIR, recordingHelper, runScript } from "./script-harness.js";

let work: string;
let scripts: Map<string, string>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "sam-layer-orb-scripts-"));
  const files = (await readdir(SCRIPTS_DIR)).filter((file) => file.endsWith(".sh")).sort();
  scripts = new Map(await Promise.all(files.map(async (file) => [file, await readFile(join(SCRIPTS_DIR, file), "utf8")] as const)));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A PATH with python3 and the system tools but no pipenv/poetry/uv/sam/aws. */
async function barePath(): Promise<string> {
  const bin = join(work, "bare-bin");
  if (!existsSync(bin)) {
    await mkdir(bin);
    const python = (await run("python3", ["-c", "import sys; print(sys.executable)"])).stdout.trim();
    await symlink(python, join(bin, "python3"));
    await symlink(process.execPath, join(bin, "node"));
  }
  return `${bin}:/usr/bin:/bin`;
}

describe("every orb script", () => {
  it("is shellcheck-clean (and shellcheck does flag a bad script)", async () => {
    const files = [...scripts.keys()].map((file) => join(SCRIPTS_DIR, file));
    expect(files.length).toBe(7);
    await run("shellcheck", ["--shell=bash", ...files]);
    const bad = join(work, "bad.sh");
    await writeFile(bad, "#!/usr/bin/env bash\nset -euo pipefail\nrm -rf $PARAM_DIR/*\n");
    const flagged = await run("shellcheck", [bad], { okCodes: [1] });
    expect(flagged.stdout).toContain("SC2086");
  });

  it("starts with the bash shebang, comments, then `set -euo pipefail`", () => {
    for (const [file, text] of scripts) {
      const lines = text.split("\n");
      expect(lines[0], file).toBe("#!/usr/bin/env bash");
      const firstCode = lines.slice(1).find((line) => line.trim() && !line.startsWith("#"));
      expect(firstCode, file).toBe("set -euo pipefail");
    }
  });

  it("lists in its header exactly the PARAM_* variables it reads", () => {
    for (const [file, text] of scripts) {
      const body = text
        .split("\n")
        .filter((line) => !line.startsWith("#"))
        .join("\n");
      const used = [...new Set([...body.matchAll(/PARAM_[A-Z0-9_]+/g)].map((m) => m[0]))].sort();
      expect(used.length, file).toBeGreaterThan(0);
      expect([...scriptReads(text).all].sort(), file).toEqual(used);
    }
  });

  it("never traces commands or touches AWS credential variables", () => {
    for (const [file, text] of scripts) {
      expect(text, file).not.toMatch(/set -[a-z]*x|set -o xtrace/);
      expect(text, file).not.toMatch(/AWS_(SECRET_ACCESS_KEY|SESSION_TOKEN|ACCESS_KEY_ID)/);
    }
  });

  it("pins the same tool versions as requirements-test.txt", async () => {
    const requirements = await readFile(join(REPO, "requirements-test.txt"), "utf8");
    const pinned = (name: string) => new RegExp(`^${name}==(\\S+)$`, "m").exec(requirements)?.[1];
    const constant = (file: string, name: string) => new RegExp(`^${name}=(\\S+)$`, "m").exec(scripts.get(file) ?? "")?.[1];
    expect(constant("install-pkg-tool.sh", "PIPENV_VERSION")).toBe(pinned("pipenv"));
    expect(constant("install-pkg-tool.sh", "POETRY_VERSION")).toBe(pinned("poetry"));
    expect(constant("install-pkg-tool.sh", "POETRY_PLUGIN_EXPORT_VERSION")).toBe(pinned("poetry-plugin-export"));
    expect(constant("install-pkg-tool.sh", "UV_VERSION")).toBe(pinned("uv"));
    expect(constant("sam-build.sh", "ESBUILD_VERSION")).toBe(JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).devDependencies.esbuild);
  });
});

describe("build-layer.sh", () => {
  const params = {
    PARAM_APP_DIR: "app",
    PARAM_PKG_MANAGER: "pip",
    PARAM_LAYER_DIR: "layer",
    PARAM_OUTPUT: "dist/layer.zip",
    PARAM_RUNTIME: "python3.13",
    PARAM_ARCHITECTURE: "arm64",
    PARAM_COMPILE_BYTECODE: "false",
    PARAM_LOCKFILE: "",
  };

  it("hands every parameter to `sam-layer build` as its option; lockfile, bytecode, import check, skips and write-key only when set", async () => {
    const dir = await mkdtemp(join(work, "record-"));
    const helper = await recordingHelper(dir);
    await runScript("build-layer.sh", { ...process.env, ...params, PARAM_HELPER: helper.command }, { cwd: dir });
    await runScript(
      "build-layer.sh",
      {
        ...process.env,
        ...params,
        PARAM_LOCKFILE: "requirements/lambda.txt",
        PARAM_COMPILE_BYTECODE: "true",
        PARAM_IMPORT_CHECK: "false",
        PARAM_SKIP_IMPORTS: "psycopg2  settings",
        PARAM_WRITE_KEY: join(dir, "keys/cache-key"),
        PARAM_HELPER: helper.command,
      },
      { cwd: dir },
    );
    const base = [
      "build",
      "--app-dir",
      "app",
      "--pkg-manager",
      "pip",
      "--layer-dir",
      "layer",
      "--output",
      "dist/layer.zip",
      "--runtime",
      "python3.13",
      "--architecture",
      "arm64",
    ];
    expect((await helper.calls()).map((call) => call.args)).toEqual([
      base,
      [
        ...base,
        "--lockfile",
        "requirements/lambda.txt",
        "--compile-bytecode",
        "--no-import-check",
        "--skip-import",
        "psycopg2",
        "--skip-import",
        "settings",
        "--write-key",
        join(dir, "keys/cache-key"),
      ],
    ]);
    // The key file's folder is made for the helper.
    expect(existsSync(join(dir, "keys"))).toBe(true);
  });

  it("with a template: hands installer, allow-native-sdist, extras and include to `sam-layer build --template` (which applies or refuses them)", async () => {
    const dir = await mkdtemp(join(work, "record-template-"));
    const helper = await recordingHelper(dir);
    await mkdir(join(dir, "app"));
    await runScript(
      "build-layer.sh",
      {
        ...process.env,
        ...params,
        PARAM_TEMPLATE: "template.yaml",
        PARAM_INSTALLER: "pip",
        PARAM_ALLOW_NATIVE_SDIST: "true",
        PARAM_EXTRAS: "s3  cli",
        PARAM_INCLUDE: "shared",
        PARAM_HELPER: helper.command,
      },
      { cwd: dir },
    );
    expect((await helper.calls()).map((call) => call.args)).toEqual([
      [
        "build",
        "--template",
        "app/template.yaml",
        "--out-dir",
        join(await realpath(dir), "app/.sam-layer"),
        "--include",
        "shared",
        "--extras",
        "s3",
        "--extras",
        "cli",
        "--installer",
        "pip",
        "--allow-native-sdist",
      ],
    ]);
  });

  it("refuses to run without a required parameter, naming it", async () => {
    const { PARAM_RUNTIME: _runtime, ...rest } = params;
    const result = await runScript("build-layer.sh", { ...process.env, ...rest, PARAM_HELPER: "false" }, { okCodes: [1] });
    expect(result.stderr).toContain("build-layer: PARAM_RUNTIME is required");
  });

  it("with the real helper: writes the cache key, builds the zip, then reports it unchanged with the same MD5", async () => {
    const appDir = join(work, "pip-app");
    await mkdir(appDir, { recursive: true });
    await writeFile(join(appDir, "requirements.txt"), "six==1.16.0\n");
    const env = { ...process.env, ...buildLayerEnv({ appDir }) };
    const keyFile = join(work, "pip-app-key/cache-key");
    await runScript("build-layer.sh", { ...env, PARAM_WRITE_KEY: keyFile });
    const key = (await readFile(keyFile, "utf8")).trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(appDir, "layer.zip"))).toBe(false);

    const first = await runScript("build-layer.sh", env);
    expect(first.stdout).toMatch(/layer\.zip: created/);
    const md5 = /md5 ([0-9a-f]{32})/.exec(first.stdout)?.[1];
    expect(md5).toBeDefined();
    expect(await readdir(join(appDir, "layer/python"))).toContain("six.py");
    // The key the zip was built for is the one the cache key step wrote.
    expect((await readFile(join(appDir, "layer.zip.key"), "utf8")).trim()).toBe(key);

    const second = await runScript("build-layer.sh", env);
    expect(second.stdout).toMatch(/layer\.zip: unchanged/);
    expect(second.stdout).toContain(`md5 ${md5}`);

    // A different architecture is a different cache key.
    await runScript("build-layer.sh", { ...env, PARAM_ARCHITECTURE: "arm64", PARAM_WRITE_KEY: keyFile });
    expect((await readFile(keyFile, "utf8")).trim()).not.toBe(key);
  });
});

describe("deploy-sam's scripts: the template they build, key, package and plan", () => {
  // No functions and no layer sam-layer builds: nothing is installed, what is tested is which file
  // the scripts hand to `sam` and to the helper. `sam` is a stand-in that records its arguments.
  const TEMPLATE =
    "Transform: AWS::Serverless-2016-10-31\nResources:\n  Published:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: {Bucket: shared, Key: published.zip}\n";
  let dir: string;
  let appDir: string;
  let env: NodeJS.ProcessEnv;
  let samLog: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(work, "deploy-template-"));
    appDir = join(dir, "app");
    await mkdir(appDir);
    await writeFile(join(appDir, "template.yaml"), TEMPLATE);
    const bin = join(dir, "bin");
    await mkdir(bin);
    samLog = join(dir, "sam-args.txt");
    await writeFile(join(bin, "sam"), `#!/usr/bin/env bash\necho "$*" >>${JSON.stringify(samLog)}\n`, { mode: 0o755 });
    await writeFile(samLog, "");
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, PARAM_HELPER: LOCAL_HELPER, PARAM_APP_DIR: "app", PARAM_CONFIG_FILE: "samconfig.toml" };
  });

  /** sam-build.sh's key and build steps, then sam-package.sh without sam build: the template each gave sam, the key, the lines. */
  async function deploySteps(template: string, okCodes = [0]) {
    await writeFile(samLog, "");
    const key = join(dir, "sam-build-key");
    await rm(key, { force: true });
    const p = { ...env, PARAM_TEMPLATE: template };
    const keyed = await runScript("sam-build.sh", { ...p, PARAM_WRITE_KEY: key }, { cwd: dir, okCodes });
    const built = await runScript("sam-build.sh", p, { cwd: dir, okCodes });
    const packaged = await runScript(
      "sam-package.sh",
      { ...p, PARAM_PACKAGED_TEMPLATE: join(dir, "packaged.yaml"), PARAM_S3_BUCKET: "b", PARAM_SAM_BUILD: "false" },
      { cwd: dir, okCodes },
    );
    const sam = (await readFile(samLog, "utf8")).split("\n").filter(Boolean);
    const templates = sam.map((line) => /--template-file (\S+)/.exec(line)?.[1]);
    return { templates, key: existsSync(key) ? await readFile(key, "utf8") : undefined, runs: [keyed, built, packaged] };
  }

  /** The key sam-layer build-tools writes for a template of the app (what the cache key must be of). */
  async function keyOf(template: string): Promise<string> {
    const file = join(dir, "expected-key");
    await run("node", [join(REPO, "dist/sam-layer.mjs"), "build-tools", template, "--write-key", file], { cwd: appDir });
    return readFile(file, "utf8");
  }

  it("no copy: the template as it is, for the key, sam build and sam package", async () => {
    const r = await deploySteps("template.yaml");
    expect(r.templates).toEqual(["template.yaml", "template.yaml"]);
    expect(r.key).toBe(await keyOf("template.yaml"));
    for (const run of r.runs) expect(run.stderr).toContain("sam-layer: deploying template.yaml as it is (no template.sam-layer.yaml");
  });

  it("with the copy build-layer's `template` build wrote: the copy, for the key, sam build and sam package; also when it is set explicitly", async () => {
    const built = await runScript("build-layer.sh", { ...env, PARAM_TEMPLATE: "template.yaml", PARAM_STAGE_DIR: join(dir, "stage") }, { cwd: dir });
    expect(built.stdout).toMatch(/^app\/template\.sam-layer\.yaml: written/m);
    const expected = await keyOf("template.sam-layer.yaml");
    expect(expected).not.toBe(await keyOf("template.yaml"));
    for (const template of ["template.yaml", "template.sam-layer.yaml"]) {
      const r = await deploySteps(template);
      expect(r.templates).toEqual(["template.sam-layer.yaml", "template.sam-layer.yaml"]);
      expect(r.key).toBe(expected);
      for (const run of r.runs) expect(run.stderr).toMatch(/^sam-layer: deploying template\.sam-layer\.yaml: the copy build-layer wrote from template\.yaml/m);
    }
  });

  it("a stale copy (the template changed since): each step fails with the one line, before sam runs", async () => {
    await writeFile(join(appDir, "template.yaml"), `${TEMPLATE}Outputs: {}\n`);
    const r = await deploySteps("template.yaml", [1]);
    expect(r.templates).toEqual([]);
    expect(r.key).toBeUndefined();
    for (const run of r.runs) {
      expect(run.stderr).toBe(
        "sam-layer: template.sam-layer.yaml was written from another version of template.yaml (or of its nested templates); run the build-layer job with `template` set in the same workflow before deploy-sam, so the copy is written again (or delete template.sam-layer.yaml)\n",
      );
    }
    await writeFile(join(appDir, "template.yaml"), TEMPLATE);
  });

  it("build-layer stages this build's zips and copies for the workspace, a nested template's copy outside app-dir too; the deploy checkout picks the copy", async () => {
    const checkout = join(dir, "monorepo");
    await mkdir(join(checkout, "app"), { recursive: true });
    await mkdir(join(checkout, "shared/deps"), { recursive: true });
    await writeFile(
      join(checkout, "app/template.yaml"),
      "Transform: AWS::Serverless-2016-10-31\nResources:\n  Orders:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: ../shared/orders.yaml\n",
    );
    await writeFile(
      join(checkout, "shared/orders.yaml"),
      "Resources:\n  Deps:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: deps\n    Metadata:\n      BuildMethod: python3.12\n",
    );
    await writeFile(join(checkout, "shared/deps/requirements.txt"), "six==1.16.0\n");
    const deploy = join(dir, "deploy-checkout");
    await cp(checkout, deploy, { recursive: true });
    const stage = join(dir, "workspace");
    const built = await runScript("build-layer.sh", { ...env, PARAM_TEMPLATE: "template.yaml", PARAM_STAGE_DIR: stage }, { cwd: checkout });
    expect(built.stdout).toContain(`staged 3 files (layer zips and rewritten templates) in ${stage} for the workspace`);
    const staged = (await readdir(stage, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(staged.map((e) => relative(stage, join(e.parentPath, e.name))).sort()).toEqual([
      "app/.sam-layer/Orders/Deps.zip",
      "app/template.sam-layer.yaml",
      "shared/orders.sam-layer.yaml",
    ]);
    expect(await readFile(join(stage, "app/template.sam-layer.yaml"), "utf8")).toContain("Location: ../shared/orders.sam-layer.yaml\n");
    expect(await readFile(join(stage, "shared/orders.sam-layer.yaml"), "utf8")).toContain("ContentUri: ../app/.sam-layer/Orders/Deps.zip\n");
    // attach_workspace at the deploy checkout's root, then deploy-sam's `template: template.yaml`
    await cp(stage, deploy, { recursive: true });
    const picked = await run("node", [join(REPO, "dist/sam-layer.mjs"), "deploy-template", "app/template.yaml"], { cwd: deploy });
    expect(picked.stdout).toBe("app/template.sam-layer.yaml\n");
  });
});

describe("install-pkg-tool.sh", () => {
  it("hands every build parameter to `sam-layer build --needed-tools`, and installs nothing when it lists nothing", async () => {
    const dir = await mkdtemp(join(work, "record-tools-"));
    const helper = await recordingHelper(dir);
    const params = {
      PARAM_APP_DIR: "app",
      PARAM_PKG_MANAGER: "auto",
      PARAM_LAYER_DIR: "layer",
      PARAM_OUTPUT: "dist/layer.zip",
      PARAM_RUNTIME: "python3.13",
      PARAM_ARCHITECTURE: "arm64",
      PARAM_COMPILE_BYTECODE: "true",
      PARAM_LOCKFILE: "requirements/lambda.txt",
    };
    // The recording helper prints "{}", a tool the script does not know: it refuses it.
    const refused = await runScript("install-pkg-tool.sh", { ...process.env, ...params, PARAM_HELPER: helper.command }, { cwd: dir, okCodes: [2] });
    expect(refused.stderr).toContain("the helper asked for an unknown tool '{}'");
    expect((await helper.calls()).map((call) => call.args)).toEqual([
      [
        "build",
        "--app-dir",
        "app",
        "--pkg-manager",
        "auto",
        "--layer-dir",
        "layer",
        "--output",
        "dist/layer.zip",
        "--runtime",
        "python3.13",
        "--architecture",
        "arm64",
        "--needed-tools",
        "--lockfile",
        "requirements/lambda.txt",
        "--compile-bytecode",
      ],
    ]);
    const home = await mkdtemp(join(work, "home-"));
    const none = await runScript("install-pkg-tool.sh", { HOME: home, PATH: await barePath(), ...params, PARAM_HELPER: "true" });
    expect(none.stdout).toBe("install-pkg-tool: no tool needed\n");
    expect(existsSync(join(home, ".sam-layer"))).toBe(false);
  });

  it("on a miss, uses the package manager already on PATH and leaves pip and npm to the image", async () => {
    const appDir = join(work, "detect-app");
    await mkdir(appDir, { recursive: true });
    await writeFile(join(appDir, "Pipfile"), '[packages]\nsix = "==1.16.0"\n');
    // The hash pipenv would record for this Pipfile (the helper checks it before listing tools).
    await writeFile(
      join(appDir, "Pipfile.lock"),
      JSON.stringify({ _meta: { hash: { sha256: "7dd2d4b0d8e1ebb2ac5e4ba4de6d7b5c9fc6ba5c1e1a0b4d7d1f5b2b3f3c9c1a" } }, default: {}, develop: {} }),
    );
    const env = { ...process.env, ...buildLayerEnv({ appDir }), PATH: `${VENV_BIN}:${process.env.PATH ?? ""}` };
    const stale = await runScript("install-pkg-tool.sh", env, { okCodes: [1] });
    expect(stale.stderr).toContain(
      "\nsam-layer: Pipfile.lock is out of date with its Pipfile (_meta.hash.sha256 is not the Pipfile's hash); run `pipenv lock` and commit it\n",
    );
    const hash = (await run(join(VENV_BIN, "python"), ["-c", PIPENV_HASH, join(appDir, "Pipfile")])).stdout.trim();
    await writeFile(join(appDir, "Pipfile.lock"), JSON.stringify({ _meta: { hash: { sha256: hash } }, default: {}, develop: {} }));
    const pipenv = await runScript("install-pkg-tool.sh", env);
    expect(pipenv.stdout).toContain(`using ${join(VENV_BIN, "pipenv")}`);
    expect(pipenv.stdout).toContain(`using ${join(VENV_BIN, "uv")}`);

    // With a Node.js runtime only package-lock.json counts, as in the build step: npm needs nothing.
    await writeFile(join(appDir, "package.json"), JSON.stringify({ name: "layer", version: "1.0.0" }));
    await writeFile(join(appDir, "package-lock.json"), JSON.stringify({ name: "layer", lockfileVersion: 3, packages: {} }));
    const npm = await runScript("install-pkg-tool.sh", { ...env, PARAM_RUNTIME: "nodejs22.x" });
    expect(npm.stdout).toBe("install-pkg-tool: no tool needed\n");
  });

  it("installs a missing uv at the pinned version for a pip layer (the installer), on PATH for later steps through BASH_ENV", async () => {
    const home = await mkdtemp(join(work, "home-"));
    const bashEnv = join(home, "bash_env");
    await writeFile(bashEnv, "");
    const appDir = join(work, "uv-installer-app");
    await mkdir(appDir, { recursive: true });
    await writeFile(join(appDir, "requirements.txt"), "six==1.16.0\n");
    const env = { HOME: home, PATH: await barePath(), BASH_ENV: bashEnv, ...buildLayerEnv({ appDir }) };
    const result = await runScript("install-pkg-tool.sh", env);
    expect(result.stdout).toContain("installing uv==0.13.8");
    expect(await readFile(bashEnv, "utf8")).toBe(`export PATH="${home}/.sam-layer/bin:$PATH"\n`);
    // A later step: bash sources BASH_ENV first, as CircleCI's steps do.
    const later = await run("bash", ["-c", "command -v uv && uv --version"], { env });
    expect(later.stdout).toContain(`${home}/.sam-layer/bin/uv`);
    expect(later.stdout).toContain("uv 0.13.8");
    // python3 and pip on PATH are still the image's own, not the tool's virtualenv.
    const python = await run("bash", ["-c", "command -v python3"], { env });
    expect(python.stdout.trim()).toBe(join(work, "bare-bin/python3"));
    // Run again: found, nothing installed twice.
    const again = await runScript("install-pkg-tool.sh", env);
    expect(again.stdout).toContain(`using ${home}/.sam-layer/bin/uv`);
  });

  it("fails before installing anything when it could not put the tool on PATH (no BASH_ENV)", async () => {
    const home = await mkdtemp(join(work, "home-"));
    const appDir = join(work, "no-bash-env-app");
    await mkdir(appDir, { recursive: true });
    await writeFile(join(appDir, "requirements.txt"), "six==1.16.0\n");
    const result = await runScript("install-pkg-tool.sh", { HOME: home, PATH: await barePath(), ...buildLayerEnv({ appDir }) }, { okCodes: [1] });
    expect(result.stderr).toContain("BASH_ENV must name a file");
    expect(existsSync(join(home, ".sam-layer/venvs"))).toBe(false);
  });
});

/** pipenv's own hash of a Pipfile, as `pipenv lock` records it. */
const PIPENV_HASH = `
import sys
from pipenv.utils.pipfile import Pipfile
class P(Pipfile):
    def __init__(self, loc): self._loc = loc
    location = property(lambda self: self._loc)
    exists = property(lambda self: True)
print(P(sys.argv[1]).calculate_hash())
`;

describe("install-sam.sh", () => {
  it("keeps a SAM CLI of exactly the pinned version that is already on PATH, and installs no AWS CLI", async () => {
    const result = await runScript("install-sam.sh", {
      ...process.env,
      PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
      PARAM_SAM_VERSION: "1.170.0",
    });
    expect(result.stdout).toContain(`install-sam: using ${join(VENV_BIN, "sam")} (SAM CLI, version 1.170.0)`);
    expect(result.stdout).not.toMatch(/aws/i);
  });

  it("cold: installs the pinned SAM CLI from PyPI; warm: the venv restored from the CircleCI cache is used as is", async () => {
    const home = await mkdtemp(join(work, "home-"));
    const bashEnv = join(home, "bash_env");
    await writeFile(bashEnv, "");
    // A fresh venv from PyPI; pip's download cache is the user's, so each run does not download
    // the 86 packages again (the README's cold number was measured with an empty one).
    const env = { HOME: home, PATH: await barePath(), PARAM_SAM_VERSION: "1.170.0", BASH_ENV: bashEnv, PIP_CACHE_DIR: join(homedir(), ".cache/pip") };
    const keyFile = join(home, "sam-cli-key");
    await runScript("install-sam.sh", { ...env, PARAM_WRITE_KEY: keyFile });
    const keyText = await readFile(keyFile, "utf8");
    expect(keyText).toContain("aws-sam-cli==1.170.0");
    expect(keyText).toContain((await run("python3", ["-c", "import sys; print(sys.version)"], { env })).stdout.trim());
    const cacheKey = `sam-cli-${await checksum(keyFile)}`;
    const cache = new CiCache(join(work, "ci-cache"));
    expect(await cache.restore(cacheKey, home)).toBe(false);

    let started = performance.now();
    const cold = await runScript("install-sam.sh", env);
    const coldSeconds = (performance.now() - started) / 1000;
    expect(cold.stdout).toContain("installing aws-sam-cli==1.170.0");
    await cache.save(cacheKey, home, [".sam-layer/venvs/sam"]);

    // The next job: same HOME path (CircleCI's), nothing installed, the cache restored.
    await rm(join(home, ".sam-layer"), { recursive: true, force: true });
    await writeFile(bashEnv, "");
    started = performance.now();
    expect(await cache.restore(cacheKey, home)).toBe(true);
    const restoreSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const warm = await runScript("install-sam.sh", env);
    const warmStepSeconds = (performance.now() - started) / 1000;
    expect(warm.stdout).toContain(`install-sam: using the cached ${home}/.sam-layer/venvs/sam (SAM CLI, version 1.170.0)`);
    expect(warm.stdout).not.toContain("installing");
    const later = await run("bash", ["-c", "sam --version"], { env });
    expect(later.stdout).toContain("SAM CLI, version 1.170.0");

    // Times depend on the machine and its load; recorded for the README, not asserted.
    await mkdir(join(REPO, "test-results"), { recursive: true });
    await writeFile(
      join(REPO, "test-results/sam-cli-cache.md"),
      `| SAM CLI install | seconds |\n| --- | --: |\n| cold (pip from PyPI) | ${coldSeconds.toFixed(1)} |\n| warm: restore (tar) | ${restoreSeconds.toFixed(1)} |\n| warm: install step | ${warmStepSeconds.toFixed(1)} |\n`,
    );
  }, 600_000);
});
