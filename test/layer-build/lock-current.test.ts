// The lock check without the tools (lock-current.ts, uv-lock-current.ts) against the tools
// themselves: pipenv's and poetry's own hash functions, run in one Python process over many
// manifest shapes, and the real `pipenv verify`, `poetry check --lock` and `uv lock --check` on
// locks the real tools made, fresh and after an edit of the manifest.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { pipfileHash, pipfileLockCurrent, poetryContentHash, poetryLockCurrent, parseTomlFile } from "../../src/layer-build/lock-current.js";
import { pyFloat } from "../../src/layer-build/py-json.js";
import { uvLockCurrent } from "../../src/layer-build/uv-lock-current.js";
import { app, REPO, scratch, sh, VENV_BIN } from "./helpers.js";

const root = scratch("lock-current");
const PYTHON = join(VENV_BIN, "python");

function ctx(dir: string, lock: string) {
  return { lockfile: join(dir, lock), projectDir: dir, shown: lock };
}

/** pipenv 2026.10.3's calculate_hash and plette's get_hash of each Pipfile, from pipenv's own code. */
const PIPENV_HASHES = `
import sys, json
from pipenv.utils.pipfile import Pipfile
from pipenv.vendor import plette
class P(Pipfile):
    def __init__(self, loc): self._loc = loc
    location = property(lambda self: self._loc)
    exists = property(lambda self: True)
out = {}
for path in sys.argv[1:]:
    with open(path) as f: legacy = plette.Pipfile.load(f).get_hash().value
    out[path] = [P(path).calculate_hash(), legacy]
print(json.dumps(out))
`;

/** poetry 2.5.1's content hash of each pyproject.toml, with and without [dependency-groups]. */
const POETRY_HASHES = `
import sys, json, tomllib
from pathlib import Path
from poetry.packages.locker import Locker
out = {}
for path in sys.argv[1:]:
    with open(path, "rb") as f: data = tomllib.load(f)
    locker = Locker(Path(path).parent / "poetry.lock", data)
    out[path] = [locker._get_content_hash(), locker._get_content_hash(with_dependency_groups=False)]
print(json.dumps(out))
`;

function pythonHashes(script: string, files: string[]): Record<string, [string, string]> {
  return JSON.parse(sh(PYTHON, ["-c", script, ...files])) as Record<string, [string, string]>;
}

const PIPFILES: Record<string, string> = {
  "no source (plette adds PyPI's)": '[packages]\nrequests = "==2.20.0"\n',
  "no source, file starting with a blank line": '\n[packages]\nrequests = "*"\n',
  "two sources, index per package": `[[source]]
name = "pypi"
url = "https://pypi.org/simple"
verify_ssl = true

[[source]]
name = "internal"
url = "https://\${PIP_USER}:\${PIP_PASSWORD}@pypi.example.com/simple"
verify_ssl = false

[packages]
requests = {version = "==2.20.0", index = "internal"}
`,
  "extras, markers, non-canonical names": `[packages]
Flask = {version = ">=2", extras = ["Async", "dotenv"], markers = "python_version >= '3.9'"}
My_Pkg = {version = "*", sys_platform = "== 'linux'"}
"zope.interface" = "*"

[requires]
python_version = "3.12"
`,
  "dev packages, a custom category, scripts and [pipenv] (left out)": `[packages]
six = "*"

[dev-packages]
PyTest = {version = "*", extras = ["testing"]}

[docs]
Sphinx = "*"

[scripts]
test = "pytest -q"

[pipenv]
allow_prereleases = true
`,
  "path, editable and VCS dependencies": `[packages]
my-lib = {path = "./lib", editable = true}
wheel-pkg = {file = "https://example.com/wheel_pkg-1.0-py3-none-any.whl"}
vcs = {git = "https://github.com/psf/requests.git", ref = "v2.20.0", subdirectory = "src"}
`,
  "numbers and non-ASCII text where pipenv accepts them (a source)": `[[source]]
name = "pypi"
url = "https://pypi.org/simple"
verify_ssl = true
retries = 3
ratio = 3.0
big = 12345678901234567890
tiny = 1e-7
huge = 1e22
neg = -0.5
text = "é😀\\u0001\\u007f\\t\\"\\\\"

[packages]
requests = "*"
`,
};

