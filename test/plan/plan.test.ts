// `sam-layer plan`: packaged vs deployed templates, handwritten and as the real SAM translator
// processes them, through the functions and the bundled CLI.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planFromFiles, planLayers, type Plan } from "../../src/plan/index.js";
import { stringifyTemplate, type Template } from "../../src/plan/template.js";
import { cli, scratch, sh, VENV_BIN } from "../layer-build/helpers.js";

const root = scratch("plan");
let n = 0;
function file(text: string, ext = "yaml"): string {
  const p = join(root, `t${n++}.${ext}`);
  writeFileSync(p, text);
  return p;
}

function samTemplate(key: string, extra: { description?: string; retention?: string } = {}): Template {
  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Transform: "AWS::Serverless-2016-10-31",
    Resources: {
      Deps: {
        Type: "AWS::Serverless::LayerVersion",
        Properties: {
          LayerName: "deps",
          ContentUri: `s3://artifacts/${key}`,
          CompatibleRuntimes: ["python3.12"],
          ...(extra.description ? { Description: extra.description } : {}),
          ...(extra.retention ? { RetentionPolicy: extra.retention } : {}),
        },
      },
      Hoge: {
        Type: "AWS::Serverless::Function",
        Properties: { Runtime: "python3.12", Handler: "hoge.handler", CodeUri: "s3://artifacts/code1", Layers: [{ Ref: "Deps" }] },
      },
    },
  };
}

const V1 = "5d41402abc4b2a76b9719d911017c592";
const V2 = "7d793037a0760186574b0282f2f435e7";

function statuses(p: Plan): Record<string, string> {
  return Object.fromEntries(p.layers.map((l) => [l.logicalId, l.message]));
}

/** The real aws-sam-translator, offline: the Processed stage of a deployed SAM stack's template. */
function processed(t: Template): Template {
  const script = [
    "import json, sys",
    "from samtranslator.translator.transform import transform",
    "class NoPolicies:",
    "    def load(self): raise ValueError('no managed policy lookups offline')",
    "print(json.dumps(transform(json.load(sys.stdin), {}, NoPolicies())))",
  ].join("\n");
  const out = sh(join(VENV_BIN, "python"), ["-c", script], undefined, { ...process.env, AWS_DEFAULT_REGION: "us-east-1" }, JSON.stringify(t));
  return JSON.parse(out) as Template;
}

