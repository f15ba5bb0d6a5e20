// `sam-layer build` with a plain requirements.txt: real pip installs from the index for the Lambda
// target, real zips read back with zipinfo/unzip.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { RESTORED_MESSAGE, type Built } from "../../src/layer-build/index.js";
import { app, build, built, elfMachine, EM_AARCH64, EM_X86_64, scratch, sh, zipNames } from "./helpers.js";

const REQUIREMENTS = [
  "six==1.16.0",
  // compiled: a manylinux wheel per architecture (and a pure fallback pip must not pick)
  "charset-normalizer==3.3.2",
  // pip alone would evaluate this against the build machine's Python
  'idna==3.6 ; python_version < "3.10"',
  "",
].join("\n");

const root = scratch("pip");
let x86: Built;
let x86Again: Built;
let arm: Built;
let x86Dir: string;
let armDir: string;

function soFile(layerDir: string): string {
  const dir = join(layerDir, "python/charset_normalizer");
  const so = readdirSync(dir).find((n) => n.endsWith(".so"));
  if (!so) throw new Error(`no .so in ${dir}`);
  return join(dir, so);
}

beforeAll(async () => {
  x86Dir = app(root, "x86", { "requirements.txt": REQUIREMENTS });
  const againDir = app(root, "x86-again", { "requirements.txt": REQUIREMENTS });
  armDir = app(root, "arm", { "requirements.txt": REQUIREMENTS });
  x86 = built((await build({ appDir: x86Dir, runtime: "python3.12" })).result);
  x86Again = built((await build({ appDir: againDir, runtime: "python3.12" })).result);
  arm = built((await build({ appDir: armDir, runtime: "python3.12", architecture: "arm64" })).result);
});

