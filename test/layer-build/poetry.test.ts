// `sam-layer build` from a poetry.lock made by the real poetry (with poetry-plugin-export) in set-up.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Built } from "../../src/layer-build/index.js";
import { app, build, built, cli, scratch, sh, zipNames } from "./helpers.js";

// The explicit simple-API source: this sandbox's PyPI mirror answers the simple API but not the
// per-version JSON API that poetry's default PyPI source reads.
const PYPROJECT = `[project]
name = "layer-app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["requests==2.20.0"]

[tool.poetry]
package-mode = false

[tool.poetry.group.dev.dependencies]
six = "==1.16.0"

[[tool.poetry.source]]
name = "pypi-simple"
url = "https://pypi.org/simple/"
priority = "primary"
`;

const root = scratch("poetry");
const env = { ...process.env, POETRY_CACHE_DIR: join(root, "cache") };
let dir: string;
let first: Built;

beforeAll(async () => {
  dir = app(root, "app", { "pyproject.toml": PYPROJECT });
  sh("poetry", ["lock", "--no-interaction"], dir, env);
  first = built((await build({ appDir: dir, runtime: "python3.12" })).result);
});

describe("build with poetry (poetry.lock)", () => {
  it("detects poetry and installs the main group with hashes, not the dev group", () => {
    expect(first.pkgManager).toBe("poetry");
    expect(first.lockfile).toBe("poetry.lock");
    const names = zipNames(join(dir, "layer.zip"));
    for (const pkg of ["requests", "urllib3", "idna", "chardet", "certifi"]) expect(names).toContain(`python/${pkg}/__init__.py`);
    expect(names.some((n) => n.startsWith("python/six"))).toBe(false);
    // what build installs from: poetry's export keeps the lockfile's hashes
    expect(sh("poetry", ["export", "--format", "requirements.txt"], dir, env)).toMatch(/requests==2\.20\.0 .*\\\n\s+--hash=sha256:/);
  });

  it("gives the same zip from a second fresh build of the same lock", async () => {
    const copy = app(root, "copy", { "pyproject.toml": PYPROJECT, "poetry.lock": readFileSync(join(dir, "poetry.lock"), "utf8") });
    const again = built((await build({ appDir: copy, runtime: "python3.12" })).result);
    expect(again.md5).toBe(first.md5);
  });

  it("refuses a poetry.lock that is out of date with pyproject.toml, in one line", () => {
    const stale = app(root, "stale", {
      "pyproject.toml": PYPROJECT.replace("requests==2.20.0", "requests==2.21.0"),
      "poetry.lock": readFileSync(join(dir, "poetry.lock"), "utf8"),
    });
    const r = cli(["build", "--runtime", "python3.12"], stale, env);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "sam-layer: poetry.lock is out of date with its pyproject.toml (content-hash is not pyproject.toml's); run `poetry lock` and commit it\n",
    );
  });
});
