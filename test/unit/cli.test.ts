import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = "dist/sam-layer.mjs";

describe("bundled cli", () => {
  it("prints help with every command", () => {
    const out = execFileSync("node", [BIN, "--help"], { encoding: "utf8" });
    for (const c of ["zip", "hash", "diff", "key", "build", "plan"]) expect(out).toContain(`sam-layer ${c}`);
  });

  it("exits 2 on a usage error", () => {
    const r = spawnSync("node", [BIN, "--no-such-flag"], { encoding: "utf8" });
    expect(r.status).toBe(2);
  });

  // The package's command (package.json "bin") is a launcher that turns Node's compile cache on
  // and imports the bundle: it must answer exactly like the bundle, exit codes and streams included.
  it("runs the same through the package's launcher (dist/bin.mjs), from another folder", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin["sam-layer"]).toBe("dist/bin.mjs");
    const launcher = resolve("dist/bin.mjs");
    for (const args of [["--version"], ["--no-such-flag"], ["zip", "/nonexistent-layer-folder", "-o", "/tmp/never.zip"]]) {
      const viaLauncher = spawnSync(launcher, args, { encoding: "utf8", cwd: tmpdir() });
      const direct = spawnSync("node", [resolve(BIN), ...args], { encoding: "utf8", cwd: tmpdir() });
      expect([viaLauncher.status, viaLauncher.stdout, viaLauncher.stderr], args.join(" ")).toEqual([direct.status, direct.stdout, direct.stderr]);
    }
  });
});

describe("bundled cli: zip, hash, diff, key", () => {
  it("lists the default excludes in `zip --help`", () => {
    const out = execFileSync("node", [BIN, "zip", "--help"], { encoding: "utf8" }).replace(/\s+/g, " ");
    expect(out).toContain("Left out by default: __pycache__/ *.pyc .DS_Store");
    expect(out).toContain("--include-pycache");
  });

  it("names a missing positional as a usage error (exit 2)", () => {
    for (const cmd of [["zip"], ["hash"], ["diff", "a.zip"], ["key"]]) {
      const r = spawnSync("node", [BIN, ...cmd], { encoding: "utf8" });
      expect(r.status, cmd.join(" ")).toBe(2);
      expect(r.stderr, cmd.join(" ")).toMatch(/^sam-layer: Not enough non-option arguments|^sam-layer: Missing required argument/);
    }
  });
});
