import { existsSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bytesOf, CLI, runCli, sampleTree, tempDir, unzipTest, writeTree, zipNames } from "./support.js";
import { spawnSync } from "node:child_process";

describe("--engine infozip (the classic `zip -r -u -X` recipe)", () => {
  it("runs the real zip; its exit 12 (nothing to do) is success", () => {
    const work = tempDir();
    const dir = join(work, "layer");
    writeTree(dir, { ...sampleTree(), "python/pkg/__pycache__/core.cpython-312.pyc": "bytecode", "python/pkg/.DS_Store": "x" });
    const out = join(work, "layer.zip");
    const first = runCli(["zip", dir, "-o", out, "--engine", "infozip", "--json"]);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: "created", output: out });
    unzipTest(out);
    const names = zipNames(out);
    expect(names).toContain("python/pkg/core.py");
    expect(names.some((n) => n.includes("__pycache__") || n.endsWith(".DS_Store"))).toBe(false);

    const before = bytesOf(out);
    const second = runCli(["zip", dir, "-o", out, "--engine", "infozip"], { cwd: work });
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/^layer\.zip: unchanged \(nothing to do\), /);
    expect(bytesOf(out).equals(before)).toBe(true);

    // The classic recipe's known flaw, kept as is: -u leaves a deleted file in the zip.
    spawnSync("rm", [join(dir, "python/pkg/core.py")]);
    writeFileSync(join(dir, "python/pkg/new.py"), "x\n");
    expect(runCli(["zip", dir, "-o", out, "--engine", "infozip"]).stdout).toContain(": updated");
    expect(zipNames(out)).toContain("python/pkg/core.py");
  });

  it("passes a real zip failure through as a failure, with zip's message", () => {
    const work = tempDir();
    const dir = join(work, "layer");
    writeTree(dir, sampleTree());
    const out = join(work, "layer.zip");
    writeFileSync(out, "not a zip file, but long enough to look like one to zip? no.");
    const r = runCli(["zip", dir, "-o", out, "--engine", "infozip"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sam-layer: zip failed \(exit 3\): .*zip error: Zip file structure invalid/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("refuses an output inside the layer folder, also through a symlinked folder (exit 2), as the builtin engine does", () => {
    const work = tempDir();
    const dir = join(work, "layer");
    writeTree(dir, sampleTree());
    const alias = join(work, "alias");
    symlinkSync(dir, alias);
    for (const out of [join(dir, "x.zip"), join(alias, "x.zip")]) {
      const r = runCli(["zip", dir, "-o", out, "--engine", "infozip"]);
      expect(r.status, out).toBe(2);
      expect(r.stderr).toBe(`sam-layer: output is inside the layer folder: ${out} (put the zip next to the folder)\n`);
    }
    expect(existsSync(join(dir, "x.zip"))).toBe(false);
  });

  it("says so when zip is not installed", () => {
    const work = tempDir();
    const dir = join(work, "layer");
    writeTree(dir, sampleTree());
    const r = spawnSync(process.execPath, [CLI, "zip", dir, "-o", join(work, "x.zip"), "--engine", "infozip"], {
      encoding: "utf8",
      env: { ...process.env, PATH: join(work, "empty-path") },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("sam-layer: `zip` (Info-ZIP) not found on PATH: install it or use --engine builtin\n");
  });
});
