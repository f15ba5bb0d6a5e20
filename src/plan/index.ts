// `sam-layer plan`: will this deploy publish a new layer version? A LayerVersion is immutable, so
// CloudFormation publishes a new version whenever anything in its properties changes (for SAM
// layers, the logical id carries a hash of the properties), and above all when the packaged
// content location (the S3 key, i.e. the zip's MD5) does. Also warns about the known traps.
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { UserError } from "../errors.js";
import { type NestedInfo, requireSettled, type StackInfo, type StackState } from "./stack.js";
import { intrinsic, parseTemplate, readTemplate, type Template } from "./template.js";

export const SAM_LAYER = "AWS::Serverless::LayerVersion";
export const CFN_LAYER = "AWS::Lambda::LayerVersion";
const FUNCTION_TYPES = ["AWS::Serverless::Function", "AWS::Lambda::Function"];

export type LayerStatus = "unchanged" | "changed" | "new" | "not-packaged" | "not-planned";

export const MESSAGES: Record<LayerStatus, string> = {
  unchanged: "unchanged: no new layer version",
  changed: "changed: a new layer version will be published",
  new: "new: first deploy",
  "not-packaged": "not packaged: the content is a local path; run sam package or aws cloudformation package first",
  "not-planned": "not planned",
};

export interface ContentLocation {
  /** s3://bucket/key[?versionId=...] when it is one, else the JSON of what the template holds */
  text: string;
  bucket?: unknown;
  key?: unknown;
  version?: unknown;
  /** a local path: the template was not packaged */
  local?: string;
}

export interface LayerPlan {
  logicalId: string;
  type: string;
  status: LayerStatus;
  message: string;
  packaged: ContentLocation;
  deployed?: ContentLocation;
  /** the deployed resource it was compared with (differs from logicalId in a processed template) */
  deployedId?: string;
  /** properties other than the content that differ (each of them also means a new version) */
  changedProperties: string[];
}

export interface Plan {
  firstDeploy: boolean;
  /** the stack's state, when the plan was given --stack-info */
  stack?: StackState;
  layers: LayerPlan[];
  warnings: string[];
}

type Resource = { Type?: unknown; Properties?: Record<string, unknown>; DeletionPolicy?: unknown; UpdateReplacePolicy?: unknown };

function resources(t: Template): Record<string, Resource> {
  const r = t.Resources;
  return r !== null && typeof r === "object" && !Array.isArray(r) ? (r as Record<string, Resource>) : {};
}

function isLayer(r: Resource): boolean {
  return r.Type === SAM_LAYER || r.Type === CFN_LAYER;
}

function contentOf(r: Resource): unknown {
  return r.Type === SAM_LAYER ? r.Properties?.ContentUri : r.Properties?.Content;
}

/** Every form the two resource types accept, reduced to bucket/key/version. */
export function contentLocation(value: unknown): ContentLocation {
  if (typeof value === "string") {
    const m = /^s3:\/\/([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(value);
    if (m) return { text: value, bucket: m[1], key: m[2], version: m[3] };
    return { text: value, local: value };
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value) && intrinsic(value) === undefined) {
    const o = value as Record<string, unknown>;
    const bucket = o.Bucket ?? o.S3Bucket;
    const key = o.Key ?? o.S3Key;
    const version = o.Version ?? o.S3ObjectVersion;
    if (bucket !== undefined || key !== undefined) {
      const text =
        typeof bucket === "string" && typeof key === "string"
          ? `s3://${bucket}/${key}${typeof version === "string" ? `?versionId=${version}` : ""}`
          : canonical(value);
      return { text, bucket, key, version };
    }
  }
  return { text: canonical(value) };
}

function sameLocation(a: ContentLocation, b: ContentLocation): boolean {
  if (a.local !== undefined || b.local !== undefined) return a.text === b.text;
  if (a.bucket === undefined && a.key === undefined) return a.text === b.text;
  return canonical(a.bucket) === canonical(b.bucket) && canonical(a.key) === canonical(b.key) && canonical(a.version ?? null) === canonical(b.version ?? null);
}

/** JSON with sorted keys: equal values give equal text whatever their key order. */
function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_, v: unknown) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
    ) ?? "null"
  );
}

/**
 * The deployed resource for a packaged layer: same logical id (the Original stage of a stack's
 * template), or for a SAM layer compared with a Processed template, the AWS::Lambda::LayerVersion
 * whose id is the SAM id plus SAM's 10-character hash.
 */
function findDeployed(id: string, layer: Resource, deployed: Record<string, Resource>): [string, Resource] | undefined {
  const same = deployed[id];
  if (same && isLayer(same)) return [id, same];
  if (layer.Type !== SAM_LAYER) return undefined;
  const processed = Object.entries(deployed).filter(([did, r]) => r.Type === CFN_LAYER && new RegExp(`^${id}[0-9a-f]{10}$`).test(did));
  return processed.length === 1 ? processed[0] : undefined;
}

