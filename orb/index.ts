// Assembles the orb document. The config SDK generates the executor, commands and jobs; the SDK has
// no orb document, so this adds what an orb carries around them (version, description, display,
// examples, descriptions of jobs and executors) and inlines the scripts like `circleci orb pack`.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { buildCommand } from "./commands/build.js";
import { installSamCommand } from "./commands/install-sam.js";
import { planCommand } from "./commands/plan.js";
import { defaultExecutor, defaultExecutorDescription } from "./executors/default.js";
import { buildLayerDescription, buildLayerJob } from "./jobs/build-layer.js";
import { deploySamDescription, deploySamJob } from "./jobs/deploy-sam.js";

export const ORB_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ORB_FILE = path.join(ORB_DIR, "orb.yml");
export const ORB_NAMESPACE = "sam-layer";
export const ORB_NAME = "sam-layer";
/** The project's home; a placeholder until the repository is public under its final name. */
export const PROJECT_URL = "https://github.com/sam-layer/sam-layer-orb";

export const ORB_DESCRIPTION =
  "Build AWS Lambda layers for SAM applications whose zip bytes change only when their dependencies " +
  "change, so `sam package` keeps the layer's S3 key and a deploy publishes a new layer version only when " +
  "a dependency really changed. Python (pipenv, pip, poetry, uv) and Node.js (npm) layers, x86_64 and " +
  "arm64, cached by lockfile; a deploy job that plans and deploys with the SAM CLI.";

type Mapping = Record<string, unknown>;

export interface OrbDocument {
  version: 2.1;
  description: string;
  display: { home_url: string; source_url: string };
  executors: Record<string, Mapping>;
  commands: Record<string, Mapping>;
  jobs: Record<string, Mapping>;
  examples: Record<string, Mapping>;
}

export async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(ORB_DIR, "..", "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/** The orb's components as the SDK generates them, plus the descriptions the SDK cannot carry. */
function components(helperVersion: string): Pick<OrbDocument, "executors" | "commands" | "jobs"> {
  const executor = defaultExecutor();
  const build = buildCommand(helperVersion);
  const installSam = installSamCommand();
  const plan = planCommand(helperVersion);
  const jobs = [
    { job: buildLayerJob(executor, build, helperVersion), description: buildLayerDescription },
    { job: deploySamJob(executor, installSam, plan, helperVersion), description: deploySamDescription },
  ];
  return {
    executors: {
      [executor.name]: { description: defaultExecutorDescription, ...((executor.generate() as Mapping)[executor.name] as Mapping) },
    },
    commands: Object.fromEntries(
      [build, installSam, plan].map((command) => {
        const { description, parameters, steps } = command.generateContents(true);
        return [command.name, { description, parameters, steps }];
      }),
    ),
    jobs: Object.fromEntries(
      jobs.map(({ job, description }) => {
        const { parameters, ...rest } = job.generateContents(true);
        return [job.name, { description, parameters, ...rest }];
      }),
    ),
  };
}

/** Every orb/examples/*.yml, keyed by file name, as the orb's `examples`. */
export async function readExamples(dir = path.join(ORB_DIR, "examples")): Promise<Record<string, Mapping>> {
  const files = (await readdir(dir)).filter((file) => file.endsWith(".yml")).sort();
  const examples: Record<string, Mapping> = {};
  for (const file of files) {
    examples[path.basename(file, ".yml")] = YAML.parse(await readFile(path.join(dir, file), "utf8")) as Mapping;
  }
  return examples;
}

const INCLUDE = /^<<include\(([^)]+)\)>>$/;

/** Replaces each value that is exactly `<<include(path)>>` with the file, escaping `<<` as `\<<`. */
export async function inlineIncludes<T>(value: T, baseDir = ORB_DIR): Promise<T> {
  if (typeof value === "string") {
    const match = INCLUDE.exec(value);
    if (!match?.[1]) return value;
    const text = await readFile(path.join(baseDir, match[1]), "utf8");
    return text.replaceAll("<<", "\\<<") as T;
  }
  if (Array.isArray(value)) return (await Promise.all(value.map((item) => inlineIncludes(item, baseDir)))) as T;
  if (value && typeof value === "object") {
    const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await inlineIncludes(item, baseDir)] as const));
    return Object.fromEntries(entries) as T;
  }
  return value;
}

export async function buildOrb(version?: string): Promise<OrbDocument> {
  const helperVersion = version ?? (await packageVersion());
  const document: OrbDocument = {
    version: 2.1,
    description: ORB_DESCRIPTION,
    display: { home_url: PROJECT_URL, source_url: PROJECT_URL },
    ...components(helperVersion),
    examples: await readExamples(),
  };
  return inlineIncludes(document);
}

const HEADER = "# Generated by `npm run orb` from orb/*.ts, orb/scripts and orb/examples. Do not edit.\n";

export function stringifyOrb(document: OrbDocument): string {
  return HEADER + YAML.stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
}

export async function renderOrb(version?: string): Promise<string> {
  return stringifyOrb(await buildOrb(version));
}
