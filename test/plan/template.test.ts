// CloudFormation templates with short-form tags, read into the long form and written back.
import { describe, expect, it } from "vitest";
import { intrinsic, parseTemplate, stringifyTemplate } from "../../src/plan/template.js";

const YAML_TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Deps:
    Type: AWS::Serverless::LayerVersion
    Properties:
      LayerName: !Sub "\${AWS::StackName}-deps"
      ContentUri: s3://bucket/0123abcd
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Layers:
        - !Ref Deps
        - !ImportValue shared-layer-arn
      Environment:
        Variables:
          QUEUE: !GetAtt Queue.QueueName
          OUT: !GetAtt App.Outputs.LayerArn
          AZ: !Select [0, !GetAZs ""]
          JOINED: !Join [",", [a, !If [IsProd, x, !Ref "AWS::NoValue"]]]
          B64: !Base64 {"Fn::Sub": "x"}
          MAPPED: !FindInMap [M, !Ref "AWS::Region", k]
          SUB: !Sub
            - "\${A}-x"
            - A: !Ref Stage
      Shared: &shared {Key: v}
      Again: *shared
`;

describe("CloudFormation templates", () => {
  const t = parseTemplate(YAML_TEMPLATE, "template.yaml");
  const resources = t.Resources as Record<string, { Properties: Record<string, unknown> }>;

  it("reads short-form tags into the long form", () => {
    expect(resources.Deps!.Properties.LayerName).toEqual({ "Fn::Sub": "${AWS::StackName}-deps" });
    const fn = resources.Fn!.Properties;
    expect(fn.Layers).toEqual([{ Ref: "Deps" }, { "Fn::ImportValue": "shared-layer-arn" }]);
    const vars = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars.QUEUE).toEqual({ "Fn::GetAtt": ["Queue", "QueueName"] });
    expect(vars.OUT).toEqual({ "Fn::GetAtt": ["App", "Outputs.LayerArn"] });
    expect(vars.AZ).toEqual({ "Fn::Select": [0, { "Fn::GetAZs": "" }] });
    expect(vars.JOINED).toEqual({ "Fn::Join": [",", ["a", { "Fn::If": ["IsProd", "x", { Ref: "AWS::NoValue" }] }]] });
    expect(vars.B64).toEqual({ "Fn::Base64": { "Fn::Sub": "x" } });
    expect(vars.MAPPED).toEqual({ "Fn::FindInMap": ["M", { Ref: "AWS::Region" }, "k"] });
    expect(vars.SUB).toEqual({ "Fn::Sub": ["${A}-x", { A: { Ref: "Stage" } }] });
    expect(fn.Again).toEqual({ Key: "v" });
    expect((t.Conditions as Record<string, unknown>).IsProd).toEqual({ "Fn::Equals": [{ Ref: "Stage" }, "prod"] });
  });

  it("reads JSON templates into the same form", () => {
    expect(parseTemplate(JSON.stringify(t), "template.json")).toEqual(t);
  });

  it("writes the short tags back, and reads its own output unchanged", () => {
    const text = stringifyTemplate(t);
    expect(text).toContain('AWSTemplateFormatVersion: "2010-09-09"');
    expect(text).toContain("- !Ref Deps");
    expect(text).toContain("- !ImportValue shared-layer-arn");
    expect(text).toContain("QUEUE: !GetAtt Queue.QueueName");
    expect(text).toContain('!GetAZs ""');
    expect(parseTemplate(text, "again.yaml")).toEqual(t);
  });

  it("recognizes one-key intrinsic objects only", () => {
    expect(intrinsic({ "Fn::ImportValue": "x" })).toEqual(["ImportValue", "x"]);
    expect(intrinsic({ Ref: "L" })).toEqual(["Ref", "L"]);
    expect(intrinsic({ Ref: "L", Other: 1 })).toBeUndefined();
    expect(intrinsic({ "Fn::Nope": 1 })).toBeUndefined();
  });

  it("names the file and the problem in one line when the YAML is broken", () => {
    expect(() => parseTemplate("Resources:\n  A: [1, 2\n", "bad.yaml")).toThrow(/^cannot parse bad\.yaml: [^\n]+$/);
    expect(() => parseTemplate("- a\n- b\n", "list.yaml")).toThrow("list.yaml is not a template (no mapping at the top)");
  });
});
