// Finds the layers a SAM/CloudFormation template declares, following nested applications and
// stacks whose template is a local file, and decides for each whether sam-layer can build it:
// its content must be a local folder, and its runtime (Metadata.BuildMethod, else the first
// CompatibleRuntimes) one sam-layer builds for. Everything else is listed with the reason.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isMap, isScalar, isSeq, parseDocument, type Document, type Pair, type YAMLMap } from "yaml";
import { UserError } from "../errors.js";
import { fsFailure } from "../layer/fs-error.js";
import { runtimeLanguage } from "../layer-build/target.js";
import { CFN_LAYER, SAM_LAYER } from "../plan/index.js";
import { TAGS } from "../plan/template.js";
import { pairOf } from "./edit.js";
import { shownPath } from "../shown-path.js";

/** The property that holds a layer's content, per resource type. */
const CONTENT_PROPERTY: Record<string, string> = { [SAM_LAYER]: "ContentUri", [CFN_LAYER]: "Content" };
/** The property that names a nested template, per resource type. */
const NESTED_PROPERTY: Record<string, string> = { "AWS::Serverless::Application": "Location", "AWS::CloudFormation::Stack": "TemplateURL" };
/** Metadata keys that make `sam build` build a layer; removed from the rewritten copy. */
export const BUILD_METADATA = ["BuildMethod", "BuildArchitecture"];

export interface TemplateFile {
  /** absolute */
  path: string;
  /** as shown to the user (relative to the current folder) */
  shown: string;
  text: string;
  doc: Document;
}

export interface LayerFound {
  /** logical ids from the root template down: "Common", or "Orders/Common" in a nested template */
  idPath: string;
  logicalId: string;
  type: string;
  template: TemplateFile;
  resource: YAMLMap;
  content: Pair;
  /** the content folder (absolute), when it is one */
  contentDir?: string;
  runtime?: string;
  architecture?: string;
  /** why sam-layer leaves this layer as it is */
  skip?: string;
}

export interface NestedFound {
  idPath: string;
  location: Pair;
  child: TemplateTree;
}

export interface TemplateTree {
  file: TemplateFile;
  layers: LayerFound[];
  nested: NestedFound[];
}

function readTemplateFile(path: string): TemplateFile {
  const shown = shownPath(path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw fsFailure("cannot read template", shown, err);
  }
  if (text.trim() === "") throw new UserError(`template ${shown} is empty`);
  const doc = parseDocument(text, { customTags: TAGS, uniqueKeys: false, keepSourceTokens: false });
  const error = doc.errors[0];
  if (error) throw new UserError(`cannot parse ${shown}: ${error.message.split("\n")[0]}`);
  if (!isMap(doc.contents)) throw new UserError(`${shown} is not a template (no mapping at the top)`);
  return { path, shown, text, doc };
}

/** A plain string scalar's value; undefined for intrinsics (tagged), maps, lists. */
function stringValue(node: unknown): string | undefined {
  if (!isScalar(node) || typeof node.value !== "string") return undefined;
  if (node.tag?.startsWith("!")) return undefined;
  return node.value;
}

function isLocal(path: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(path);
}

/** Reads the template at `path` and every local nested template under it. */
export function findLayers(path: string): TemplateTree {
  return walk(resolve(path), "", new Map(), []);
}

