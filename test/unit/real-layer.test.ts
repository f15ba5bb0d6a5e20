// A real layer: packages installed by the real pip from the package index, twice, into two fresh
// folders. Their zips must be byte-identical, and valid for unzip and for Python's zipfile.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hashLayer } from "../../src/hash.js";
import { zipLayer } from "../../src/zip/layer-zip.js";
import { bytesOf, runCli, tempDir, unzipTest } from "./support.js";

const PACKAGES = ["requests==2.32.3", "six==1.16.0"];

function pipInstall(target: string, extra: string[] = []): void {
  execFileSync(
    "python3",
    ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-warn-script-location", "-t", target, ...extra, ...PACKAGES],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, PIP_ROOT_USER_ACTION: "ignore" },
    },
  );
}

describe("a real pip-installed layer", () => {
  const work = tempDir();
  const one = join(work, "one");
  const two = join(work, "two");
  const compiled = join(work, "compiled");

  beforeAll(() => {
    pipInstall(join(one, "python"), ["--no-compile"]);
    pipInstall(join(two, "python"), ["--no-compile"]);
    pipInstall(join(compiled, "python")); // pip's default: writes __pycache__/*.pyc
  });

  it("zips two fresh `pip install --no-compile -t` trees to the same bytes", async () => {
    const a = await zipLayer({ dir: one, output: join(work, "one.zip") });
    const b = await zipLayer({ dir: two, output: join(work, "two.zip") });
    expect(a.entries).toBeGreaterThan(100);
    expect(bytesOf(join(work, "two.zip")).equals(bytesOf(join(work, "one.zip")))).toBe(true);
    expect(b.md5).toBe(a.md5);
    expect(unzipTest(join(work, "one.zip"))).toContain("No errors detected");
    const py = spawnSync(
      "python3",
      ["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist()))", join(work, "one.zip")],
      { encoding: "utf8" },
    );
    expect(py.stderr).toBe("");
    expect(Number(py.stdout)).toBe(a.entries);
    // The digest in the zip is the folder's digest.
    expect((await hashLayer(one)).digest).toBe(a.digest);
  });

  it("leaves pip's .pyc files out by default (their bytes differ on every install)", async () => {
    const r = await zipLayer({ dir: compiled, output: join(work, "compiled.zip") });
    const names = execFileSync("zipinfo", ["-1", join(work, "compiled.zip")], { encoding: "utf8" });
    expect(names).not.toMatch(/__pycache__|\.pyc/);
    const all = await zipLayer({ dir: compiled, output: join(work, "with-pyc.zip"), includePycache: true });
    expect(all.entries).toBeGreaterThan(r.entries);
  });

  it("second CLI run on the real tree is nothing to do", () => {
    const out = join(work, "cli.zip");
    expect(runCli(["zip", one, "-o", out]).stdout).toContain(": created");
    expect(runCli(["zip", one, "-o", out]).stdout).toContain(": unchanged (nothing to do)");
  });
});
