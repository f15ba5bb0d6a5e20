// The plan with the stack as deploy-sam's plan step reads it (`--stack-info`): what each
// CloudFormation state allows, and nested stacks planned against their own deployed templates.
// The JSON is the shape orb/scripts/layer-plan.sh's boto3 fetcher writes; test/e2e/built-functions
// reads real stacks (missing, CREATE_COMPLETE, nested) from the local endpoint.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planStack } from "../../src/plan/index.js";
import { type StackInfo, stackState } from "../../src/plan/stack.js";
import type { Template } from "../../src/plan/template.js";
import { cli, scratch } from "../layer-build/helpers.js";

const root = scratch("plan-stack");

function layerTemplate(id: string, key: string): Template {
  return {
    Transform: "AWS::Serverless-2016-10-31",
    Resources: {
      [id]: {
        Type: "AWS::Serverless::LayerVersion",
        Properties: { LayerName: id.toLowerCase(), ContentUri: `s3://artifacts/${key}`, RetentionPolicy: "Retain" },
      },
    },
  };
}

function withApp(t: Template, id: string, location: unknown): Template {
  return { ...t, Resources: { ...(t.Resources as object), [id]: { Type: "AWS::Serverless::Application", Properties: { Location: location } } } };
}

function info(status: string | null, deployed: Template | null = null, extra: Partial<StackInfo> = {}): StackInfo {
  return { stackName: "app", stack: status ? { StackStatus: status } : null, deployed, ...extra };
}

describe("stack states", () => {
  it("missing, DELETE_COMPLETE and REVIEW_IN_PROGRESS are first deploys; the COMPLETE states deploy", () => {
    expect(stackState(info(null)).action).toBe("first-deploy");
    expect(stackState(info("DELETE_COMPLETE")).action).toBe("first-deploy");
    expect(stackState(info("REVIEW_IN_PROGRESS"))).toEqual({
      action: "first-deploy",
      message: "stack app is REVIEW_IN_PROGRESS (created by a change set that was never executed; nothing is deployed): first deploy",
    });
    for (const s of ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE", "UPDATE_FAILED"]) {
      expect(stackState(info(s)).action, s).toBe("deploy");
    }
  });

  it("*_IN_PROGRESS waits", () => {
    for (const s of ["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS"]) {
      expect(stackState(info(s)).action, s).toBe("wait");
    }
  });

  it("ROLLBACK_COMPLETE fails saying to delete it first, or is deleted when allowed", () => {
    expect(() => stackState(info("ROLLBACK_COMPLETE"))).toThrow(
      "stack app is ROLLBACK_COMPLETE (its first deploy failed and was rolled back): CloudFormation cannot update it, it must be deleted before it can be deployed (aws cloudformation delete-stack --stack-name app, or the deploy-sam parameter delete-rollback-complete: true)",
    );
    expect(stackState(info("ROLLBACK_COMPLETE"), true).action).toBe("delete");
  });

  it("UPDATE_ROLLBACK_FAILED fails with the console hint; the other FAILED states name what to do", () => {
    expect(() => stackState(info("UPDATE_ROLLBACK_FAILED"))).toThrow(
      /UPDATE_ROLLBACK_FAILED.*CloudFormation console.*Continue update rollback.*continue-update-rollback --stack-name app/,
    );
    expect(() => stackState(info("ROLLBACK_FAILED"))).toThrow(/delete the stack/);
    expect(() => stackState({ stackName: "app", stack: { StackStatus: "DELETE_FAILED", StackStatusReason: "bucket not empty" } })).toThrow(
      /DELETE_FAILED \(bucket not empty\)/,
    );
    expect(() => stackState(info("CREATE_FAILED"))).toThrow(/delete it before deploying again/);
  });

  it("a plan never says unchanged for a ROLLBACK_COMPLETE stack whose template matches", () => {
    const t = layerTemplate("Deps", "k1");
    expect(() => planStack(t, info("ROLLBACK_COMPLETE", t))).toThrow(/ROLLBACK_COMPLETE/);
    expect(planStack(t, info("UPDATE_COMPLETE", t)).layers[0]?.status).toBe("unchanged");
    // REVIEW_IN_PROGRESS: whatever template the change set holds, nothing runs: new.
    expect(planStack(t, info("REVIEW_IN_PROGRESS", t)).layers[0]?.status).toBe("new");
  });

  it("the bundled CLI: plan --stack-info exits 1 with one line; stack-state prints the action", () => {
    const packaged = join(root, "packaged.json");
    writeFileSync(packaged, JSON.stringify(layerTemplate("Deps", "k1")));
    const stackFile = join(root, "stack.json");
    writeFileSync(stackFile, JSON.stringify(info("ROLLBACK_COMPLETE", layerTemplate("Deps", "k1"))));
    const r = cli(["plan", packaged, "--stack-info", stackFile], root);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^sam-layer: stack app is ROLLBACK_COMPLETE .* must be deleted before it can be deployed/);
    const deleting = cli(["stack-state", stackFile, "--delete-rollback-complete"], root);
    expect(deleting.status).toBe(0);
    expect(deleting.stdout).toBe("delete\n");
    writeFileSync(stackFile, JSON.stringify(info("UPDATE_IN_PROGRESS")));
    expect(cli(["stack-state", stackFile], root).stdout).toBe("wait\n");
    const still = cli(["plan", packaged, "--stack-info", stackFile], root);
    expect(still.status).toBe(1);
    expect(still.stderr).toContain("an operation is still running");
    writeFileSync(stackFile, "{}");
    expect(cli(["stack-state", stackFile], root).stderr).toContain("not the stack information JSON");
  });
});

