// Inputs besides the lockfile: -r/-c includes, local packages in every manager, --include folders,
// poetry/uv extras, VCS requirements and unreachable indexes. For each new kind: two fresh builds
// and a build from another folder give the same md5; editing the input gives a new key and new
// bytes; not editing it gives `unchanged` with the install skipped. Real uv, poetry and pipenv.
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BuildOptions, Built } from "../../src/layer-build/index.js";
import { runOrbScript } from "../support/orb-scripts.js";
import { app, build, built, cli, scratch, sh, zipNames } from "./helpers.js";

// Several real builds per test (fresh, another folder, restored, edited) on a shared 2-core machine.
const LONG = 480_000;

const root = scratch("inputs");
// a dead index fails at once instead of after uv's three retries
const env = { ...process.env, UV_HTTP_RETRIES: "0", POETRY_CACHE_DIR: join(root, "poetry-cache") };
Object.assign(process.env, { UV_HTTP_RETRIES: "0", POETRY_CACHE_DIR: env.POETRY_CACHE_DIR });

const SHARED = {
  "shared-lib/pyproject.toml": `[project]
name = "shared-lib"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["six==1.16.0"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
`,
  "shared-lib/src/shared_lib/__init__.py": "GREETING = 'hello'\n",
};

type Opts = Partial<BuildOptions>;

/**
 * Builds `files` fresh in two folders and in a third, deeper one; returns the first build. All
 * three must give the same md5. Then: no edit -> restored and unchanged; `edit` -> new key, new md5.
 */
async function reproducible(
  name: string,
  files: Record<string, string>,
  opts: Opts,
  edit: { file: string; text: string },
  prepare?: { lockfile: string; run: (dir: string) => void },
) {
  const dirs = [app(root, `${name}-one/app`, files), app(root, `${name}-two/app`, files), app(scratch("inputs-elsewhere"), `a/b/${name}/app`, files)];
  // the lock is made once (lock tools are slow) and copied: it holds only relative paths
  if (prepare) {
    prepare.run(dirs[0]!);
    for (const dir of dirs.slice(1)) copyFileSync(join(dirs[0]!, prepare.lockfile), join(dir, prepare.lockfile));
  }
  const results: Built[] = [];
  const times: number[] = [];
  for (const dir of dirs) {
    const start = performance.now();
    results.push(built((await build({ appDir: dir, ...opts })).result));
    times.push(Math.round(performance.now() - start));
  }
  // for the closing note: build time of each fresh build and the md5
  console.log(`${name}: md5 ${results[0]!.md5}, fresh builds ${times.map((t) => `${(t / 1000).toFixed(1)} s`).join(", ")}`);
  expect(new Set(results.map((r) => r.md5)).size, "md5 of two fresh builds and one from another folder").toBe(1);
  expect(new Set(results.map((r) => r.key)).size, "key").toBe(1);
  const dir = dirs[0]!;
  const again = built((await build({ appDir: dir, ...opts })).result);
  expect(again).toMatchObject({ skippedInstall: true, status: "unchanged", key: results[0]!.key });
  writeFileSync(join(dir, "..", edit.file), edit.text);
  const edited = built((await build({ appDir: dir, ...opts })).result);
  expect(edited.key).not.toBe(results[0]!.key);
  expect(edited.md5).not.toBe(results[0]!.md5);
  expect(edited.status).toBe("updated");
  return { first: results[0]!, dir, edited };
}

describe("requirements includes", () => {
  it(
    "reads -r and -c relative to the file that names them, recursively, and keys every included file",
    async () => {
      const files = {
        "app/requirements.txt": "-r reqs/base.txt\n-c reqs/constraints.txt\ndocopt==0.6.2\n",
        "app/reqs/base.txt": "-r more/extra.txt\nsix==1.16.0\n",
        "app/reqs/more/extra.txt": "sgmllib3k==1.0.0\n",
        "app/reqs/constraints.txt": "six==1.16.0\n",
      };
      const flat = Object.fromEntries(Object.entries(files).map(([k, v]) => [k.slice("app/".length), v]));
      const { dir, edited } = await reproducible(
        "includes",
        flat,
        { runtime: "python3.12" },
        { file: "app/reqs/more/extra.txt", text: "sgmllib3k==1.0.0\nsix==1.16.0\ncertifi==2024.2.2\n" },
      );
      expect(zipNames(join(dir, "layer.zip"))).toContain("python/certifi/__init__.py");
      expect(edited.warnings).toEqual([]);
      // the unpinned warning sees included lines too
      writeFileSync(join(dir, "reqs/base.txt"), "six>=1.0\n");
      const loose = built((await build({ appDir: dir, runtime: "python3.12" })).result);
      expect(loose.warnings.join("\n")).toMatch(/requirements\.txt does not pin six>=1\.0/);
    },
    LONG,
  );

  it(
    "names a missing included file in one line",
    () => {
      const dir = app(root, "missing-include", { "requirements.txt": "-r nowhere.txt\n" });
      const r = cli(["build"], dir, env);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe("sam-layer: requirements file not found: nowhere.txt\n");
    },
    LONG,
  );
});