describe("build with pip (requirements.txt)", () => {
  it("installs wheels for the Lambda runtime into python/, without bin/, bytecode or script hashes", () => {
    expect(x86.status).toBe("created");
    expect(x86.pkgManager).toBe("pip");
    const names = zipNames(join(x86Dir, "layer.zip"));
    expect(names).toContain("python/six.py");
    expect(names.some((n) => n.startsWith("python/charset_normalizer/") && n.endsWith(".so"))).toBe(true);
    expect(names.filter((n) => n.startsWith("python/bin/") || n.includes("__pycache__") || n.endsWith(".pyc"))).toEqual([]);
    // the marker excludes python3.12 even though pip runs on another Python here
    expect(names.some((n) => n.startsWith("python/idna"))).toBe(false);
    const record = readFileSync(join(x86Dir, "layer/python/charset_normalizer-3.3.2.dist-info/RECORD"), "utf8");
    expect(record).not.toMatch(/bin\/normalizer/);
    expect(elfMachine(soFile(join(x86Dir, "layer")))).toBe(EM_X86_64);
    const wheel = readFileSync(join(x86Dir, "layer/python/charset_normalizer-3.3.2.dist-info/WHEEL"), "utf8");
    expect(wheel).toMatch(/Tag: cp312-cp312-manylinux\S*_x86_64/);
    sh("unzip", ["-tq", join(x86Dir, "layer.zip")]);
  });

  it("gives the same zip bytes from two fresh installs in different folders", () => {
    expect(x86Again.md5).toBe(x86.md5);
    expect(readFileSync(join(root, "x86-again/layer.zip")).equals(readFileSync(join(x86Dir, "layer.zip")))).toBe(true);
  });

  it("installs aarch64 wheels for arm64, giving a different layer", () => {
    expect(elfMachine(soFile(join(armDir, "layer")))).toBe(EM_AARCH64);
    const wheel = readFileSync(join(armDir, "layer/python/charset_normalizer-3.3.2.dist-info/WHEEL"), "utf8");
    expect(wheel).toMatch(/Tag: cp312-cp312-manylinux\S*_aarch64/);
    expect(arm.md5).not.toBe(x86.md5);
    expect(arm.key).not.toBe(x86.key);
  });

  it("evaluates environment markers for the runtime's Python, not the build machine's", async () => {
    const dir = app(root, "py39", { "requirements.txt": REQUIREMENTS });
    const { result, log } = await build({ appDir: dir, runtime: "python3.9" });
    expect(built(result).status).toBe("created");
    expect(zipNames(join(dir, "layer.zip"))).toContain("python/idna/__init__.py");
    expect(log.join("\n")).not.toMatch(/skipped .* idna/);
    const wheel = readFileSync(join(dir, "layer/python/charset_normalizer-3.3.2.dist-info/WHEEL"), "utf8");
    expect(wheel).toMatch(/Tag: cp39-cp39-manylinux/);
  });

  it("skips the install when the layer and zip were restored for the same key, and only then", async () => {
    const dir = join(root, "restored");
    cpSync(x86Dir, dir, { recursive: true });
    // cpSync gives every file a fresh mtime, as a CI cache restore does
    const { result, log } = await build({ appDir: dir, runtime: "python3.12" });
    const r = built(result);
    expect(log).toContain(RESTORED_MESSAGE);
    expect(r.skippedInstall).toBe(true);
    expect(r.status).toBe("unchanged");
    expect(r.md5).toBe(x86.md5);
    expect(readFileSync(join(dir, "layer.zip.key"), "utf8").trim()).toBe(r.key);

    // another key (here: the architecture) must not reuse the x86_64 folder
    const other = await build({ appDir: dir, runtime: "python3.12", architecture: "arm64" });
    expect(built(other.result).skippedInstall).toBe(false);
    expect(other.log).not.toContain(RESTORED_MESSAGE);
    expect(built(other.result).md5).toBe(arm.md5);

    // a zip without its key file is not trusted either
    rmSync(join(dir, "layer.zip.key"));
    const again = await build({ appDir: dir, runtime: "python3.12", architecture: "arm64" });
    expect(built(again.result).skippedInstall).toBe(false);
    expect(built(again.result).status).toBe("unchanged");
  });

  it("drops a removed package's files, and keeps the previous layer and zip when an install fails", async () => {
    const dir = app(root, "changes", { "requirements.txt": REQUIREMENTS });
    await build({ appDir: dir, runtime: "python3.12" });
    writeFileSync(join(dir, "requirements.txt"), "six==1.16.0\n");
    const smaller = built((await build({ appDir: dir, runtime: "python3.12" })).result);
    expect(smaller.status).toBe("updated");
    expect(existsSync(join(dir, "layer/python/charset_normalizer"))).toBe(false);
    expect(zipNames(join(dir, "layer.zip")).some((n) => n.includes("charset_normalizer"))).toBe(false);

    const zipBefore = readFileSync(join(dir, "layer.zip"));
    const layerBefore = readdirSync(join(dir, "layer/python")).sort();
    // no such version: the install fails
    writeFileSync(join(dir, "requirements.txt"), "six==1.16.0\nsix-does-not-exist-here==0.0.1\n");
    await expect(build({ appDir: dir, runtime: "python3.12" })).rejects.toThrow(
      /^cannot install from requirements\.txt for python3\.12 x86_64 \(cp312, manylinux glibc 2\.34\): Because six-does-not-exist-here was not found in the package registry/,
    );
    expect(readFileSync(join(dir, "layer.zip")).equals(zipBefore)).toBe(true);
    expect(readdirSync(join(dir, "layer/python")).sort()).toEqual(layerBefore);
    expect(readdirSync(dir).filter((n) => n.startsWith(".layer."))).toEqual([]);
    // nothing changed, so the recorded key still describes the folder and zip
    expect(readFileSync(join(dir, "layer.zip.key"), "utf8").trim()).toBe(smaller.key);
  });

  it("warns when requirements.txt does not pin every installed package", async () => {
    const dir = app(root, "loose", { "requirements.txt": "requests==2.20.0\nsix>=1.0\n" });
    const r = built((await build({ appDir: dir, runtime: "python3.12" })).result);
    const text = r.warnings.join("\n");
    expect(text).toMatch(/does not pin six>=1\.0/);
    for (const dep of ["certifi", "chardet", "idna", "urllib3"]) expect(text).toContain(dep);
    // the dependencies were installed all the same
    expect(zipNames(join(dir, "layer.zip"))).toContain("python/urllib3/__init__.py");
  });

  it("fails past the unzipped budget before touching the zip, and warns near it, naming the largest packages", async () => {
    const dir = join(root, "limits");
    cpSync(x86Dir, dir, { recursive: true });
    const zipBefore = readFileSync(join(dir, "layer.zip"));
    const mb = x86.unzippedBytes / (1024 * 1024);
    await expect(build({ appDir: dir, runtime: "python3.12", maxUnzippedMb: mb * 0.9 })).rejects.toThrow(
      /^layer is 0\.5 MiB unzipped, over the unzipped budget of .* MiB \(--max-unzipped-mb\); largest: charset-normalizer 0\.\d MiB, six/,
    );
    expect(readFileSync(join(dir, "layer.zip")).equals(zipBefore)).toBe(true);
    const near = built((await build({ appDir: dir, runtime: "python3.12", maxUnzippedMb: mb * 1.1 })).result);
    expect(near.warnings.join("\n")).toMatch(/^layer is 0\.5 MiB unzipped, 91% of the unzipped budget .*largest: charset-normalizer/);
    const roomy = built((await build({ appDir: dir, runtime: "python3.12" })).result);
    expect(roomy.warnings).toEqual([]);
  });
});
