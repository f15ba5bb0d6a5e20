// `sam-layer build --template`: builds every layer a SAM template (and its local nested templates)
// declares the `sam build` way, each with `buildLayer` into its own zip under one output folder,
// then writes a copy of each template whose layers point at those zips. The user's templates are
// never written to; in the copies only the layers' content paths, their build metadata and the
// nested templates' locations differ, byte for byte.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import { isMap, type YAMLMap } from "yaml";
import { UserError } from "../errors.js";
import { writeKeyFile } from "../key.js";
import { fsFailure } from "../layer/fs-error.js";
import { detectManager, type ManagerName } from "../layer-build/detect.js";
import { type Built, buildLayer } from "../layer-build/index.js";
import type { Installer } from "../layer-build/install.js";
import { runtimeLanguage } from "../layer-build/target.js";
import { replaceAtomically } from "../zip/atomic.js";
import { applyEdits, type Edit, pairOf, removePair, replaceScalar } from "./edit.js";
import { allTemplates, BUILD_METADATA, findLayers, type LayerFound, type TemplateTree } from "./find.js";
import { isJson, sourceHeader } from "./source.js";
import { shownPath } from "../shown-path.js";

export interface TemplateBuildOptions {
  /** the root template */
  template: string;
  /** where the zips and layer folders go; relative to the template's folder */
  outDir: string;
  /** the rewritten root template; relative to the template's folder (default <name>.sam-layer.<ext> beside it) */
  outputTemplate?: string;
  compileBytecode: boolean;
  python: string;
  /** for every Python layer (default uv) */
  installer?: Installer;
  /** for every Python layer */
  allowNativeSdist?: boolean;
  /** optional-dependency groups for every poetry or uv layer (refused when the template has none) */
  extras?: string[];
  /** the import check on each freshly installed layer (default true) and the modules it leaves out */
  importCheck?: boolean;
  skipImports?: string[];
  maxUnzippedMb: number;
  /** only write one key over every buildable layer's cache key to this file */
  writeKey?: string;
  /** only check each layer's lock and list the tools the build will run (none for layers reused from the cache) */
  neededTools?: boolean;
  log: (line: string) => void;
}

export interface LayerBuilt {
  idPath: string;
  template: string;
  status: Built["status"];
  output: string;
  md5: string;
  sha256: string;
  pkgManager: string;
  runtime: string;
  architecture: string;
  key: string;
  /** Python layers: what installs the wheels (not part of the key: the bytes are the same with either) */
  installer?: Installer;
  skippedInstall: boolean;
  warnings: string[];
}

export interface LayerLeft {
  idPath: string;
  template: string;
  reason: string;
}

export interface TemplateWritten {
  source: string;
  output: string;
  status: "written" | "unchanged";
}

export interface TemplateBuilt {
  status: "built";
  layers: LayerBuilt[];
  left: LayerLeft[];
  templates: TemplateWritten[];
}

export interface TemplateKeyWritten {
  status: "key-written";
  keyFile: string;
  key: string;
  layers: { idPath: string; key: string; pkgManager: string }[];
  left: LayerLeft[];
}

export interface TemplateToolsListed {
  status: "tools-listed";
  /** every layer's tools, once each */
  tools: string[];
  layers: { idPath: string; restored: boolean; tools: string[] }[];
  left: LayerLeft[];
}

export type TemplateBuildResult = TemplateBuilt | TemplateKeyWritten | TemplateToolsListed;