function changedProperties(a: Resource, b: Resource): string[] {
  const content = a.Type === SAM_LAYER ? "ContentUri" : "Content";
  const pa = a.Properties ?? {};
  const pb = b.Properties ?? {};
  const names = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].filter((n) => n !== content).sort();
  return names.filter((n) => canonical(pa[n] ?? null) !== canonical(pb[n] ?? null));
}

export interface PlanInput {
  packaged: Template;
  /** the deployed stack's template; undefined for a first deploy */
  deployed?: Template;
  /** the source template and its folder, to check ContentUri folders */
  source?: { template: Template; dir: string };
}

export function planLayers(input: PlanInput): Plan {
  const plan = planOwnLayers(input);
  // Without the stack's nested templates (--stack-info), nested stacks' layers are named, not planned.
  for (const [id, nested] of nestedStacks(input.packaged)) {
    plan.layers.push(notPlanned(id, nested.type, "nested stack: its templates are read only with --stack-info (deploy-sam's plan step does this)"));
  }
  return plan;
}

function planOwnLayers(input: PlanInput): Plan {
  const packaged = resources(input.packaged);
  const deployed = input.deployed ? resources(input.deployed) : undefined;
  const layers: LayerPlan[] = [];
  for (const [id, r] of Object.entries(packaged)) {
    if (!isLayer(r)) continue;
    const loc = contentLocation(contentOf(r));
    const base = { logicalId: id, type: String(r.Type), packaged: loc, changedProperties: [] as string[] };
    if (loc.local !== undefined) {
      layers.push({ ...base, status: "not-packaged", message: MESSAGES["not-packaged"] });
      continue;
    }
    const match = deployed ? findDeployed(id, r, deployed) : undefined;
    if (!match) {
      const message = deployed ? "new: not in the deployed stack; its first version will be published" : MESSAGES.new;
      layers.push({ ...base, status: "new", message });
      continue;
    }
    const [deployedId, old] = match;
    const oldLoc = contentLocation(contentOf(old));
    // A processed template has other property names (Content vs ContentUri): compare the content only.
    const props = old.Type === r.Type ? changedProperties(r, old) : [];
    const same = sameLocation(loc, oldLoc) && props.length === 0;
    const status: LayerStatus = same ? "unchanged" : "changed";
    layers.push({ ...base, status, message: MESSAGES[status], deployed: oldLoc, deployedId, changedProperties: props });
  }
  return { firstDeploy: input.deployed === undefined, layers, warnings: warnings(input) };
}

function warnings(input: PlanInput): string[] {
  const out: string[] = [];
  const packaged = resources(input.packaged);
  const params =
    input.packaged.Parameters !== null && typeof input.packaged.Parameters === "object" ? (input.packaged.Parameters as Record<string, unknown>) : {};

  if (input.source) {
    for (const [id, r] of Object.entries(resources(input.source.template))) {
      if (!isLayer(r)) continue;
      const uri = contentOf(r);
      if (typeof uri !== "string" || uri.startsWith("s3://")) continue;
      const path = resolve(input.source.dir, uri);
      if (existsSync(path) && statSync(path).isDirectory()) {
        const prop = r.Type === SAM_LAYER ? "ContentUri" : "Content";
        out.push(
          `${id}: ${prop} ${uri} is a folder: aws cloudformation package zips it with file times and modes, so its S3 key, and the layer version, change on every build; point ${prop} at the zip sam-layer build writes, or let sam-layer build --template build every such layer and deploy the copy of the template it writes`,
        );
      }
    }
  }

  for (const [id, r] of Object.entries(packaged)) {
    if (r.Type === SAM_LAYER && r.Properties?.RetentionPolicy === "Delete") {
      out.push(
        `${id}: RetentionPolicy Delete removes the previous layer version after an update, so a rollback to the previous template publishes it again as a new version`,
      );
    }
    if (r.Type === CFN_LAYER && r.UpdateReplacePolicy !== "Retain") {
      out.push(
        `${id}: without UpdateReplacePolicy: Retain, CloudFormation deletes the previous layer version after an update, so a rollback to the previous template publishes it again as a new version`,
      );
    }
  }

  const functions: [string, unknown][] = [];
  const globals = (input.packaged.Globals as { Function?: { Layers?: unknown } } | undefined)?.Function?.Layers;
  if (globals !== undefined) functions.push(["Globals.Function", globals]);
  for (const [id, r] of Object.entries(packaged)) if (FUNCTION_TYPES.includes(String(r.Type))) functions.push([id, r.Properties?.Layers]);
  for (const [fn, layers] of functions) {
    if (!Array.isArray(layers)) continue;
    for (const item of layers) {
      const imported = findIntrinsic(item, "ImportValue");
      if (imported !== undefined) {
        out.push(
          `${fn}: layer from Fn::ImportValue ${describe(imported)}: the exporting stack cannot change an export in use, and this stack's rollbacks do not bring its layer back (rollback drift); !Ref a LayerVersion in this template instead`,
        );
        continue;
      }
      const param = parameterRef(item, params);
      if (param !== undefined) {
        out.push(
          `${fn}: layer ARN from parameter ${param}: the layer version is chosen outside this stack, so deploys and rollbacks can leave functions on a version nobody tracks (rollback drift); !Ref a LayerVersion in this template instead`,
        );
      }
    }
  }
  return out;
}

