// Every package manager builds for both Lambda architectures from the same lock: compiled wheels
// for the target's CPU whatever machine runs the build, and for Python, one layer per
// architecture whichever manager locked the same packages.
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Built } from "../../src/layer-build/index.js";
import { build, built, elfMachine, EM_AARCH64, EM_X86_64, REPO, scratch, zipNames } from "./helpers.js";

const ARCHES = ["x86_64", "arm64"] as const;
type Arch = (typeof ARCHES)[number];

const PYTHON_APPS = {
  pip: "test/pipeline/fixtures/pip-app",
  poetry: "test/pipeline/fixtures/poetry-app",
  uv: "test/pipeline/fixtures/uv-app",
  pipenv: "test/e2e/fixtures/with-markupsafe",
} as const;
type PythonManagerName = keyof typeof PYTHON_APPS;

const root = scratch("arches");
const env = { POETRY_CACHE_DIR: join(root, "poetry-cache") };
const layers = new Map<string, { result: Built; dir: string }>();

async function buildCopy(name: string, from: string, runtime: string, architecture: Arch): Promise<void> {
  const dir = join(root, `${name}-${architecture}`);
  cpSync(join(REPO, from), dir, { recursive: true });
  const result = built((await build({ appDir: dir, runtime, architecture })).result);
  layers.set(`${name}-${architecture}`, { result, dir });
}

beforeAll(async () => {
  Object.assign(process.env, env);
  for (const [name, from] of Object.entries(PYTHON_APPS)) {
    for (const arch of ARCHES) await buildCopy(name, from, "python3.12", arch);
  }
  for (const arch of ARCHES) await buildCopy("npm", "test/pipeline/fixtures/npm-app", "nodejs22.x", arch);
});

/** The WHEEL tag and the .so machine of MarkupSafe in a built layer folder. */
function markupsafe(dir: string): { tag: string; machine: number } {
  const zip = join(dir, "layer.zip");
  const names = zipNames(zip);
  const wheel = names.find((n) => /^python\/markupsafe-[^/]+\.dist-info\/WHEEL$/i.test(n));
  const so = names.find((n) => /^python\/markupsafe\/_speedups\..*\.so$/.test(n));
  expect(wheel, "MarkupSafe's WHEEL file").toBeDefined();
  expect(so, "MarkupSafe's compiled module").toBeDefined();
  const tag = /^Tag: (.+)$/m.exec(readFileSync(join(dir, "layer", wheel!), "utf8"))?.[1] ?? "";
  return { tag, machine: elfMachine(join(dir, "layer", so!)) };
}

describe("both architectures, every package manager", () => {
  it.each(Object.keys(PYTHON_APPS) as PythonManagerName[])("%s: x86_64 and arm64 wheels, two different layers", (name) => {
    const x86 = layers.get(`${name}-x86_64`)!;
    const arm = layers.get(`${name}-arm64`)!;
    expect(x86.result.pkgManager).toBe(name);
    expect(markupsafe(x86.dir)).toEqual({ tag: expect.stringMatching(/^cp312-cp312-manylinux\S*_x86_64$/), machine: EM_X86_64 });
    expect(markupsafe(arm.dir)).toEqual({ tag: expect.stringMatching(/^cp312-cp312-manylinux\S*_aarch64$/), machine: EM_AARCH64 });
    expect(arm.result.md5).not.toBe(x86.result.md5);
    expect(arm.result.key).not.toBe(x86.result.key);
  });

  it("pip, poetry and uv lock the same packages: the same layer, byte for byte, on each architecture", () => {
    for (const arch of ARCHES) {
      const md5s = (["pip", "poetry", "uv"] as const).map((m) => layers.get(`${m}-${arch}`)!.result.md5);
      expect(new Set(md5s).size, arch).toBe(1);
    }
  });

  it("npm: a pure-JavaScript layer is the same bytes for both architectures, under two cache keys", () => {
    const x86 = layers.get("npm-x86_64")!.result;
    const arm = layers.get("npm-arm64")!.result;
    expect(zipNames(join(layers.get("npm-arm64")!.dir, "layer.zip"))).toContain("nodejs/node_modules/ms/index.js");
    expect(arm.md5).toBe(x86.md5);
    expect(arm.key).not.toBe(x86.key);
  });
});
