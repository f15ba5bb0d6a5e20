// `sam-layer build-tools`: what `sam build` needs for a template, and the build cache's key, on the
// e2e fixtures (test/e2e/built-functions.test.ts runs the real build through sam-build.sh).
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildTools, missingTools } from "../../src/sam-build/tools.js";
import { cli, REPO, scratch } from "../layer-build/helpers.js";

const FIXTURES = resolve(REPO, "test/e2e/fixtures");

describe("build-tools", () => {
  it("names python3.X per Python function, node, npm and esbuild for BuildMethod esbuild; keys on the manifests, not the layer", async () => {
    const dir = join(FIXTURES, "built-functions");
    const tools = await buildTools(join(dir, "template.yaml"));
    expect(tools.needs.map((n) => `${n.where.split(": ")[1]} ${n.tool}`).sort()).toEqual(
      ["ClockFunction python3.11", "GreetFunction esbuild", "GreetFunction node", "GreetFunction npm"].sort(),
    );
    expect(tools.inputs.map((f) => f.slice(dir.length + 1))).toEqual([
      "functions/clock/requirements.txt",
      "functions/greet/package-lock.json",
      "functions/greet/package.json",
      "template.yaml",
    ]);
  });

  it("follows a nested application's local template", async () => {
    const dir = join(FIXTURES, "nested-app");
    const tools = await buildTools(join(dir, "template.yaml"));
    expect(tools.inputs.map((f) => f.slice(dir.length + 1))).toEqual(["shared/template.yaml", "template.yaml"]);
    expect(tools.needs).toEqual([]);
  });

  it("a missing Python fails naming the function and the fix; a missing esbuild is to be installed", () => {
    const needs = [
      { where: "template.yaml: ClockFunction", tool: "python3.12", why: "Runtime: python3.12" },
      { where: "template.yaml: GreetFunction", tool: "esbuild", why: "BuildMethod: esbuild" },
    ];
    expect(missingTools(needs, (tool) => tool !== "esbuild")).toEqual(["esbuild"]);
    expect(() => missingTools(needs, () => false)).toThrow(
      "template.yaml: ClockFunction (Runtime: python3.12) needs python3.12 on PATH for sam build, and there is none: set deploy-sam's python-version to 3.12 (the executor image cimg/python:3.12-node has it), or install Python 3.12 in a step before the build",
    );
  });

  it("the bundled CLI's --write-key: a code change keeps the key, a manifest change moves it", () => {
    const dir = join(scratch("build-tools"), "app");
    cpSync(join(FIXTURES, "built-functions"), dir, { recursive: true });
    const key = () => {
      const r = cli(["build-tools", "template.yaml", "--write-key", "key.txt", "--json"], dir);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).needs).toHaveLength(4);
      return readFileSync(join(dir, "key.txt"), "utf8");
    };
    const first = key();
    writeFileSync(join(dir, "functions/clock/app.py"), "VERSION = 3\n");
    expect(key()).toBe(first);
    writeFileSync(join(dir, "functions/clock/requirements.txt"), "python-dateutil==2.9.0\n");
    expect(key()).not.toBe(first);
  });
});
