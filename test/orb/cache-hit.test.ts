// The build command's three script steps (write the key, install the tools, build) on the example
// app, on a PATH with python3 and node only: a cache miss asks for pipenv and uv (here the pinned
// ones from .venv, linked into a folder on PATH; installing from PyPI is scripts.test.ts's) and
// builds; a cache hit (the miss's layer folder, zip and key restored elsewhere) asks for nothing,
// runs no pipenv, and still refuses an edited Pipfile.
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESTORED_MESSAGE } from "../../src/layer-build/index.js";
import { copyExampleApp, scratchDir } from "../support/app-copy.js";
import { buildLayerEnv } from "../support/orb-scripts.js";
import { run, VENV_BIN } from "../support/run.js";
import { runScript } from "./script-harness.js";

let work: string;
let barePath: string;
/** barePath plus a folder holding only .venv's pipenv and uv */
let toolsPath: string;

beforeAll(async () => {
  work = await scratchDir("cache-hit");
  const bin = join(work, "bin");
  await mkdir(bin);
  const python = (await run("python3", ["-c", "import sys; print(sys.executable)"])).stdout.trim();
  await symlink(python, join(bin, "python3"));
  await symlink(process.execPath, join(bin, "node"));
  barePath = `${bin}:/usr/bin:/bin`;
  const tools = join(work, "tools");
  await mkdir(tools);
  for (const tool of ["pipenv", "uv"]) await symlink(join(VENV_BIN, tool), join(tools, tool));
  toolsPath = `${tools}:${barePath}`;
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The build command's steps between restore_cache and save_cache, in a fresh HOME and BASH_ENV as a new CircleCI job has. */
async function buildSteps(appDir: string, path = barePath) {
  const home = await mkdtemp(join(work, "home-"));
  const bashEnv = join(home, "bash_env");
  await writeFile(bashEnv, "");
  // The rest of the environment stays: it may hold the index and CA settings uv needs.
  const env = { ...process.env, HOME: home, PATH: path, BASH_ENV: bashEnv, ...buildLayerEnv({ appDir }) };
  const keyFile = join(home, "cache-key");
  await runScript("build-layer.sh", { ...env, PARAM_WRITE_KEY: keyFile });
  const install = await runScript("install-pkg-tool.sh", env, { okCodes: [0, 1] });
  const build = await runScript("build-layer.sh", env, { okCodes: [0, 1] });
  return { home, env, install, build, key: (await readFile(keyFile, "utf8")).trim() };
}

describe("build-layer steps on a cache hit and a miss", () => {
  it("has no pipenv, poetry or uv on the bare PATH", async () => {
    for (const tool of ["pipenv", "poetry", "uv"]) {
      const found = await run("bash", ["-c", `command -v ${tool}`], { env: { PATH: barePath }, okCodes: [0, 1] });
      expect(found.code, tool).toBe(1);
    }
  });

  it("miss: needs pipenv and uv and builds; hit: needs nothing, skips the install, same zip", async () => {
    const missApp = await copyExampleApp("classic-app", await mkdtemp(join(work, "miss-")));
    const miss = await buildSteps(missApp, toolsPath);
    expect(miss.install.code).toBe(0);
    expect(miss.install.stdout).toBe(`install-pkg-tool: using ${join(work, "tools/pipenv")}\ninstall-pkg-tool: using ${join(work, "tools/uv")}\n`);
    expect(miss.build.code, miss.build.stderr).toBe(0);
    expect(miss.build.stdout).toContain("layer.zip: created");
    const md5 = /md5 ([0-9a-f]{32})/.exec(miss.build.stdout)?.[1];
    expect(md5).toBeDefined();
    expect((await readFile(join(missApp, "layer.zip.key"), "utf8")).trim()).toBe(miss.key);

    // restore_cache in another job: the layer folder, zip, key and stat cache land in a fresh checkout.
    const hitApp = await copyExampleApp("classic-app", await mkdtemp(join(work, "hit-")));
    for (const name of ["layer", "layer.zip", "layer.zip.key", "layer.zip.stat.json"]) {
      await cp(join(missApp, name), join(hitApp, name), { recursive: true, preserveTimestamps: true });
    }
    const hit = await buildSteps(hitApp);
    expect(hit.key).toBe(miss.key);
    expect(hit.install.code).toBe(0);
    expect(hit.install.stdout).toBe("install-pkg-tool: no tool needed\n");
    expect(existsSync(join(hit.home, ".sam-layer"))).toBe(false);
    expect(await readFile(hit.env.BASH_ENV, "utf8")).toBe("");
    expect(hit.build.code, hit.build.stderr).toBe(0);
    expect(hit.build.stdout).toContain(RESTORED_MESSAGE);
    expect(hit.build.stdout).toContain("layer.zip: unchanged");
    expect(hit.build.stdout).toContain(`md5 ${md5}`);

    // The key covers Pipfile.lock only, so an edited Pipfile is still a hit: refused without pipenv.
    const pipfile = join(hitApp, "Pipfile");
    await writeFile(pipfile, (await readFile(pipfile, "utf8")).replace("[dev-packages]", '[dev-packages]\nsix = "*"'));
    const edited = await buildSteps(hitApp);
    const line = "sam-layer: Pipfile.lock is out of date with its Pipfile (_meta.hash.sha256 is not the Pipfile's hash); run `pipenv lock` and commit it\n";
    for (const step of [edited.install, edited.build]) {
      expect(step.code).toBe(1);
      expect(step.stderr).toContain(line);
    }
    expect(existsSync(join(edited.home, ".sam-layer"))).toBe(false);
  });
});
