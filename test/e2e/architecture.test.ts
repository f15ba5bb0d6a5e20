// Step 7 of the layer scenarios: the same lock built for arm64 installs aarch64 wheels (checked in
// the wheel's own WHEEL tags and the ELF header of its compiled module) and gives a different
// layer from x86_64. The build runs through the orb's build script, as the build-layer job does.
// No function is deployed here, so the runner has nothing to run; the build's import check is what
// runs the layer: it imports on x86_64, and the arm64 layer's aarch64 extension is said to be
// beyond this machine rather than passed silently.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExampleApp, scratchDir, useLockFixture } from "../support/app-copy.js";
import { buildLayer } from "../support/orb-scripts.js";
import { VENV_BIN } from "../support/run.js";
import { elfMachine, md5Hex, zipEntries, zipMember } from "../support/zip-facts.js";

// pipenv (which exports the lock) comes from the test tools' virtualenv.
const env = { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH ?? ""}` };

interface ArchLayer {
  zip: string;
  entries: string[];
  wheelTags: string[];
  extension: string;
  buildOutput: string;
}

describe("7. one lock, two architectures: arm64 gets aarch64 wheels and its own layer", () => {
  let work: string;
  let app: string;
  const layers: Record<string, ArchLayer> = {};

  async function build(architecture: "x86_64" | "arm64"): Promise<ArchLayer> {
    const output = `layer-${architecture}.zip`;
    const built = await buildLayer({ appDir: app, architecture, layerDir: `layer-${architecture}`, output }, env);
    const zip = join(app, output);
    const entries = zipEntries(zip);
    const wheel = entries.find((e) => /^python\/markupsafe-[^/]+\.dist-info\/WHEEL$/.test(e));
    const extension = entries.find((e) => /^python\/markupsafe\/_speedups\..*\.so$/.test(e));
    if (!wheel || !extension) throw new Error(`${output}: no MarkupSafe WHEEL or compiled module in ${entries.length} entries`);
    const wheelTags = zipMember(zip, wheel)
      .toString("utf8")
      .split("\n")
      .filter((line) => line.startsWith("Tag: "))
      .map((line) => line.slice(5).trim());
    return { zip, entries, wheelTags, extension, buildOutput: built.stdout };
  }

  beforeAll(async () => {
    work = await scratchDir("arch");
    app = await copyExampleApp("classic-app", work);
    // The classic app's dependencies are pure Python; this lock adds MarkupSafe's compiled wheel.
    await useLockFixture(app, "with-markupsafe");
    layers.x86_64 = await build("x86_64");
    layers.arm64 = await build("arm64");
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("x86_64 holds an x86_64 manylinux wheel and an x86-64 ELF module", () => {
    const x86 = layers.x86_64!;
    expect(x86.wheelTags.length).toBeGreaterThan(0);
    for (const tag of x86.wheelTags) expect(tag).toMatch(/^cp312-cp312-manylinux.*_x86_64$/);
    expect(x86.extension).toMatch(/x86_64-linux-gnu\.so$/);
    expect(elfMachine(zipMember(x86.zip, x86.extension))).toBe("x86_64");
  });

  it("arm64 holds an aarch64 manylinux wheel and an AArch64 ELF module", () => {
    const arm = layers.arm64!;
    expect(arm.wheelTags.length).toBeGreaterThan(0);
    for (const tag of arm.wheelTags) expect(tag).toMatch(/^cp312-cp312-manylinux.*_aarch64$/);
    expect(arm.extension).toMatch(/aarch64-linux-gnu\.so$/);
    expect(elfMachine(zipMember(arm.zip, arm.extension))).toBe("aarch64");
  });

  it.runIf(process.arch === "x64")("the import check runs the x86_64 layer on python3.12 and says why it cannot run the arm64 one here", () => {
    expect(layers.x86_64!.buildOutput).toMatch(/^import check: \d+ modules of 7 distributions import on python3\.12 /m);
    // MarkupSafe's and charset-normalizer's aarch64 extension modules.
    expect(layers.arm64!.buildOutput).toMatch(
      /^import check skipped: an arm64 layer with \d+ native extensions cannot load on this x86_64 interpreter \(name an arm64 one, e\.g\. under qemu-user, to check it\)$/m,
    );
  });

  it("the two layers differ (other S3 key) while the pure-Python files are the same bytes", async () => {
    const x86 = layers.x86_64!;
    const arm = layers.arm64!;
    expect(await md5Hex(arm.zip)).not.toBe(await md5Hex(x86.zip));
    const pure = "python/requests/api.py";
    expect(x86.entries).toContain(pure);
    expect(zipMember(arm.zip, pure).equals(zipMember(x86.zip, pure))).toBe(true);
  });
});