describe("sam-layer plan", () => {
  it("says first deploy without a deployed template", () => {
    const r = cli(["plan", file(stringifyTemplate(samTemplate(V1)))], root);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`Deps: new: first deploy\n  content: s3://artifacts/${V1}\n`);
  });

  it("says unchanged for the same S3 key, whatever form the deployed template comes in", async () => {
    const packaged = file(stringifyTemplate(samTemplate(V1)));
    const plain = file(stringifyTemplate(samTemplate(V1)));
    // aws cloudformation get-template: a JSON body is an object, a YAML body a string
    const wrappedObject = file(JSON.stringify({ TemplateBody: samTemplate(V1), StagesAvailable: ["Original", "Processed"] }), "json");
    const wrappedString = file(JSON.stringify({ TemplateBody: stringifyTemplate(samTemplate(V1)) }), "json");
    for (const deployed of [plain, wrappedObject, wrappedString]) {
      expect(statuses(await planFromFiles({ packaged, deployed }))).toEqual({ Deps: "unchanged: no new layer version" });
    }
    const r = cli(["plan", packaged, "--deployed", wrappedString], root);
    expect(r.stdout).toBe(`Deps: unchanged: no new layer version\n  content: s3://artifacts/${V1}\n`);
  });

  it("says changed for another S3 key, and for any other property change", async () => {
    const deployed = file(stringifyTemplate(samTemplate(V1)));
    const r = cli(["plan", file(stringifyTemplate(samTemplate(V2))), "--deployed", deployed], root);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`Deps: changed: a new layer version will be published\n  content: s3://artifacts/${V1} -> s3://artifacts/${V2}\n`);
    const described = await planFromFiles({ packaged: file(stringifyTemplate(samTemplate(V1, { description: "now with a text" }))), deployed });
    expect(described.layers[0]).toMatchObject({ status: "changed", changedProperties: ["Description"] });
  });

  it("compares the object and string forms of a location, and AWS::Lambda::LayerVersion content", () => {
    const asObject = samTemplate(V1);
    (asObject.Resources as Record<string, { Properties: Record<string, unknown> }>).Deps!.Properties.ContentUri = { Bucket: "artifacts", Key: V1 };
    expect(statuses(planLayers({ packaged: samTemplate(V1), deployed: asObject }))).toEqual({ Deps: "unchanged: no new layer version" });

    const lambda = (key: string, version?: string): Template => ({
      Resources: {
        Deps: {
          Type: "AWS::Lambda::LayerVersion",
          UpdateReplacePolicy: "Retain",
          DeletionPolicy: "Retain",
          Properties: { Content: { S3Bucket: "artifacts", S3Key: key, ...(version ? { S3ObjectVersion: version } : {}) } },
        },
      },
    });
    expect(statuses(planLayers({ packaged: lambda(V1), deployed: lambda(V1) }))).toEqual({ Deps: "unchanged: no new layer version" });
    expect(statuses(planLayers({ packaged: lambda(V2), deployed: lambda(V1) }))).toEqual({ Deps: "changed: a new layer version will be published" });
    expect(statuses(planLayers({ packaged: lambda(V1, "v2"), deployed: lambda(V1, "v1") }))).toEqual({
      Deps: "changed: a new layer version will be published",
    });
    expect(planLayers({ packaged: lambda(V1), deployed: lambda(V1) }).warnings).toEqual([]);
  });

  it("says new for a layer the deployed stack does not have, and not packaged for a local path", () => {
    const two = samTemplate(V1);
    (two.Resources as Record<string, unknown>).Extra = { Type: "AWS::Serverless::LayerVersion", Properties: { ContentUri: "extra-layer.zip" } };
    (two.Resources as Record<string, unknown>).More = { Type: "AWS::Serverless::LayerVersion", Properties: { ContentUri: `s3://artifacts/${V2}` } };
    const p = planLayers({ packaged: two, deployed: samTemplate(V1) });
    expect(statuses(p)).toEqual({
      Deps: "unchanged: no new layer version",
      Extra: "not packaged: the content is a local path; run sam package or aws cloudformation package first",
      More: "new: not in the deployed stack; its first version will be published",
    });
  });

  it("matches a SAM layer with its translated AWS::Lambda::LayerVersion in a Processed template", () => {
    const deployed = processed(samTemplate(V1));
    const ids = Object.keys(deployed.Resources as object);
    const layerId = ids.find((id) => /^Deps[0-9a-f]{10}$/.test(id));
    expect(layerId).toBeDefined();
    expect(planLayers({ packaged: samTemplate(V1), deployed }).layers[0]).toMatchObject({ status: "unchanged", deployedId: layerId });
    expect(planLayers({ packaged: samTemplate(V2), deployed }).layers[0]!.status).toBe("changed");
    // why any property counts: the translator hashes all of them into the new logical id
    const described = Object.keys(processed(samTemplate(V1, { description: "x" })).Resources as object);
    expect(described.find((id) => id.startsWith("Deps"))).not.toBe(layerId);
  });

  it("warns about folder ContentUri in the source template, imported or parameter layer ARNs, and deleted old versions", () => {
    const app = join(root, "app");
    mkdirSync(join(app, "layer"), { recursive: true });
    const source = samTemplate(V1);
    const res = source.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    res.Deps!.Properties.ContentUri = "layer/";
    res.Zipped = { Type: "AWS::Serverless::LayerVersion", Properties: { ContentUri: "layer.zip" } };
    const template = join(app, "template.yaml");
    writeFileSync(template, stringifyTemplate(source));

    const packaged = samTemplate(V1, { retention: "Delete" });
    packaged.Parameters = { SharedLayerArn: { Type: "String" }, Version: { Type: "String" } };
    packaged.Globals = { Function: { Layers: [{ "Fn::ImportValue": "shared-layer" }] } };
    const pres = packaged.Resources as Record<string, unknown>;
    pres.Fuga = {
      Type: "AWS::Serverless::Function",
      Properties: { Layers: [{ Ref: "Deps" }, { Ref: "SharedLayerArn" }, { "Fn::Sub": "arn:aws:lambda:us-east-1:123456789012:layer:x:${Version}" }] },
    };
    pres.Plain = { Type: "AWS::Lambda::LayerVersion", Properties: { Content: { S3Bucket: "artifacts", S3Key: V2 } } };
    const r = cli(["plan", file(stringifyTemplate(packaged)), "--template", template, "--json"], root);
    expect(r.status).toBe(0);
    const warnings = (JSON.parse(r.stdout) as Plan).warnings;
    expect(warnings).toHaveLength(6);
    expect(warnings[0]).toMatch(/^Deps: ContentUri layer\/ is a folder: aws cloudformation package zips it with file times/);
    expect(warnings.join("\n")).not.toMatch(/Zipped/);
    expect(warnings).toContain(
      "Deps: RetentionPolicy Delete removes the previous layer version after an update, so a rollback to the previous template publishes it again as a new version",
    );
    expect(warnings.some((w) => w.startsWith("Plain: without UpdateReplacePolicy: Retain"))).toBe(true);
    expect(warnings.some((w) => /^Globals\.Function: layer from Fn::ImportValue shared-layer: .*rollback drift/.test(w))).toBe(true);
    expect(warnings.some((w) => /^Fuga: layer ARN from parameter SharedLayerArn: .*rollback drift/.test(w))).toBe(true);
    expect(warnings.some((w) => w.startsWith("Fuga: layer ARN from parameter Version"))).toBe(true);
    expect(warnings.some((w) => w.startsWith("Hoge"))).toBe(false);
  });

  it("fails in one line on a missing, broken or foreign template", () => {
    const good = file(stringifyTemplate(samTemplate(V1)));
    const cases: [string[], RegExp][] = [
      [["plan", join(root, "missing.yaml")], /^sam-layer: cannot read .*missing\.yaml: no such file or folder\n$/],
      [["plan", file("Resources:\n  A: [1\n")], /^sam-layer: cannot parse .*\.yaml: [^\n]+\n$/],
      [["plan", good, "--deployed", file("")], /^sam-layer: .*\.yaml is empty\n$/],
      [["plan", good, "--deployed", file('{"StackId": "x"}', "json")], /^sam-layer: .*\.json has no Resources: not a CloudFormation template\n$/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args, root);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
