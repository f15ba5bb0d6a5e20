// `sam-layer build` from a Pipfile.lock made by the real pipenv in set-up.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Built } from "../../src/layer-build/index.js";
import { app, build, built, cli, scratch, sh, zipNames } from "./helpers.js";

const PIPFILE = `[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
requests = "==2.20.0"

[dev-packages]
six = "==1.16.0"
`;

const root = scratch("pipenv");
let dir: string;
let first: Built;

beforeAll(async () => {
  dir = app(root, "app", { Pipfile: PIPFILE });
  // pipenv lock makes a virtualenv: keep it in the scratch folder
  sh("pipenv", ["lock"], dir, { ...process.env, WORKON_HOME: join(root, "venvs"), PIPENV_VERBOSITY: "-1", PIPENV_IGNORE_VIRTUALENVS: "1" });
  first = built((await build({ appDir: dir, runtime: "python3.12" })).result);
});

describe("build with pipenv (Pipfile.lock)", () => {
  it("detects pipenv and installs the locked default packages, not the dev ones", () => {
    expect(first.pkgManager).toBe("pipenv");
    expect(first.lockfile).toBe("Pipfile.lock");
    const names = zipNames(join(dir, "layer.zip"));
    for (const pkg of ["requests", "urllib3", "idna", "chardet", "certifi"]) expect(names).toContain(`python/${pkg}/__init__.py`);
    expect(names).toContain("python/requests-2.20.0.dist-info/METADATA");
    expect(names.some((n) => n.startsWith("python/six"))).toBe(false);
  });

  it("installs with the lockfile's hashes: a wrong hash fails the build and keeps the zip", async () => {
    const copy = app(root, "tampered", { Pipfile: PIPFILE, "Pipfile.lock": readFileSync(join(dir, "Pipfile.lock"), "utf8") });
    await build({ appDir: copy, runtime: "python3.12" });
    const zipBefore = readFileSync(join(copy, "layer.zip"));
    const lock = JSON.parse(readFileSync(join(copy, "Pipfile.lock"), "utf8")) as { default: Record<string, { hashes: string[] }> };
    lock.default.idna!.hashes = lock.default.idna!.hashes.map(() => `sha256:${"0".repeat(64)}`);
    writeFileSync(join(copy, "Pipfile.lock"), JSON.stringify(lock, null, 4));
    await expect(build({ appDir: copy, runtime: "python3.12" })).rejects.toThrow(/does not match the hashes in Pipfile\.lock/);
    expect(readFileSync(join(copy, "layer.zip")).equals(zipBefore)).toBe(true);
  });

  it("refuses a Pipfile.lock that is out of date with its Pipfile, in one line", () => {
    const stale = app(root, "stale", {
      Pipfile: PIPFILE.replace('requests = "==2.20.0"', 'requests = "==2.21.0"'),
      "Pipfile.lock": readFileSync(join(dir, "Pipfile.lock"), "utf8"),
    });
    const r = cli(["build", "--runtime", "python3.12"], stale);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "sam-layer: Pipfile.lock is out of date with its Pipfile (_meta.hash.sha256 is not the Pipfile's hash); run `pipenv lock` and commit it\n",
    );
  });

  it("checks the lock against the Pipfile on a cache hit too", async () => {
    const restored = join(root, "restored");
    cpSync(dir, restored, { recursive: true });
    const again = built((await build({ appDir: restored, runtime: "python3.12" })).result);
    expect(again).toMatchObject({ skippedInstall: true, status: "unchanged", md5: first.md5 });
    // the key covers Pipfile.lock only, so this edit keeps the key: the check must still run
    writeFileSync(join(restored, "Pipfile"), PIPFILE.replace('six = "==1.16.0"', 'six = "==1.17.0"'));
    await expect(build({ appDir: restored, runtime: "python3.12" })).rejects.toThrow(/^Pipfile\.lock is out of date with its Pipfile/);
  });

  // PATH holds only a folder of our own: CI images may have pipenv elsewhere on PATH (cimg/python does).
  const withPath = (path: string) => cli(["build", "--runtime", "python3.12"], dir, { ...process.env, PATH: path });

  it("names pipenv and how to install it when it is not on PATH", () => {
    const r = withPath(mkdtempSync(join(root, "empty-path-")));
    expect(r.stderr).toMatch(/^sam-layer: pipenv not found on PATH; install it with `pip install pipenv`.*\n$/);
    expect(r.status).toBe(1);
  });

  it("says so, with the install hint, when the pipenv on PATH cannot be run", () => {
    // no execute bit for anyone: refused to root as well as to other users
    const bin = mkdtempSync(join(root, "bad-path-"));
    writeFileSync(join(bin, "pipenv"), "#!/bin/sh\nexit 0\n", { mode: 0o644 });
    const r = withPath(bin);
    expect(r.stderr).toBe(
      `sam-layer: pipenv on PATH cannot be run by this user: ${join(bin, "pipenv")} (permission denied); install it with \`pip install pipenv\` (or \`pipx install pipenv\`)\n`,
    );
    expect(r.status).toBe(1);
  });
});
