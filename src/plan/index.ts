// `sam-layer plan`: will this deploy publish a new layer version? A LayerVersion is immutable, so
// CloudFormation publishes a new version whenever anything in its properties changes (for SAM
// layers, the logical id carries a hash of the properties), and above all when the packaged
// content location (the S3 key, i.e. the zip's MD5) does. Also warns about the known traps.
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserError } from "../errors.js";
import { intrinsic, parseTemplate, readTemplate, type Template } from "./template.js";

export const SAM_LAYER = "AWS::Serverless::LayerVersion";
export const CFN_LAYER = "AWS::Lambda::LayerVersion";
const FUNCTION_TYPES = ["AWS::Serverless::Function", "AWS::Lambda::Function"];

export type LayerStatus = "unchanged" | "changed" | "new" | "not-packaged";

export const MESSAGES: Record<LayerStatus, string> = {
  unchanged: "unchanged: no new layer version",
  changed: "changed: a new layer version will be published",
  new: "new: first deploy",
  "not-packaged": "not packaged: the content is a local path; run sam package or aws cloudformation package first",
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
}

export async function planFromFiles(f: PlanFiles): Promise<Plan> {
  const packaged = withResources(await readTemplate(f.packaged), f.packaged);
  const deployed = f.deployed === undefined ? undefined : unwrapDeployed(await readTemplate(f.deployed), f.deployed);
  const source = f.template === undefined ? undefined : { template: await readTemplate(f.template), dir: dirname(resolve(f.template)) };
  return planLayers({ packaged, deployed, source });
}

export function formatPlan(p: Plan, packagedShown: string): string[] {
  if (p.layers.length === 0) return [`${packagedShown}: no AWS::Serverless::LayerVersion or AWS::Lambda::LayerVersion`];
  const lines: string[] = [];
  for (const l of p.layers) {
    lines.push(`${l.logicalId}: ${l.message}`);
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