function findIntrinsic(value: unknown, name: string): unknown {
  const i = intrinsic(value);
  if (i?.[0] === name) return i[1];
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) {
      const found = findIntrinsic(v, name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The parameter a Layers item takes its ARN from: !Ref Param, or !Sub "...${Param}...". */
function parameterRef(item: unknown, params: Record<string, unknown>): string | undefined {
  const i = intrinsic(item);
  if (!i) return undefined;
  if (i[0] === "Ref" && typeof i[1] === "string" && i[1] in params) return i[1];
  if (i[0] === "Sub") {
    const text = typeof i[1] === "string" ? i[1] : Array.isArray(i[1]) && typeof i[1][0] === "string" ? i[1][0] : "";
    for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)) if (m[1]! in params) return m[1];
  }
  return undefined;
}

function describe(v: unknown): string {
  return typeof v === "string" ? v : canonical(v);
}

/** A deployed template as `aws cloudformation get-template` gives it, or the template itself. */
export function unwrapDeployed(t: Template, shown: string): Template {
  if ("TemplateBody" in t) {
    const body = t.TemplateBody;
    if (typeof body === "string") return unwrapDeployed(parseTemplate(body, `${shown} (TemplateBody)`), shown);
    if (body !== null && typeof body === "object" && !Array.isArray(body)) return body as Template;
    throw new UserError(`${shown}: TemplateBody is neither a template nor a string`);
  }
  return withResources(t, shown);
}

function withResources(t: Template, shown: string): Template {
  if (t.Resources === undefined || t.Resources === null || typeof t.Resources !== "object") {
    throw new UserError(`${shown} has no Resources: not a CloudFormation template`);
  }
  return t;
}

export interface PlanFiles {
  packaged: string;
  deployed?: string;
  template?: string;
  /** the JSON the deploy's fetcher writes (StackInfo); instead of deployed */
  stackInfo?: string;
  deleteRollbackComplete?: boolean;
}

export async function planFromFiles(f: PlanFiles): Promise<Plan> {
  const packaged = withResources(await readTemplate(f.packaged), f.packaged);
  const source = f.template === undefined ? undefined : { template: await readTemplate(f.template), dir: dirname(resolve(f.template)) };
  if (f.stackInfo !== undefined) {
    if (f.deployed !== undefined) throw new UserError("give either --deployed or --stack-info, not both", 2);
    return planStack(packaged, await readStackInfo(f.stackInfo), source, f.deleteRollbackComplete);
  }
  const deployed = f.deployed === undefined ? undefined : unwrapDeployed(await readTemplate(f.deployed), f.deployed);
  return planLayers({ packaged, deployed, source });
}

export async function readStackInfo(file: string): Promise<StackInfo> {
  let info: unknown;
  try {
    info = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new UserError(`${file}: not the stack information JSON (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`);
  }
  if (info === null || typeof info !== "object" || typeof (info as StackInfo).stackName !== "string" || !("stack" in info)) {
    throw new UserError(`${file}: not the stack information JSON (needs stackName and stack)`);
  }
  return info as StackInfo;
}

export function formatPlan(p: Plan, packagedShown: string): string[] {
  const lines: string[] = p.stack ? [p.stack.message] : [];
  if (p.layers.length === 0) return [...lines, `${packagedShown}: no AWS::Serverless::LayerVersion or AWS::Lambda::LayerVersion`];
  for (const l of p.layers) {
    lines.push(`${l.logicalId}: ${l.message}`);
    if (l.status === "not-planned") continue;
    if (l.status === "changed") {
      if (l.deployed && l.deployed.text !== l.packaged.text) lines.push(`  content: ${l.deployed.text} -> ${l.packaged.text}`);
      if (l.changedProperties.length) lines.push(`  properties: ${l.changedProperties.join(", ")}`);
    } else {
      lines.push(`  content: ${l.packaged.text}`);
    }
  }
  for (const w of p.warnings) lines.push(`warning: ${w}`);
  return lines;
}