/** `template.yaml` -> `template.sam-layer.yaml` in the same folder. */
export function rewrittenName(path: string): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}.sam-layer${ext}`);
}

/** Zip and folder of a layer: <out>/<idPath>.zip and <out>/<idPath>/ (nested ids make sub-folders). */
function layerPaths(outDir: string, idPath: string): { layerDir: string; output: string } {
  const base = join(outDir, ...idPath.split("/"));
  return { layerDir: base, output: `${base}.zip` };
}

/** Layers sam-layer can build, with a manager detected from their folder; the rest with a reason. */
function sortLayers(tree: TemplateTree): { buildable: LayerFound[]; managers: Map<LayerFound, ManagerName>; left: LayerLeft[] } {
  const buildable: LayerFound[] = [];
  const managers = new Map<LayerFound, ManagerName>();
  const left: LayerLeft[] = [];
  for (const t of allTemplates(tree)) {
    for (const l of t.layers) {
      let reason = l.skip;
      if (reason === undefined) {
        try {
          managers.set(l, detectManager({ appDir: shownPath(l.contentDir!), pkgManager: "auto", language: runtimeLanguage(l.runtime!) }).manager);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          // no lockfile (sam build installs from a bare package.json or a manifest): left to sam build
          reason = err.message;
        }
      }
      if (reason === undefined) buildable.push(l);
      else left.push({ idPath: l.idPath, template: t.file.shown, reason });
    }
  }
  return { buildable, managers, left };
}

export async function buildTemplate(o: TemplateBuildOptions): Promise<TemplateBuildResult> {
  const templatePath = resolve(o.template);
  if (!existsSync(templatePath)) throw new UserError(`--template not found: ${o.template}`, 2);
  const root = dirname(templatePath);
  const outDir = resolve(root, o.outDir);
  const tree = findLayers(templatePath);
  const { buildable, managers, left } = sortLayers(tree);
  // --extras names optional-dependency groups, which only poetry and uv projects have.
  const hasExtras = (l: LayerFound) => managers.get(l) === "poetry" || managers.get(l) === "uv";
  if (o.extras?.length && !buildable.some(hasExtras)) {
    throw new UserError(`--extras is for poetry and uv layers; ${shownPath(templatePath)} has none to build`, 2);
  }
  const rootOutput = o.outputTemplate === undefined ? rewrittenName(templatePath) : resolve(root, o.outputTemplate);
  // What this build writes is never a layer's own code (a ContentUri of "." holds the output folder).
  const leaveOut = [outDir, rootOutput, ...allTemplates(tree).map((t) => rewrittenName(t.file.path))];
  const options = (l: LayerFound) => ({
    appDir: shownPath(l.contentDir!),
    pkgManager: "auto" as const,
    ownCode: true,
    leaveOut,
    ...layerPaths(outDir, l.idPath),
    runtime: l.runtime,
    architecture: l.architecture!,
    compileBytecode: o.compileBytecode && runtimeLanguage(l.runtime!) === "python",
    python: o.python,
    installer: o.installer,
    allowNativeSdist: o.allowNativeSdist,
    extras: hasExtras(l) ? o.extras : undefined,
    importCheck: o.importCheck,
    skipImports: o.skipImports,
    maxUnzippedMb: o.maxUnzippedMb,
    log: (line: string) => o.log(`${l.idPath}: ${line}`),
  });

  if (o.writeKey !== undefined) {
    const work = await mkdtemp(join(tmpdir(), "sam-layer-template-key-"));
    try {
      const layers: { idPath: string; key: string; pkgManager: string }[] = [];
      for (const l of buildable) {
        const r = await buildLayer({ ...options(l), writeKey: join(work, "key"), log: () => {} });
        layers.push({ idPath: l.idPath, key: r.key, pkgManager: r.pkgManager });
      }
      const key = templateKey(layers);
      await writeKeyFile(o.writeKey, key, "--write-key");
      return { status: "key-written", keyFile: o.writeKey, key, layers, left };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  if (o.neededTools) {
    const layers: TemplateToolsListed["layers"] = [];
    for (const l of buildable) {
      const r = await buildLayer({ ...options(l), neededTools: true });
      if (r.status !== "tools-listed") throw new Error(`buildLayer returned ${r.status} instead of the tools`);
      layers.push({ idPath: l.idPath, restored: r.restored, tools: r.tools });
    }
    return { status: "tools-listed", tools: [...new Set(layers.flatMap((l) => l.tools))], layers, left };
  }

  const built = new Map<LayerFound, LayerBuilt>();
  for (const l of buildable) {
    const r = await buildLayer(options(l));
    if (r.status === "key-written" || r.status === "tools-listed") throw new Error(`buildLayer returned ${r.status} instead of building`);
    built.set(l, {
      idPath: l.idPath,
      template: l.template.shown,
      status: r.status,
      output: r.output,
      md5: r.md5,
      sha256: r.sha256,
      pkgManager: r.pkgManager,
      runtime: r.runtime,
      architecture: r.architecture,
      key: r.key,
      ...(runtimeLanguage(r.runtime) === "python" ? { installer: r.installer } : {}),
      skippedInstall: r.skippedInstall,
      warnings: r.warnings,
    });
  }

  // Every layer is built: now the copies, children first so a parent can point at its child's copy.
  const copies = new Map<TemplateTree, string>();
  const templates: TemplateWritten[] = [];
  for (const t of allTemplates(tree).reverse()) {
    const edits: Edit[] = [];
    for (const l of t.layers) {
      const b = built.get(l);
      if (b) edits.push(...layerEdits(t.file.text, l, b.output));
    }
    for (const n of t.nested) {
      const copy = copies.get(n.child);
      if (copy !== undefined) edits.push(replaceScalar(n.location.value as never, relativePath(dirname(t.file.path), copy)));
    }
    // A template with nothing to change is used as it is (unless it is the root: its copy is what the deploy reads).
    if (edits.length === 0 && t !== tree) continue;
    const output = t === tree ? rootOutput : rewrittenName(t.file.path);
    if (output === t.file.path) throw new UserError(`--output-template would overwrite the template itself: ${shownPath(output)}`, 2);
    let text = applyEdits(t.file.text, edits);
    // The root copy is what a deploy picks up beside the template: its first line says from which
    // templates it was written, so a stale copy is refused (deploy.ts). JSON has no comments.
    if (t === tree && !isJson(text)) {
      const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
      text = bom + sourceHeader(output, tree) + text.slice(bom.length);
    }
    const status = await writeIfChanged(output, text);
    copies.set(t, output);
    templates.push({ source: t.file.shown, output: shownPath(output), status });
  }
  templates.reverse();
  return { status: "built", layers: [...built.values()], left, templates };
}

/** The content path now names the zip; BuildMethod/BuildArchitecture go (the whole Metadata when nothing else is in it). */
function layerEdits(text: string, l: LayerFound, zip: string): Edit[] {
  const edits = [replaceScalar(l.content.value as never, relativePath(dirname(l.template.path), zip))];
  const metadataPair = pairOf(l.resource, "Metadata");
  const metadata = metadataPair?.value;
  if (!metadataPair || !isMap(metadata)) return edits;
  const build = metadata.items.filter((p) => BUILD_METADATA.includes(String((p.key as { value?: unknown })?.value)));
  if (build.length === 0) return edits;
  if (build.length === metadata.items.length) edits.push(removePair(text, l.resource, metadataPair));
  else for (const p of build) edits.push(removePair(text, metadata as YAMLMap, p));
  return edits;
}

/** A relative path with forward slashes, as templates write them. */
function relativePath(from: string, to: string): string {
  return relative(from, to).split(sep).join("/");
}

async function writeIfChanged(path: string, text: string): Promise<"written" | "unchanged"> {
  try {
    if (existsSync(path) && readFileSync(path, "utf8") === text) return "unchanged";
    await mkdir(dirname(path), { recursive: true });
    await replaceAtomically(path, (fh) => fh.writeFile(text));
    return "written";
  } catch (err) {
    throw fsFailure("cannot write", shownPath(path), err);
  }
}

/**
 * One key over every built layer's own key (sorted by id), for a CI cache of the whole output
 * folder. Each layer still checks its own `<zip>.key`, so a cache restored from another key (a
 * fallback) reinstalls only the layers whose key moved.
 */
export function templateKey(layers: { idPath: string; key: string }[]): string {
  const h = createHash("sha256");
  h.update("sam-layer-template-key/1\n");
  for (const l of [...layers].sort((a, b) => (a.idPath < b.idPath ? -1 : a.idPath > b.idPath ? 1 : 0))) h.update(`${l.idPath} ${l.key}\n`);
  return h.digest("hex");
}