function walk(path: string, prefix: string, seen: Map<string, TemplateTree>, stack: string[]): TemplateTree {
  const file = readTemplateFile(path);
  const tree: TemplateTree = { file, layers: [], nested: [] };
  seen.set(path, tree);
  const resources = (file.doc.contents as YAMLMap).get("Resources");
  if (!isMap(resources)) return tree;
  for (const pair of resources.items) {
    const logicalId = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const resource = pair.value;
    if (logicalId === undefined || !isMap(resource)) continue;
    const type = stringValue(resource.get("Type", true));
    if (type === undefined) continue;
    const idPath = prefix + logicalId;
    const properties = resource.get("Properties");
    if (type in CONTENT_PROPERTY) {
      const content = pairOf(properties, CONTENT_PROPERTY[type]!);
      if (content) tree.layers.push(classify({ idPath, logicalId, type, template: file, resource, content }, properties as YAMLMap));
      continue;
    }
    if (type in NESTED_PROPERTY) {
      const location = pairOf(properties, NESTED_PROPERTY[type]!);
      const target = stringValue(location?.value);
      if (!location || target === undefined || !isLocal(target)) continue;
      const childPath = resolve(dirname(path), target);
      const where = `${file.shown}: ${idPath} ${NESTED_PROPERTY[type]} ${target}`;
      if (!existsSync(childPath) || !statSync(childPath).isFile()) throw new UserError(`${where}: no such template file`);
      if (stack.includes(childPath) || childPath === path) throw new UserError(`${where}: the templates nest in a loop`);
      // A template used by two nested resources is built once; both point at the same rewritten copy.
      const child = seen.get(childPath) ?? walk(childPath, `${idPath}/`, seen, [...stack, path]);
      tree.nested.push({ idPath, location, child });
    }
  }
  return tree;
}

type Partial = Omit<LayerFound, "contentDir" | "runtime" | "architecture" | "skip">;

function classify(l: Partial, properties: YAMLMap): LayerFound {
  const prop = CONTENT_PROPERTY[l.type]!;
  const uri = stringValue(l.content.value);
  if (uri === undefined) {
    const v = l.content.value;
    const s3 = isMap(v) && (v.has("Bucket") || v.has("S3Bucket") || v.has("S3Key") || v.has("Key"));
    return { ...l, skip: s3 ? `${prop} is an S3 object` : `${prop} is not a path (an intrinsic function or another form)` };
  }
  if (!isLocal(uri)) return { ...l, skip: `${prop} ${uri} is not a local folder` };
  const dir = resolve(dirname(l.template.path), uri);
  if (!existsSync(dir)) throw new UserError(`${l.template.shown}: ${l.idPath} ${prop} ${uri}: no such folder`);
  if (!statSync(dir).isDirectory()) return { ...l, skip: `${prop} ${uri} is a file, not a folder (already built)` };
  const found = { ...l, contentDir: dir };

  const metadata = l.resource.get("Metadata");
  const buildMethod = isMap(metadata) ? stringValue(metadata.get("BuildMethod", true)) : undefined;
  let runtime: string | undefined;
  if (buildMethod !== undefined) {
    if (buildMethod === "makefile") return { ...found, skip: "BuildMethod makefile: sam build runs its Makefile" };
    if (runtimeLanguage(buildMethod) === undefined) return { ...found, skip: `BuildMethod ${buildMethod} is not a runtime sam-layer builds for` };
    runtime = buildMethod;
  } else {
    const runtimes = properties.get("CompatibleRuntimes");
    const listed = isSeq(runtimes) ? runtimes.items.map(stringValue) : [];
    runtime = listed.find((r) => r !== undefined && runtimeLanguage(r) !== undefined);
    if (runtime === undefined) return { ...found, skip: "no BuildMethod, and no CompatibleRuntimes sam-layer builds for" };
  }

  const buildArch = isMap(metadata) ? metadata.get("BuildArchitecture", true) : undefined;
  const archs = properties.get("CompatibleArchitectures");
  const archNode = buildArch ?? (isSeq(archs) ? archs.items[0] : undefined);
  const architecture = archNode === undefined ? "x86_64" : stringValue(archNode);
  if (architecture !== "x86_64" && architecture !== "arm64") {
    return { ...found, runtime, skip: `architecture ${architecture ?? "(not a plain value)"} is not x86_64 or arm64` };
  }

  // Files of its own besides the lockfile (a shared-code layer) are shipped as sam build ships
  // them (src/layer-build/own-code.ts).
  return { ...found, runtime, architecture };
}

/** Every template of the tree once, root first, in the order the walk found them (a template nested twice counts once). */
export function allTemplates(tree: TemplateTree, seen = new Set<TemplateTree>()): TemplateTree[] {
  if (seen.has(tree)) return [];
  seen.add(tree);
  return [tree, ...tree.nested.flatMap((n) => allTemplates(n.child, seen))];
}