const PYPROJECTS: Record<string, string> = {
  "poetry 1.x: [tool.poetry] dependencies, dev-dependencies, extras, source": `[tool.poetry]
name = "app"
version = "0.1.0"
description = ""
authors = ["A <a@example.com>"]

[tool.poetry.dependencies]
python = "^3.9"
requests = {version = "2.20.0", extras = ["socks"]}
PyYAML = {version = "*", markers = "sys_platform == 'linux'", optional = true}
mylib = {path = "../mylib", develop = true}

[tool.poetry.dev-dependencies]
pytest = "^7"

[tool.poetry.extras]
yaml = ["PyYAML"]

[[tool.poetry.source]]
name = "internal"
url = "https://pypi.example.com/simple/"
`,
  "poetry 1.2+: groups": `[tool.poetry]
name = "app"
version = "0.1.0"

[tool.poetry.dependencies]
python = ">=3.9,<4"
six = "1.16.0"

[tool.poetry.group.dev.dependencies]
pytest = "*"

[tool.poetry.group.docs]
optional = true
[tool.poetry.group.docs.dependencies]
sphinx = "*"
`,
  "poetry 2.x: [project] with optional dependencies and tool.poetry groups": `[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["requests[socks]==2.20.0", "six; python_version < '3.11'", "mylib @ file:///src/mylib"]

[project.optional-dependencies]
yaml = ["PyYAML>=6"]

[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
requests = {source = "internal"}

[tool.poetry.group.dev.dependencies]
pytest = "*"
`,
  "poetry 2.x: [project] and PEP 735 [dependency-groups]": `[project]
name = "app"
version = "0.1.0"
dependencies = ["requests==2.20.0"]

[dependency-groups]
dev = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]
`,
  "only [dependency-groups] (no [project] dependencies)": `[tool.poetry]
package-mode = false

[dependency-groups]
dev = ["pytest"]
`,
  empty: "",
};

describe("pipenv: Pipfile.lock _meta.hash.sha256", () => {
  it("is pipenv's own hash of the Pipfile, canonical names and plette's alike, for every shape", () => {
    const dir = app(root, "pipfiles", Object.fromEntries(Object.values(PIPFILES).map((text, i) => [`${i}.Pipfile`, text])));
    const files = Object.keys(PIPFILES).map((_, i) => join(dir, `${i}.Pipfile`));
    const theirs = pythonHashes(PIPENV_HASHES, files);
    Object.keys(PIPFILES).forEach((shape, i) => {
      const file = files[i]!;
      const text = readFileSync(file, "utf8");
      expect([pipfileHash(text, file), pipfileHash(text, file, false)], shape).toEqual(theirs[file]);
    });
  });

  it("agrees with the real `pipenv verify` on the example app's lock (made by `pipenv lock`), fresh and edited", async () => {
    const example = join(REPO, "examples/classic-app");
    const dir = app(root, "pipenv-example", {
      Pipfile: readFileSync(join(example, "Pipfile"), "utf8"),
      "Pipfile.lock": readFileSync(join(example, "Pipfile.lock"), "utf8"),
    });
    const verify = () => spawnVerify(dir);
    expect(verify()).toBe(0);
    await expect(pipfileLockCurrent(ctx(dir, "Pipfile.lock"))).resolves.toBe("current");
    // Comments and formatting are not content; a new dev package is.
    writeFileSync(join(dir, "Pipfile"), `# a comment\n${readFileSync(join(dir, "Pipfile"), "utf8").replace('extras = ["socks"]', 'extras=["socks"]')}`);
    expect(verify()).toBe(0);
    await expect(pipfileLockCurrent(ctx(dir, "Pipfile.lock"))).resolves.toBe("current");
    writeFileSync(join(dir, "Pipfile"), readFileSync(join(dir, "Pipfile"), "utf8").replace("[dev-packages]", '[dev-packages]\nsix = "*"'));
    expect(verify()).toBe(1);
    await expect(pipfileLockCurrent(ctx(dir, "Pipfile.lock"))).rejects.toThrow(
      "Pipfile.lock is out of date with its Pipfile (_meta.hash.sha256 is not the Pipfile's hash); run `pipenv lock` and commit it",
    );
  });

  it("names the file when the Pipfile is not TOML or the lock not JSON", async () => {
    const dir = app(root, "pipenv-bad", { Pipfile: "[packages\n", "Pipfile.lock": "{}" });
    await expect(pipfileLockCurrent(ctx(dir, "Pipfile.lock"))).rejects.toThrow(/^Pipfile is not valid TOML: /);
    writeFileSync(join(dir, "Pipfile"), PIPFILES["no source (plette adds PyPI's)"]!);
    writeFileSync(join(dir, "Pipfile.lock"), "{");
    await expect(pipfileLockCurrent(ctx(dir, "Pipfile.lock"))).rejects.toThrow(/^Pipfile\.lock is not valid JSON .*run `pipenv lock`/);
  });
});