export const NESTED_APPLICATION = "AWS::Serverless::Application";
export const NESTED_STACK = "AWS::CloudFormation::Stack";

interface NestedResource {
  type: string;
  /** the packaged template's URL; undefined for a Serverless Application Repository app */
  location?: string;
}

/** Nested stacks of a packaged template: SAM applications and CloudFormation stacks. */
export function nestedStacks(t: Template): [string, NestedResource][] {
  const out: [string, NestedResource][] = [];
  for (const [id, r] of Object.entries(resources(t))) {
    if (r.Type === NESTED_APPLICATION) {
      const loc = r.Properties?.Location;
      out.push([id, { type: NESTED_APPLICATION, location: typeof loc === "string" ? loc : undefined }]);
    } else if (r.Type === NESTED_STACK) {
      const url = r.Properties?.TemplateURL;
      out.push([id, { type: NESTED_STACK, location: typeof url === "string" ? url : undefined }]);
    }
  }
  return out;
}

/** A layer (or, with `/*`, every layer of a nested stack) the plan could not compare. */
function notPlanned(id: string, type: string, reason: string, wholeStack = true): LayerPlan {
  return {
    logicalId: wholeStack ? `${id}/*` : id,
    type,
    status: "not-planned",
    message: `not planned: ${reason}`,
    packaged: { text: "" },
    changedProperties: [],
  };
}

function prefixed(prefix: string, plan: Plan): LayerPlan[] {
  return plan.layers.map((l) => ({ ...l, logicalId: `${prefix}/${l.logicalId}` }));
}

/**
 * The plan of a packaged template against a stack as the deploy's fetcher read it (orb/scripts/layer-plan.sh):
 * the stack's state first (a stack CloudFormation would refuse to update is an error, never "unchanged"),
 * then its layers, then each nested stack's layers against the nested stack's own deployed template.
 */
export function planStack(packaged: Template, info: StackInfo, source?: PlanInput["source"], deleteRollbackComplete = false): Plan {
  const state = requireSettled(info, deleteRollbackComplete);
  const deployed = state.action === "first-deploy" ? undefined : deployedTemplate(info);
  const plan = planOwnLayers({ packaged, deployed, source });
  plan.stack = state;
  for (const [id, nested] of nestedStacks(packaged)) {
    plan.layers.push(...planNested(id, nested, info.nested?.[id], deployed !== undefined));
    const n = info.nested?.[id];
    if (n?.packaged) plan.warnings.push(...planOwnLayers({ packaged: n.packaged }).warnings.map((w) => `${id}/${w}`));
  }
  return plan;
}

function planNested(id: string, nested: NestedResource, info: NestedInfo | undefined, parentDeployed: boolean): LayerPlan[] {
  if (nested.location === undefined) {
    return [
      notPlanned(
        id,
        nested.type,
        "an application from the Serverless Application Repository (or a Location that is not a URL): its layers are not in this template",
      ),
    ];
  }
  if (!info?.packaged) {
    return [notPlanned(id, nested.type, `the packaged nested template ${nested.location} could not be read${info?.error ? `: ${info.error}` : ""}`)];
  }
  const packaged = withResources(info.packaged, `${id} (${nested.location})`);
  if (!parentDeployed || info.stack === undefined || info.stack.stack === null) {
    // A nested stack the deployed parent does not have yet: its layers are all new.
    const first = planOwnLayers({ packaged });
    const layers = prefixed(id, first);
    if (parentDeployed)
      for (const l of layers) if (l.status === "new") l.message = "new: the nested stack is not in the deployed stack; its first version will be published";
    return [...layers, ...nestedOf(id, packaged, info.stack, false)];
  }
  if (info.stack.deployed === null) {
    return planOwnLayers({ packaged }).layers.map((l) =>
      notPlanned(`${id}/${l.logicalId}`, l.type, `the nested stack's template could not be read${info.stack?.error ? `: ${info.stack.error}` : ""}`, false),
    );
  }
  const plan = planStack(packaged, info.stack);
  return prefixed(id, plan);
}

function nestedOf(id: string, packaged: Template, stack: StackInfo | undefined, parentDeployed: boolean): LayerPlan[] {
  return nestedStacks(packaged).flatMap(([childId, child]) =>
    prefixed(id, { firstDeploy: true, layers: planNested(childId, child, stack?.nested?.[childId], parentDeployed), warnings: [] }),
  );
}

function deployedTemplate(info: StackInfo): Template {
  if (info.deployed === null) throw new UserError(`could not read the template of stack ${info.stackName}${info.error ? `: ${info.error}` : ""}`);
  const shown = `the deployed template of stack ${info.stackName}`;
  if (typeof info.deployed === "string") return unwrapDeployed(parseTemplate(info.deployed, shown), shown);
  return unwrapDeployed(info.deployed, shown);
}