describe("nested stacks", () => {
  const parent = (loc: unknown = "https://s3.us-east-1.amazonaws.com/artifacts/n1.template") => withApp(layerTemplate("Own", "own1"), "Shared", loc);

  it("plans a nested layer against the nested stack's deployed template", () => {
    const deployedNested = layerTemplate("NestedLibs", "old");
    const plan = planStack(parent(), {
      ...info("UPDATE_COMPLETE", parent()),
      nested: {
        Shared: {
          location: "https://s3.us-east-1.amazonaws.com/artifacts/n1.template",
          packaged: layerTemplate("NestedLibs", "new"),
          stack: { stackName: "app-Shared-1", stack: { StackStatus: "UPDATE_COMPLETE" }, deployed: deployedNested },
        },
      },
    });
    expect(plan.layers.map((l) => [l.logicalId, l.status])).toEqual([
      ["Own", "unchanged"],
      ["Shared/NestedLibs", "changed"],
    ]);
    expect(plan.layers[1]?.deployed?.text).toBe("s3://artifacts/old");
  });

  it("a nested stack the deployed parent does not have: its layers are new", () => {
    const plan = planStack(parent(), {
      ...info("UPDATE_COMPLETE", layerTemplate("Own", "own1")),
      nested: { Shared: { packaged: layerTemplate("NestedLibs", "new"), stack: { stackName: "Shared", stack: null, deployed: null } } },
    });
    expect(plan.layers[1]).toMatchObject({ logicalId: "Shared/NestedLibs", status: "new" });
    expect(plan.layers[1]?.message).toContain("the nested stack is not in the deployed stack");
  });

  it("what cannot be planned is listed as not planned, with the reason", () => {
    const unreadable = planStack(parent(), {
      ...info("UPDATE_COMPLETE", parent()),
      nested: { Shared: { packaged: null, error: "AccessDenied: s3:GetObject" } },
    });
    expect(unreadable.layers[1]).toMatchObject({ logicalId: "Shared/*", status: "not-planned" });
    expect(unreadable.layers[1]?.message).toContain("could not be read: AccessDenied: s3:GetObject");

    const noTemplate = planStack(parent(), {
      ...info("UPDATE_COMPLETE", parent()),
      nested: {
        Shared: {
          packaged: layerTemplate("NestedLibs", "new"),
          stack: { stackName: "app-Shared-1", stack: { StackStatus: "UPDATE_COMPLETE" }, deployed: null, error: "AccessDenied: GetTemplate" },
        },
      },
    });
    expect(noTemplate.layers[1]).toMatchObject({ logicalId: "Shared/NestedLibs", status: "not-planned" });
    expect(noTemplate.layers[1]?.message).toContain("AccessDenied: GetTemplate");

    const sar = planStack(parent({ ApplicationId: "arn:aws:serverlessrepo:us-east-1:1:applications/x", SemanticVersion: "1.0.0" }), info(null));
    expect(sar.layers[1]?.message).toContain("Serverless Application Repository");
  });

  it("without --stack-info, nested stacks are named as not planned (no layer goes unmentioned)", () => {
    const packaged = join(root, "nested.json");
    writeFileSync(packaged, JSON.stringify(parent()));
    const r = cli(["plan", packaged], root);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Shared/*: not planned: nested stack: its templates are read only with --stack-info");
  });
});
