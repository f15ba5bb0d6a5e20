// diff on real installs: two versions of a Python distribution (pip) and of a Node package (npm).
import { execFileSync } from "node:child_process";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { diffLayers, diffReport } from "../../src/diff/index.js";
import { zipLayer } from "../../src/zip/layer-zip.js";
import { runCli, tempDir } from "./support.js";

function pip(target: string, ...pkgs: string[]): void {
  execFileSync("python3", ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", "--no-deps", "-t", target, ...pkgs], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PIP_ROOT_USER_ACTION: "ignore" },
  });
}

function npm(prefix: string, ...pkgs: string[]): void {
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", prefix, ...pkgs], { stdio: ["ignore", "ignore", "pipe"] });
}

describe("diff", () => {
  const work = tempDir();
  const py1 = join(work, "py1");
  const py2 = join(work, "py2");
  const js1 = join(work, "js1");
  const js2 = join(work, "js2");

  beforeAll(() => {
    pip(join(py1, "python"), "six==1.16.0", "idna==3.7");
    pip(join(py2, "python"), "six==1.17.0", "idna==3.7", "certifi==2024.8.30");
    npm(join(js1, "nodejs"), "is-number@6.0.0", "is-odd@3.0.1");
    npm(join(js2, "nodejs"), "is-number@7.0.0", "is-odd@3.0.1");
  });

  it("names Python distributions that changed version, appeared or went away", async () => {
    const d = await diffLayers(py1, py2);
    expect(d.equal).toBe(false);
    const lines = diffReport(d).split("\n");
    expect(lines[0]).toMatch(/^layers differ: \d+ added, \d+ removed, \d+ changed$/);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}~ six 1\.16\.0 -> 1\.17\.0 in python \(.*changed\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}\+ certifi 2024\.8\.30 in python \(\d+ added\)$/));
    expect(lines.join("\n")).not.toContain("idna");
    expect(d.other).toEqual({ added: [], removed: [], changed: [] });
    const six = d.packages.find((p) => p.name === "six")!;
    expect(six).toMatchObject({ ecosystem: "python", oldVersion: "1.16.0", newVersion: "1.17.0", location: "python" });
  });

  it("names Node packages from node_modules/*/package.json, nested ones included", async () => {
    const d = await diffLayers(js1, js2);
    const text = diffReport(d);
    // is-odd 3.0.1 depends on is-number ^6: with 7 at the top, npm nests a 6 below is-odd.
    expect(text).toMatch(/~ is-number 6\.0\.0 -> 7\.0\.0 in nodejs\/node_modules\/is-number \(4 changed\)/);
    expect(text).toMatch(/\+ is-number 6\.0\.0 in nodejs\/node_modules\/is-odd\/node_modules\/is-number \(5 added\)/);
    expect(d.other.changed).toContain("nodejs/package.json");
  });

  it("compares zips with folders; exit 0 when equal, 1 when different, 2 on trouble", async () => {
    const z1 = join(work, "py1.zip");
    await zipLayer({ dir: py1, output: z1 });
    const same = runCli(["diff", z1, py1]);
    expect(same.status).toBe(0);
    expect(same.stdout).toMatch(/^same content: \d+ entries, digest [0-9a-f]{64}\n$/);
    const differ = runCli(["diff", z1, py2]);
    expect(differ.status).toBe(1);
    expect(differ.stdout).toContain("~ six 1.16.0 -> 1.17.0 in python");
    const json = JSON.parse(runCli(["diff", z1, py2, "--json"]).stdout);
    expect(json).toMatchObject({ equal: false, old: { kind: "zip" }, new: { kind: "folder" } });
    const trouble = runCli(["diff", z1, join(work, "nope")]);
    expect(trouble.status).toBe(2);
    expect(trouble.stderr).toMatch(/^sam-layer: not found: .*nope\n$/);
  });

  it("lists files outside any package, and a mode-only change", async () => {
    const a = join(work, "plain-a");
    const b = join(work, "plain-b");
    cpSync(py1, a, { recursive: true });
    cpSync(py1, b, { recursive: true });
    writeFileSync(join(b, "handler.py"), "def handler(e, c): pass\n");
    writeFileSync(join(a, "run.sh"), "#!/bin/sh\n", { mode: 0o644 });
    writeFileSync(join(b, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    const d = await diffLayers(a, b);
    expect(d.other).toEqual({ added: ["handler.py"], removed: [], changed: ["run.sh"] });
    expect(diffReport(d)).toBe("layers differ: 1 added, 0 removed, 1 changed\n  files:\n    A handler.py\n    M run.sh");
  });
});