describe("local packages (pip)", () => {
  it(
    "installs ./path, -e ./path and file: URLs as regular packages; the key follows their content",
    async () => {
      const files = {
        ...SHARED,
        "other/setup.py": "from setuptools import setup\nsetup(name='other-lib', version='1.0', py_modules=['other_lib'])\n",
        "other/other_lib.py": "VALUE = 1\n",
        "third/pyproject.toml": SHARED["shared-lib/pyproject.toml"]
          .replace("shared-lib", "third-lib")
          .replace('dependencies = ["six==1.16.0"]', "dependencies = []"),
        "third/src/third_lib/__init__.py": "",
        "app/requirements.txt": "./../shared-lib\n-e ../other\nthird-lib @ file:../third\n",
      };
      const root2 = scratch("inputs-local");
      const dirs = [app(root2, "one", files), app(root2, "two", files), app(scratch("inputs-elsewhere"), "x/y", files)].map((d) => join(d, "app"));
      const results: Built[] = [];
      for (const d of dirs) results.push(built((await build({ appDir: d, runtime: "python3.12" })).result));
      expect(new Set(results.map((r) => r.md5)).size).toBe(1);
      const dir = dirs[0]!;
      const names = zipNames(join(dir, "layer.zip"));
      for (const n of ["python/shared_lib/__init__.py", "python/other_lib.py", "python/third_lib/__init__.py", "python/six.py"]) expect(names).toContain(n);
      // regular packages: no editable hooks, nothing naming the build folder
      expect(names.filter((n) => /direct_url\.json|\.pth$|__editable__/.test(n))).toEqual([]);
      sh("unzip", ["-q", "-o", join(dir, "layer.zip"), "-d", join(root2, "unzipped")]);
      const grep = spawnSync("grep", ["-rl", "-e", root2, "-e", "sam-layer-build-", join(root2, "unzipped")], { encoding: "utf8" });
      expect(grep.status, grep.stdout).toBe(1); // 1: no match

      // no edit: restored; an edit of a module (not of pyproject.toml) changes key and bytes
      expect(built((await build({ appDir: dir, runtime: "python3.12" })).result).skippedInstall).toBe(true);
      writeFileSync(join(dir, "../shared-lib/src/shared_lib/__init__.py"), "GREETING = 'bonjour'\n");
      const edited = built((await build({ appDir: dir, runtime: "python3.12" })).result);
      expect(edited.key).not.toBe(results[0]!.key);
      expect(readFileSync(join(dir, "layer/python/shared_lib/__init__.py"), "utf8")).toBe("GREETING = 'bonjour'\n");
      // from scratch again: never an old wheel from a cache
      rmSync(join(dir, "layer"), { recursive: true });
      rmSync(join(dir, "layer.zip"));
      writeFileSync(join(dir, "../shared-lib/src/shared_lib/__init__.py"), "GREETING = 'hallo'\n");
      await build({ appDir: dir, runtime: "python3.12" });
      expect(readFileSync(join(dir, "layer/python/shared_lib/__init__.py"), "utf8")).toBe("GREETING = 'hallo'\n");
      // build/ and *.egg-info left in the package by a build tool do not change the key
      const key = built((await build({ appDir: dir, runtime: "python3.12" })).result).key;
      app(join(dir, ".."), "other", { "build/lib/other_lib.py": "VALUE = 0\n", "other_lib.egg-info/PKG-INFO": "Name: other-lib\n" });
      expect(built((await build({ appDir: dir, runtime: "python3.12" })).result).key).toBe(key);
    },
    LONG,
  );
});

