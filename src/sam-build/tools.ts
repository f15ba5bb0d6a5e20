// What `sam build` will need for a template, checked before it runs: the Python of each Python
// function's runtime (`python3.X` on PATH; SAM's own error does not say which function wants it),
// Node.js and npm for Node.js functions, esbuild for `BuildMethod: esbuild` (SAM installs the
// function's packages with --omit=dev, so a devDependency does not provide it). Also lists the
// manifests and lockfiles SAM builds from, which key the build cache.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { readTemplate, type Template } from "../plan/template.js";
import { shownPath } from "../shown-path.js";

/** Files SAM's builders read dependencies from, per code folder (aws-lambda-builders' workflows). */
export const MANIFESTS = [
  "requirements.txt",
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "Gemfile",
  "Gemfile.lock",
  "go.mod",
  "go.sum",
  "pom.xml",
  "build.gradle",
  "Cargo.toml",
  "Cargo.lock",
  "Makefile",
];

export interface BuildNeed {
  /** template path (as given) and logical id of the resource that needs it */
  where: string;
  tool: string;
  why: string;
}

export interface BuildTools {
  needs: BuildNeed[];
  /** templates (the given one and local nested ones) and the manifests of every code folder, sorted */
  inputs: string[];
}

type Resource = { Type?: unknown; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

function isLocal(value: unknown): value is string {
  return typeof value === "string" && !/^(s3|https?):\/\//.test(value);
}

export async function buildTools(templatePath: string): Promise<BuildTools> {
  const needs: BuildNeed[] = [];
  const inputs = new Set<string>();
  await walk(resolve(templatePath), templatePath, needs, inputs, new Set());
  return { needs, inputs: [...inputs].sort() };
}

async function walk(abs: string, shown: string, needs: BuildNeed[], inputs: Set<string>, seen: Set<string>): Promise<void> {
  if (seen.has(abs)) return;
  seen.add(abs);
  inputs.add(abs);
  const t: Template = await readTemplate(abs, shown);
  const dir = dirname(abs);
  const globals = ((t.Globals as { Function?: Record<string, unknown> } | undefined)?.Function ?? {}) as Record<string, unknown>;
  const res = t.Resources !== null && typeof t.Resources === "object" ? (t.Resources as Record<string, Resource>) : {};
  for (const [id, r] of Object.entries(res)) {
    const p = r.Properties ?? {};
    const where = `${shown}: ${id}`;
    if (r.Type === "AWS::Serverless::Application" && isLocal(p.Location)) {
      const nested = resolve(dir, p.Location);
      await walk(nested, shownPath(nested), needs, inputs, seen);
      continue;
    }
    let code: unknown;
    let runtime: unknown;
    let method = r.Metadata?.BuildMethod;
    if (r.Type === "AWS::Serverless::Function") {
      if ((p.PackageType ?? globals.PackageType) === "Image" || p.InlineCode !== undefined) continue;
      code = p.CodeUri ?? globals.CodeUri;
      runtime = p.Runtime ?? globals.Runtime;
    } else if (r.Type === "AWS::Lambda::Function") {
      if (p.PackageType === "Image") continue;
      code = p.Code;
      runtime = p.Runtime;
    } else if (r.Type === "AWS::Serverless::LayerVersion" || r.Type === "AWS::Lambda::LayerVersion") {
      // Only a layer with a BuildMethod is built; a prebuilt zip (sam-layer's) passes through.
      if (method === undefined) continue;
      code = r.Type === "AWS::Serverless::LayerVersion" ? p.ContentUri : p.Content;
      runtime = method;
      method = undefined;
    } else continue;
    if (!isLocal(code)) continue;
    const codeDir = resolve(dir, code);
    if (existsSync(codeDir) && statSync(codeDir).isDirectory()) {
      for (const name of MANIFESTS) if (existsSync(join(codeDir, name))) inputs.add(join(codeDir, name));
    }
    if (method === "esbuild") {
      needs.push({ where, tool: "node", why: "BuildMethod: esbuild" }, { where, tool: "npm", why: "BuildMethod: esbuild" });
      needs.push({ where, tool: "esbuild", why: "BuildMethod: esbuild" });
    } else if (method === "makefile") {
      needs.push({ where, tool: "make", why: "BuildMethod: makefile" });
    } else if (typeof runtime === "string") {
      const python = /^python(3\.\d+)$/.exec(runtime);
      if (python) needs.push({ where, tool: `python${python[1]}`, why: `Runtime: ${runtime}` });
      else if (/^nodejs\d+\.x$/.test(runtime))
        needs.push({ where, tool: "node", why: `Runtime: ${runtime}` }, { where, tool: "npm", why: `Runtime: ${runtime}` });
    }
  }
}

/** Whether a tool runs here (a pyenv shim of an inactive version is on PATH but does not run). */
export function toolRuns(tool: string): boolean {
  const args = tool.startsWith("python") ? ["-c", ""] : ["--version"];
  const r = spawnSync(tool, args, { stdio: "ignore", timeout: 30_000 });
  return r.status === 0;
}

function fixFor(tool: string): string {
  const python = /^python(3\.\d+)$/.exec(tool);
  if (python) {
    return `set deploy-sam's python-version to ${python[1]} (the executor image cimg/python:${python[1]}-node has it), or install Python ${python[1]} in a step before the build`;
  }
  if (tool === "node" || tool === "npm") return "use an image with Node.js (the orb's default executor has it)";
  return `install ${tool} in a step before the build`;
}

/**
 * Checks every tool; returns the ones the orb installs itself (esbuild) when missing, and throws
 * one line naming each resource whose other tool is missing, with how to fix it.
 */
export function missingTools(
  needs: BuildNeed[],
  runs: (tool: string) => boolean = toolRuns,
  installable: ReadonlySet<string> = new Set(["esbuild"]),
): string[] {
  const verdict = new Map<string, boolean>();
  const install = new Set<string>();
  const problems: string[] = [];
  for (const need of needs) {
    if (!verdict.has(need.tool)) verdict.set(need.tool, runs(need.tool));
    if (verdict.get(need.tool)) continue;
    if (installable.has(need.tool)) install.add(need.tool);
    else problems.push(`${need.where} (${need.why}) needs ${need.tool} on PATH for sam build, and there is none: ${fixFor(need.tool)}`);
  }
  if (problems.length) throw new UserError([...new Set(problems)].join("; "));
  return [...install].sort();
}
