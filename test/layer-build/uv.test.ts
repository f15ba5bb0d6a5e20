// `sam-layer build` from a uv.lock made by the real uv in set-up.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Built } from "../../src/layer-build/index.js";
import { app, build, built, cli, scratch, sh, zipNames } from "./helpers.js";

const PYPROJECT = `[project]
name = "layer-app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["requests==2.20.0"]

[dependency-groups]
dev = ["six==1.16.0"]
`;

const root = scratch("uv");
const env = { ...process.env, UV_CACHE_DIR: join(root, "cache") };
let dir: string;
let first: Built;

beforeAll(async () => {
  dir = app(root, "app", { "pyproject.toml": PYPROJECT });
  sh("uv", ["lock"], dir, env);
  first = built((await build({ appDir: dir, runtime: "python3.13", architecture: "arm64" })).result);
});

describe("build with uv (uv.lock)", () => {
  it("detects uv and installs the locked packages without the project itself or the dev group", () => {
    expect(first.pkgManager).toBe("uv");
    expect(first.lockfile).toBe("uv.lock");
    const names = zipNames(join(dir, "layer.zip"));
    for (const pkg of ["requests", "urllib3", "idna", "chardet", "certifi"]) expect(names).toContain(`python/${pkg}/__init__.py`);
    expect(names.some((n) => n.startsWith("python/six") || n.startsWith("python/layer_app"))).toBe(false);
  });

  it("refuses a uv.lock that is out of date with pyproject.toml, in one line", () => {
    const stale = app(root, "stale", {
      "pyproject.toml": PYPROJECT.replace("requests==2.20.0", "requests==2.21.0"),
      "uv.lock": readFileSync(join(dir, "uv.lock"), "utf8"),
    });
    const r = cli(["build", "--runtime", "python3.13"], stale, env);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("sam-layer: uv.lock is out of date with its pyproject.toml (uv lock --check); run `uv lock` and commit it\n");
  });

  it("writes the cache key without building, and the key follows the lockfile", () => {
    const keyFile = join(root, "key.txt");
    const r = cli(["build", "--runtime", "python3.13", "--architecture", "arm64", "--write-key", keyFile, "--json"], dir, env);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { status: string; key: string; pkgManager: string };
    expect(out).toMatchObject({ status: "key-written", pkgManager: "uv" });
    expect(readFileSync(keyFile, "utf8")).toBe(`${out.key}\n`);
    // the bundled CLI stamps its own version into the key, so compare with the key the CLI recorded
    const relocked = app(root, "relocked", { "pyproject.toml": PYPROJECT, "uv.lock": `${readFileSync(join(dir, "uv.lock"), "utf8")}\n` });
    const other = JSON.parse(cli(["build", "--runtime", "python3.13", "--architecture", "arm64", "--write-key", keyFile, "--json"], relocked, env).stdout) as {
      key: string;
    };
    expect(other.key).not.toBe(out.key);
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
  });
});