describe("local packages (uv, poetry, pipenv)", () => {
  it(
    "uv: a path dependency and a workspace member",
    async () => {
      const files = {
        ...SHARED,
        "app/pyproject.toml": `[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["shared-lib", "member"]

[tool.uv.sources]
shared-lib = { path = "../shared-lib" }
member = { workspace = true }

[tool.uv.workspace]
members = ["packages/*"]
`,
        "app/packages/member/pyproject.toml": SHARED["shared-lib/pyproject.toml"]
          .replace("shared-lib", "member")
          .replace('dependencies = ["six==1.16.0"]', "dependencies = []"),
        "app/packages/member/src/member/__init__.py": "M = 1\n",
      };
      const { dir } = await reproducible(
        "uv-local",
        Object.fromEntries(Object.entries(files).map(([k, v]) => [k.startsWith("app/") ? k.slice(4) : `../${k}`, v])),
        { runtime: "python3.12" },
        { file: "app/packages/member/src/member/__init__.py", text: "M = 2\n" },
        { lockfile: "uv.lock", run: (d) => sh("uv", ["lock", "-q"], d, env) },
      );
      const names = zipNames(join(dir, "layer.zip"));
      for (const n of ["python/shared_lib/__init__.py", "python/member/__init__.py", "python/six.py"]) expect(names).toContain(n);
    },
    LONG,
  );
});

describe("local packages (poetry, pipenv) and poetry extras", () => {
  it(
    "poetry: a path dependency, and --extras NAME adds an optional group (part of the key)",
    async () => {
      const files = {
        "../shared-lib/pyproject.toml": SHARED["shared-lib/pyproject.toml"],
        "../shared-lib/src/shared_lib/__init__.py": SHARED["shared-lib/src/shared_lib/__init__.py"],
        "pyproject.toml": `[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["shared-lib"]

[project.optional-dependencies]
cli = ["docopt==0.6.2"]

[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
shared-lib = { path = "../shared-lib" }

[[tool.poetry.source]]
name = "pypi-simple"
url = "https://pypi.org/simple/"
priority = "primary"
`,
      };
      const { first, dir } = await reproducible(
        "poetry-local",
        files,
        { runtime: "python3.12" },
        { file: "shared-lib/src/shared_lib/__init__.py", text: "GREETING = 'hej'\n" },
        { lockfile: "poetry.lock", run: (d) => sh("poetry", ["lock", "--no-interaction"], d, env) },
      );
      expect(zipNames(join(dir, "layer.zip"))).toContain("python/shared_lib/__init__.py");
      expect(zipNames(join(dir, "layer.zip")).some((n) => n.startsWith("python/docopt"))).toBe(false);
      const withCli = built((await build({ appDir: dir, runtime: "python3.12", extras: ["cli"] })).result);
      expect(withCli.key).not.toBe(first.key);
      expect(zipNames(join(dir, "layer.zip"))).toContain("python/docopt.py");
      const r = cli(["build", "--extras", "nope"], dir, env);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^sam-layer: .*nope/);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    },
    LONG,
  );

  it(
    "pipenv: a path dependency",
    async () => {
      const files = {
        "../shared-lib/pyproject.toml": SHARED["shared-lib/pyproject.toml"],
        "../shared-lib/src/shared_lib/__init__.py": SHARED["shared-lib/src/shared_lib/__init__.py"],
        Pipfile: `[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
shared-lib = {path = "../shared-lib"}
docopt = "==0.6.2"
`,
      };
      const penv = { ...env, PIPENV_IGNORE_VIRTUALENVS: "1", PIPENV_VERBOSITY: "-1", PIPENV_NOSPIN: "1" };
      const { dir } = await reproducible(
        "pipenv-local",
        files,
        { runtime: "python3.12" },
        { file: "shared-lib/src/shared_lib/__init__.py", text: "GREETING = 'hei'\n" },
        { lockfile: "Pipfile.lock", run: (d) => sh("pipenv", ["lock"], d, penv) },
      );
      for (const n of ["python/shared_lib/__init__.py", "python/six.py", "python/docopt.py"]) expect(zipNames(join(dir, "layer.zip"))).toContain(n);
    },
    LONG,
  );
});

