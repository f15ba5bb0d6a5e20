// Lambda runtime + architecture -> what pip and npm are asked for, checked against the real pip.
import { describe, expect, it } from "vitest";
import { pipPlatforms, resolveTarget, type PythonTarget } from "../../src/layer-build/target.js";
import { sh } from "./helpers.js";

/** The tags the real pip accepts for these platforms (pip debug prints them). */
function pipTags(t: PythonTarget): string[] {
  const out = sh("python3", [
    "-m",
    "pip",
    "debug",
    "--verbose",
    ...t.pipPlatforms.flatMap((p) => ["--platform", p]),
    "--implementation",
    "cp",
    "--python-version",
    t.pythonVersion,
  ]);
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^[a-z]+\d*-[a-z0-9_]+-[a-z0-9_]+$/.test(l));
}

describe("Lambda targets", () => {
  it("maps runtimes to the glibc of their OS image", () => {
    expect(resolveTarget("python3.9", "x86_64").glibcMinor).toBe(26);
    expect(resolveTarget("python3.11", "arm64").glibcMinor).toBe(26);
    expect(resolveTarget("python3.12", "x86_64").glibcMinor).toBe(34);
    expect(resolveTarget("python3.14", "x86_64").glibcMinor).toBe(34);
    expect(resolveTarget("nodejs18.x", "x86_64").glibcMinor).toBe(26);
    expect(resolveTarget("nodejs22.x", "arm64")).toMatchObject({ language: "nodejs", npmCpu: "arm64", layerSubdir: "nodejs" });
  });

  it("lists every manylinux tag the runtime can load, newest first, down to the legacy aliases", () => {
    const x86 = pipPlatforms(34, "x86_64");
    expect(x86[0]).toBe("manylinux_2_34_x86_64");
    expect(x86).toContain("manylinux_2_28_x86_64");
    expect(x86.slice(-5)).toEqual(["manylinux2014_x86_64", "manylinux_2_12_x86_64", "manylinux2010_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64"]);
    const arm = pipPlatforms(26, "arm64");
    expect(arm[0]).toBe("manylinux_2_26_aarch64");
    // what the build passes: the same cap as uv's --python-platform (see wheelGlibcMinor)
    expect(resolveTarget("python3.11", "arm64")).toMatchObject({ wheelGlibcMinor: 17, uvPlatform: "aarch64-manylinux2014" });
    expect(resolveTarget("python3.12", "x86_64")).toMatchObject({ wheelGlibcMinor: 34, uvPlatform: "x86_64-manylinux_2_34" });
    expect(arm.at(-1)).toBe("manylinux2014_aarch64");
    expect(arm.every((t) => t.endsWith("_aarch64"))).toBe(true);
  });

  it("makes the real pip accept manylinux_2_28 wheels for python3.12 but nothing newer than the runtime's glibc", () => {
    const tags = pipTags(resolveTarget("python3.12", "x86_64") as PythonTarget);
    expect(tags[0]).toBe("cp312-cp312-manylinux_2_34_x86_64");
    expect(tags).toContain("cp312-cp312-manylinux_2_28_x86_64");
    expect(tags).toContain("cp312-abi3-manylinux2014_x86_64");
    expect(tags).toContain("py3-none-any");
    expect(tags.some((t) => /manylinux_2_3[5-9]|aarch64/.test(t))).toBe(false);
    const old = pipTags(resolveTarget("python3.11", "arm64") as PythonTarget);
    // uv cannot target glibc 2.26, so neither installer takes wheels newer than manylinux2014 there
    expect(old[0]).toBe("cp311-cp311-manylinux_2_17_aarch64");
    expect(old.some((t) => /manylinux_2_(1[89]|2\d)|x86_64/.test(t))).toBe(false);
  });

  it("gives the target's marker environment", () => {
    const t = resolveTarget("python3.13", "arm64") as PythonTarget;
    expect(t.markerEnv).toMatchObject({ python_version: "3.13", platform_machine: "aarch64", sys_platform: "linux" });
  });

  it("refuses unknown runtimes and architectures as usage errors", () => {
    expect(() => resolveTarget("python3.8", "x86_64")).toThrow(/^--runtime must be one of python3\.9, .*; got: python3\.8$/);
    expect(() => resolveTarget("python3.12", "aarch64")).toThrow("--architecture must be x86_64 or arm64, got: aarch64");
  });
});
