// `sam-layer deploy-template`: which template deploy-sam deploys. The copy `build --template` wrote
// beside the template when there is one and it was written from the templates as they are now (its
// first line records their digest), the copy itself when it is given, the template as it is when
// there is no copy; a stale copy is refused with one line. Copies are written by the bundled CLI
// (layers it leaves to sam build, so nothing is installed: what matters here is the copy).
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, scratch } from "../layer-build/helpers.js";

const root = scratch("deploy-template");
const appDir = join(root, "app");

const TEMPLATE = `Transform: AWS::Serverless-2016-10-31
Resources:
  MakeDeps:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/make
    Metadata:
      BuildMethod: makefile
  Orders:
    Type: AWS::Serverless::Application
    Properties:
      Location: nested/app.yaml
`;
const NESTED = `Resources:
  Published:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: {Bucket: shared, Key: published.zip}
`;

function pick(template: string, cwd = appDir) {
  const r = cli(["deploy-template", template], cwd);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function stale(copy: string, source: string): string {
  return (
    `sam-layer: ${copy} was written from another version of ${source} (or of its nested templates); run the build-layer job with ` +
    `\`template\` set in the same workflow before deploy-sam, so the copy is written again (or delete ${copy})\n`
  );
}

beforeAll(() => {
  mkdirSync(join(appDir, "layers/make"), { recursive: true });
  writeFileSync(join(appDir, "layers/make/Makefile"), "build-MakeDeps:\n\ttrue\n");
  mkdirSync(join(appDir, "nested"));
  writeFileSync(join(appDir, "template.yaml"), TEMPLATE);
  writeFileSync(join(appDir, "nested/app.yaml"), NESTED);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("sam-layer deploy-template", () => {
  it("no copy beside the template: the template as it is", () => {
    expect(pick("template.yaml")).toEqual({
      status: 0,
      stdout: "template.yaml\n",
      stderr: "sam-layer: deploying template.yaml as it is (no template.sam-layer.yaml from build-layer's `template` build beside it)\n",
    });
  });

  it("build --template writes the copy with the source's digest on its first line; the copy is picked for the template", () => {
    const built = cli(["build", "--template", "template.yaml"], appDir);
    expect(built.status).toBe(0);
    const copy = readFileSync(join(appDir, "template.sam-layer.yaml"), "utf8");
    expect(copy).toMatch(
      /^# Written by `sam-layer build --template` from template\.yaml \(source sha256 [0-9a-f]{64}\)\. Rewritten on every build; do not edit\.\n/,
    );
    // nothing else differs: the one layer is left to sam build, the nested template had nothing to rewrite
    expect(copy.slice(copy.indexOf("\n") + 1)).toBe(TEMPLATE);
    expect(pick("template.yaml")).toEqual({
      status: 0,
      stdout: "template.sam-layer.yaml\n",
      stderr: "sam-layer: deploying template.sam-layer.yaml: the copy build-layer wrote from template.yaml, its layers pointing at the built zips\n",
    });
    // as deploy-sam's plan step names it, from the checkout root
    expect(pick("app/template.yaml", root).stdout).toBe("app/template.sam-layer.yaml\n");
  });

  it("the copy given explicitly (the configuration before the copy was picked by itself) still works", () => {
    expect(pick("template.sam-layer.yaml")).toEqual({
      status: 0,
      stdout: "template.sam-layer.yaml\n",
      stderr: "sam-layer: deploying template.sam-layer.yaml: the copy build-layer wrote from template.yaml, as set\n",
    });
  });

  it("a copy written from another version of the template or of a nested template is refused, with one line naming both files", () => {
    writeFileSync(join(appDir, "nested/app.yaml"), `${NESTED}# changed after the copy was written\n`);
    for (const template of ["template.yaml", "template.sam-layer.yaml"]) {
      expect(pick(template)).toEqual({ status: 1, stdout: "", stderr: stale("template.sam-layer.yaml", "template.yaml") });
    }
    writeFileSync(join(appDir, "nested/app.yaml"), NESTED);
    writeFileSync(join(appDir, "template.yaml"), TEMPLATE.replace("Location: nested/app.yaml", "Location: ./nested/app.yaml"));
    expect(pick("app/template.yaml", root)).toEqual({ status: 1, stdout: "", stderr: stale("app/template.sam-layer.yaml", "app/template.yaml") });
    // written again from the templates as they are: picked again
    expect(cli(["build", "--template", "template.yaml"], appDir).status).toBe(0);
    expect(pick("template.yaml").stdout).toBe("template.sam-layer.yaml\n");
    writeFileSync(join(appDir, "template.yaml"), TEMPLATE);
    expect(cli(["build", "--template", "template.yaml"], appDir).status).toBe(0);
  });

  it("a file in the copy's place that build --template did not write (no digest line) is refused, not deployed", () => {
    const copy = join(appDir, "template.sam-layer.yaml");
    const written = readFileSync(copy, "utf8");
    writeFileSync(copy, written.slice(written.indexOf("\n") + 1));
    expect(pick("template.yaml")).toEqual({ status: 1, stdout: "", stderr: stale("template.sam-layer.yaml", "template.yaml") });
    writeFileSync(copy, written);
  });

  it("a JSON template's copy stays JSON (no room for a digest): picked, and the line says it is not checked", () => {
    const dir = join(root, "json");
    cpSync(join(appDir, "layers"), join(dir, "layers"), { recursive: true });
    writeFileSync(
      join(dir, "template.json"),
      `${JSON.stringify({ Resources: { MakeDeps: { Type: "AWS::Serverless::LayerVersion", Properties: { ContentUri: "layers/make" }, Metadata: { BuildMethod: "makefile" } } } }, null, 2)}\n`,
    );
    expect(cli(["build", "--template", "template.json"], dir).status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "template.sam-layer.json"), "utf8"))).toBeTruthy();
    expect(pick("template.json", dir)).toEqual({
      status: 0,
      stdout: "template.sam-layer.json\n",
      stderr:
        "sam-layer: deploying template.sam-layer.json: the copy build-layer wrote from template.json, its layers pointing at the built zips (a JSON copy records no digest of template.json, so it is not checked for staleness)\n",
    });
  });
});