describe("--include DIR[:DEST]", () => {
  it(
    "copies a plain folder of modules into python/DEST, in the key and the digest",
    async () => {
      const files = {
        "requirements.txt": "six==1.16.0\n",
        "common/util.py": "X = 1\n",
        "common/sub/more.py": "Y = 2\n",
        "common/__pycache__/util.cpython-311.pyc": "junk",
      };
      const { dir } = await reproducible(
        "include",
        files,
        { runtime: "python3.12", include: ["common:company/common"] },
        { file: "app/common/util.py", text: "X = 3\n" },
      );
      const names = zipNames(join(dir, "layer.zip"));
      expect(names).toContain("python/company/common/util.py");
      expect(names).toContain("python/company/common/sub/more.py");
      expect(names.some((n) => n.includes("__pycache__"))).toBe(false);
      const clash = cli(["build", "--include", "common:six.py"], dir, env);
      expect(clash.status).toBe(1);
      expect(clash.stderr).toBe("sam-layer: --include common:six.py: python/six.py is already in the layer (an installed package); choose another DEST\n");
      const missing = cli(["build", "--include", "nowhere"], dir, env);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toBe("sam-layer: --include nowhere: not a folder: nowhere\n");
    },
    LONG,
  );

  it(
    "takes include and extras from the orb's build-layer.sh (PARAM_INCLUDE, PARAM_EXTRAS), in the key step too",
    async () => {
      const dir = app(root, "orb-include", { "requirements.txt": "six==1.16.0\n", "common/util.py": "X = 1\n", "more/m.py": "" });
      const params = {
        app_dir: dir,
        pkg_manager: "auto",
        lockfile: "",
        layer_dir: "layer",
        output: "layer.zip",
        runtime: "python3.12",
        architecture: "x86_64",
        compile_bytecode: "false",
        include: "common more:pkg/more",
        extras: "",
      };
      const keyFile = join(dir, "..", "orb-include.key");
      const key = await runOrbScript("build-layer", { ...params, write_key: keyFile }, env);
      expect(key.code, key.stderr).toBe(0);
      const r = await runOrbScript("build-layer", params, env);
      expect(r.code, r.stderr).toBe(0);
      expect(zipNames(join(dir, "layer.zip"))).toEqual(expect.arrayContaining(["python/common/util.py", "python/pkg/more/m.py"]));
      expect(readFileSync(join(dir, "layer.zip.key"), "utf8")).toBe(readFileSync(keyFile, "utf8"));
      await expect(runOrbScript("build-layer", { ...params, extras: "cli" }, env)).rejects.toThrow(
        /exited 2:\nsam-layer: --extras is for poetry\.lock and uv\.lock/,
      );
    },
    LONG,
  );
});

describe("VCS requirements and indexes", () => {
  it(
    "installs a bare git+...#egg=name requirement git can reach, and names one it cannot reach",
    async () => {
      const repo = app(root, "git-repo", {
        "pyproject.toml": SHARED["shared-lib/pyproject.toml"].replace("shared-lib", "vcs-lib").replace('dependencies = ["six==1.16.0"]', "dependencies = []"),
        "src/vcs_lib/__init__.py": "V = 1\n",
      });
      const gitEnv = { ...env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
      sh("git", ["init", "-q", "-b", "main"], repo, gitEnv);
      sh("git", ["add", "."], repo, gitEnv);
      sh("git", ["commit", "-q", "-m", "v1"], repo, gitEnv);
      const dir = app(root, "vcs", { "requirements.txt": `git+file://${repo}#egg=vcs-lib\n` });
      built((await build({ appDir: dir, runtime: "python3.12" })).result);
      expect(zipNames(join(dir, "layer.zip"))).toContain("python/vcs_lib/__init__.py");

      const dead = app(root, "vcs-dead", { "requirements.txt": "git+https://127.0.0.1:9/team/x.git#egg=x\n" });
      const r = cli(["build"], dead, env);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^sam-layer: cannot fetch x @ git\+https:\/\/127\.0\.0\.1:9\/team\/x\.git \(from requirements\.txt\): git could not reach 127\.0\.0\.1:9\n$/,
      );
    },
    LONG,
  );

  it(
    "says an index could not be reached in one line naming the host, without its credentials",
    () => {
      const dir = app(root, "dead-index", { "requirements.txt": "-i http://deploy:s3cret-token@127.0.0.1:9/simple\nsix==1.16.0\n" });
      const r = cli(["build"], dir, env);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe("sam-layer: package index 127.0.0.1:9 could not be reached (from requirements.txt); check the index URL and the network\n");
      const viaEnv = app(root, "dead-index-env", { "requirements.txt": "six==1.16.0\n" });
      const r2 = cli(["build"], viaEnv, { ...env, PIP_INDEX_URL: "http://deploy:s3cret-token@127.0.0.1:9/simple" });
      expect(r2.stderr).toBe("sam-layer: package index 127.0.0.1:9 could not be reached (from requirements.txt); check the index URL and the network\n");
      expect(r.stdout + r2.stdout).not.toContain("s3cret");
    },
    LONG,
  );
});
