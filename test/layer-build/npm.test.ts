// `sam-layer build` for a Node.js runtime: the real npm ci with a lock made in set-up.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Built } from "../../src/layer-build/index.js";
import { app, build, built, cli, scratch, sh, zipNames } from "./helpers.js";

const PACKAGE = {
  name: "layer-app",
  version: "1.0.0",
  private: true,
  dependencies: { ms: "2.1.3", semver: "7.6.3" },
  devDependencies: { "is-number": "7.0.0" },
};

const root = scratch("npm");
let dir: string;
let first: Built;

function npmApp(name: string, pkg: object, lock?: string): string {
  const d = app(root, name, { "package.json": `${JSON.stringify(pkg, null, 2)}\n` });
  if (lock === undefined) sh("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund"], d);
  else app(root, name, { "package-lock.json": lock });
  return d;
}

beforeAll(async () => {
  dir = npmApp("app", PACKAGE);
  first = built((await build({ appDir: dir })).result);
});

describe("build with npm (package-lock.json)", () => {
  it("detects npm, defaults to a Node.js runtime and installs only the production packages into nodejs/node_modules", () => {
    expect(first).toMatchObject({ pkgManager: "npm", lockfile: "package-lock.json", runtime: "nodejs22.x" });
    const names = zipNames(join(dir, "layer.zip"));
    expect(names).toContain("nodejs/node_modules/ms/index.js");
    expect(names).toContain("nodejs/node_modules/semver/package.json");
    expect(names.some((n) => n.includes("is-number"))).toBe(false);
    // nothing of npm's own bookkeeping: no copies of the manifest, no .bin links, no hidden lockfile
    expect(names.filter((n) => !n.startsWith("nodejs/node_modules/ms/") && !n.startsWith("nodejs/node_modules/semver/"))).toEqual([
      "nodejs/",
      "nodejs/node_modules/",
    ]);
  });

  it("gives the same zip for the same lock, even when the app's own version moved", async () => {
    const lock = readFileSync(join(dir, "package-lock.json"), "utf8").replaceAll('"version": "1.0.0"', '"version": "1.0.1"');
    const bumped = npmApp("bumped", { ...PACKAGE, version: "1.0.1" }, lock);
    const again = built((await build({ appDir: bumped, runtime: "nodejs22.x" })).result);
    expect(again.md5).toBe(first.md5);
    expect(again.key).not.toBe(first.key);
  });

  it("refuses a package-lock.json that is out of date with package.json, in one line", () => {
    const stale = npmApp(
      "stale",
      { ...PACKAGE, dependencies: { ...PACKAGE.dependencies, once: "1.4.0" } },
      readFileSync(join(dir, "package-lock.json"), "utf8"),
    );
    const r = cli(["build", "--runtime", "nodejs20.x"], stale);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("sam-layer: package-lock.json is out of date with its package.json (npm ci); run `npm install` and commit it\n");
    expect(existsSync(join(stale, "layer"))).toBe(false);
  });

  it("says when the only lockfile is for the other language than --runtime", () => {
    const r = cli(["build", "--runtime", "python3.12"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sam-layer: no Python lockfile in \. \(looked for uv\.lock, .*\); package-lock\.json is there, but --runtime is for Python\n$/);
  });
});
