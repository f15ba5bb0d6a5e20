// Reads the project's CircleCI configuration (.circleci/config.yml and the continued
// test-deploy.yml) into workflows whose matrix jobs are expanded to the names CircleCI gives them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { REPO } from "../support/run.js";
import { expandMatrix, fillMatrix, isMapping, list, mapping, type Mapping } from "../orb/orb-review.js";

export const SETUP_CONFIG = join(REPO, ".circleci/config.yml");
export const CONTINUED_CONFIG = join(REPO, ".circleci/test-deploy.yml");

/** YAML with merge keys (`<<: *anchor`), as CircleCI reads it. */
export function readConfig(file: string): Mapping {
  return YAML.parse(readFileSync(file, "utf8"), { merge: true }) as Mapping;
}

export interface WorkflowJob {
  /** the job it runs: a job of this config, or `alias/job` of an orb */
  job: string;
  /** the name it has in the workflow (its `name:`, or the job) */
  name: string;
  args: Mapping;
  requires: string[];
}

/** The jobs of a workflow, one per matrix combination. */
export function workflowJobs(config: Mapping, workflow: string): WorkflowJob[] {
  const entries = list(mapping(mapping(config.workflows)[workflow]).jobs);
  return entries.flatMap((entry) => {
    const job = typeof entry === "string" ? entry : (Object.keys(mapping(entry))[0] ?? "");
    const raw = isMapping(entry) ? mapping(entry[job]) : {};
    return expandMatrix(raw).map((args) => ({
      job,
      name: fillMatrix(String(raw.name ?? job), args),
      args,
      requires: list(raw.requires).map((r) => fillMatrix(String(r), args)),
    }));
  });
}

export function jobNamed(jobs: WorkflowJob[], name: string): WorkflowJob {
  const found = jobs.find((job) => job.name === name);
  if (!found) throw new Error(`no workflow job named ${name}`);
  return found;
}

/** Everything a workflow job waits for, directly or not. */
export function upstream(jobs: WorkflowJob[], name: string, seen = new Set<string>()): Set<string> {
  for (const required of jobNamed(jobs, name).requires) {
    if (seen.has(required)) continue;
    seen.add(required);
    upstream(jobs, required, seen);
  }
  return seen;
}

/** Does a CircleCI filter (`only`/`ignore`, strings or /regex/) let this branch or tag through? */
export function filterAllows(filter: unknown, kind: "branches" | "tags", value: string): boolean {
  const rules = mapping(mapping(filter)[kind]);
  const matches = (pattern: unknown) =>
    list(Array.isArray(pattern) ? pattern : [pattern]).some((p) => {
      const text = String(p);
      return text.startsWith("/") && text.endsWith("/") ? new RegExp(`^(?:${text.slice(1, -1)})$`).test(value) : text === value;
    });
  if (kind === "tags") {
    // Without a tags filter, CircleCI runs no job for a tag.
    if (rules.only === undefined && rules.ignore === undefined) return false;
  }
  if (rules.only !== undefined && !matches(rules.only)) return false;
  if (rules.ignore !== undefined && matches(rules.ignore)) return false;
  return true;
}

/** Every `run` command of a job defined in a config, in order. */
export function runCommands(config: Mapping, job: string): string[] {
  return list(mapping(mapping(config.jobs)[job]).steps)
    .map((step) => mapping(mapping(step).run))
    .filter((run) => typeof run.command === "string")
    .map((run) => String(run.command));
}