function spawnVerify(dir: string): number {
  const env = { ...process.env, PIPENV_PIPFILE: join(dir, "Pipfile"), PIPENV_IGNORE_VIRTUALENVS: "1", PIPENV_VERBOSITY: "-1", NO_COLOR: "1" };
  try {
    sh("pipenv", ["verify"], dir, env);
    return 0;
  } catch {
    return 1;
  }
}

describe("poetry: poetry.lock [metadata] content-hash", () => {
  it("is poetry's own content hash of pyproject.toml for every shape, with and without [dependency-groups]", () => {
    const dir = app(root, "pyprojects", Object.fromEntries(Object.values(PYPROJECTS).map((text, i) => [`${i}/pyproject.toml`, text])));
    const files = Object.keys(PYPROJECTS).map((_, i) => join(dir, `${i}/pyproject.toml`));
    const theirs = pythonHashes(POETRY_HASHES, files);
    Object.keys(PYPROJECTS).forEach((shape, i) => {
      const file = files[i]!;
      const data = parseTomlFile(readFileSync(file, "utf8"), file);
      expect([poetryContentHash(data, file), poetryContentHash(data, file, false)], shape).toEqual(theirs[file]);
    });
  });

  it("agrees with the real `poetry check --lock` on a lock made by `poetry lock`, fresh and edited", async () => {
    const fixture = join(REPO, "test/pipeline/fixtures/poetry-app");
    const pyproject = readFileSync(join(fixture, "pyproject.toml"), "utf8");
    const dir = app(root, "poetry-fixture", { "pyproject.toml": pyproject, "poetry.lock": readFileSync(join(fixture, "poetry.lock"), "utf8") });
    const check = () => {
      try {
        sh("poetry", ["--no-ansi", "--no-interaction", "--directory", dir, "check", "--lock"], dir);
        return 0;
      } catch {
        return 1;
      }
    };
    expect(check()).toBe(0);
    await expect(poetryLockCurrent(ctx(dir, "poetry.lock"))).resolves.toBe("current");
    // The description is not part of the hash; a dependency is.
    writeFileSync(join(dir, "pyproject.toml"), pyproject.replace(/^description = .*$/m, 'description = "edited"'));
    expect(check()).toBe(0);
    await expect(poetryLockCurrent(ctx(dir, "poetry.lock"))).resolves.toBe("current");
    writeFileSync(join(dir, "pyproject.toml"), pyproject.replace(/^dependencies = \[/m, 'dependencies = [\n  "idna==3.10",'));
    expect(check()).toBe(1);
    await expect(poetryLockCurrent(ctx(dir, "poetry.lock"))).rejects.toThrow(
      "poetry.lock is out of date with its pyproject.toml (content-hash is not pyproject.toml's); run `poetry lock` and commit it",
    );
  });

  it("takes the hash without [dependency-groups] from locks of poetry before 2.3 only, as poetry does", async () => {
    const pyproject = PYPROJECTS["poetry 2.x: [project] and PEP 735 [dependency-groups]"]!;
    const data = parseTomlFile(pyproject, "pyproject.toml");
    const old = poetryContentHash(data, "pyproject.toml", false);
    const lock = (version: string) =>
      `# This file is automatically @generated by Poetry ${version} and should not be changed by hand.\n\n[metadata]\nlock-version = "2.1"\npython-versions = "*"\ncontent-hash = "${old}"\n`;
    const dir = app(root, "poetry-old", { "pyproject.toml": pyproject, "poetry.lock": lock("2.2.1") });
    await expect(poetryLockCurrent(ctx(dir, "poetry.lock"))).resolves.toBe("current");
    writeFileSync(join(dir, "poetry.lock"), lock("2.3.0"));
    await expect(poetryLockCurrent(ctx(dir, "poetry.lock"))).rejects.toThrow(/out of date/);
  });
});

describe("uv: uv.lock against pyproject.toml", () => {
  const env = { ...process.env, UV_CACHE_DIR: join(root, "uv-cache"), UV_PYTHON_DOWNLOADS: "never", NO_COLOR: "1" };
  const BASE = `[project]
name = "App_X"
version = "0.1"
requires-python = ">=3.9 ,<4"
dependencies = ["Requests[socks,Security] <3 , >=2.20.0", "idna ~= 3.0", "urllib3 (>=1.0)", "PySocks!=1.0"]

[project.optional-dependencies]
Extra_1 = ["PySocks"]

[dependency-groups]
Dev = ["iniconfig"]

[tool.uv]
dev-dependencies = ["packaging>=20"]
`;
  let dir: string;
  const uvCheck = () => {
    try {
      sh("uv", ["lock", "--check", "--offline"], dir, env);
      return "current";
    } catch {
      return "stale";
    }
  };
  const ours = () => uvLockCurrent(ctx(dir, "uv.lock"));
  const edit = (from: string | RegExp, to: string) => writeFileSync(join(dir, "pyproject.toml"), BASE.replace(from, to));

  beforeAll(() => {
    dir = app(root, "uv-app", { "pyproject.toml": BASE });
    sh("uv", ["lock", "--quiet"], dir, env);
  });

  it("says current for a fresh `uv lock`, and for edits uv also accepts (order, spacing, equal versions)", async () => {
    expect(uvCheck()).toBe("current");
    await expect(ours()).resolves.toBe("current");
    for (const [from, to] of [
      ["<3 , >=2.20.0", ">=2.20,<3"],
      ["socks,Security", "security, socks"],
      ['version = "0.1"', 'version = "0.1.0"'],
      [">=3.9 ,<4", "<4,>=3.9"],
      ["[tool.uv]", "[tool.ruff]\nline-length = 100\n\n[tool.uv]"],
    ] as const) {
      edit(from, to);
      expect(uvCheck(), `${from} -> ${to}`).toBe("current");
      await expect(ours(), `${from} -> ${to}`).resolves.toBe("current");
    }
  });

  it("never says current when uv says the lock needs updating", async () => {
    for (const [from, to] of [
      ['"idna ~= 3.0", ', ""],
      ["idna ~= 3.0", "idna"],
      ['version = "0.1"', 'version = "0.2"'],
      [">=3.9 ,<4", ">=3.9"],
      ["Extra_1", "Extra_2"],
      ['Dev = ["iniconfig"]', 'Dev = ["iniconfig>=2"]'],
      ['dev-dependencies = ["packaging>=20"]', "dev-dependencies = []"],
      ["[tool.uv]", '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[tool.uv]'],
      ['name = "App_X"', 'name = "app-y"'],
    ] as const) {
      edit(from, to);
      expect(uvCheck(), `${from} -> ${to}`).toBe("stale");
      await expect(ours(), `${from} -> ${to}`).resolves.toBe("undecided");
    }
  });

  it("leaves to uv what it cannot decide: markers, sources, a uv.toml", async () => {
    edit('"PySocks!=1.0"', "\"PySocks!=1.0; python_version < '3.11'\"");
    await expect(ours()).resolves.toBe("undecided");
    edit("[tool.uv]", '[tool.uv.sources]\nidna = { path = "../idna" }\n\n[tool.uv]');
    await expect(ours()).resolves.toBe("undecided");
    edit("", "");
    await expect(ours()).resolves.toBe("current");
    writeFileSync(join(dir, "uv.toml"), "");
    await expect(ours()).resolves.toBe("undecided");
  });

  it("decides the project's own uv fixture (made by `uv lock`)", async () => {
    const fixture = join(REPO, "test/pipeline/fixtures/uv-app");
    await expect(uvLockCurrent(ctx(fixture, "uv.lock"))).resolves.toBe("current");
  });
});

describe("Python's float repr", () => {
  it("matches Python for the forms JSON can take", () => {
    const values = [3, 3.1, 0.1, 1e-4, 1e-5, 1.5e-7, 1e15, 1e16, 1.25e22, 123456789.125, -0.5, 2 ** 60];
    const python = sh(PYTHON, ["-c", "import sys; print(' '.join(repr(float(x)) for x in sys.argv[1:]))", ...values.map(String)]).trim();
    expect(values.map(pyFloat).join(" ")).toBe(python);
  });
});
