// Offline review of an orb document, after orb-tools' review checks (RC001-RC012 but RC006/7, which
// need the network, and RC010 snake_case, which the official node and python orbs opt out of too)
// plus what `circleci orb validate` would catch that we can check without CircleCI's servers.
// Each check returns a list of problems, empty when the orb passes, so a failure names what is wrong.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

export type Mapping = Record<string, unknown>;
export type ComponentKind = "executors" | "commands" | "jobs";

export const BUILTIN_STEPS = new Set([
  "checkout",
  "run",
  "when",
  "unless",
  "steps",
  "save_cache",
  "restore_cache",
  "persist_to_workspace",
  "attach_workspace",
  "store_artifacts",
  "store_test_results",
  "add_ssh_keys",
  "setup_remote_docker",
]);

/** Names CircleCI reserves in a job invocation, so a job may not define parameters with them. */
export const RESERVED_JOB_PARAMETERS = ["name", "pre-steps", "post-steps", "filters", "requires", "context", "type", "override-with", "upstream"];
/** Keys a workflow job entry may carry besides the job's own parameters. */
export const WORKFLOW_JOB_KEYS = new Set([...RESERVED_JOB_PARAMETERS, "matrix", "serial-group"]);

const PARAM_REF = /(?<!\\)<<\s*[#^/]?\s*parameters\.([A-Za-z0-9_-]+)\s*>>/g;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function mapping(value: unknown): Mapping {
  return isMapping(value) ? value : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Every string in a value, with its path, e.g. `steps[2].run.command`. */
export function strings(value: unknown, at = ""): { at: string; text: string }[] {
  if (typeof value === "string") return [{ at, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => strings(item, `${at}[${i}]`));
  if (isMapping(value)) return Object.entries(value).flatMap(([key, item]) => strings(item, at ? `${at}.${key}` : key));
  return [];
}

export function parameterRefs(text: string): string[] {
  return [...text.matchAll(PARAM_REF)].map((match) => match[1] as string);
}

export interface Component {
  kind: ComponentKind;
  name: string;
  body: Mapping;
}

export function components(orb: Mapping): Component[] {
  const kinds: ComponentKind[] = ["executors", "commands", "jobs"];
  return kinds.flatMap((kind) => Object.entries(mapping(orb[kind])).map(([name, body]) => ({ kind, name, body: mapping(body) })));
}

function label(component: Component): string {
  return `${component.kind}.${component.name}`;
}

export function parametersOf(body: Mapping): Record<string, Mapping> {
  return Object.fromEntries(Object.entries(mapping(body.parameters)).map(([name, def]) => [name, mapping(def)]));
}

/** Each step with a dotted location, descending into when/unless. */
export function walkSteps(steps: unknown, at = "steps"): { at: string; step: unknown }[] {
  return list(steps).flatMap((step, i) => {
    const here = `${at}[${i}]`;
    const own = [{ at: here, step }];
    if (!isMapping(step)) return own;
    const conditional = mapping(step.when ?? step.unless);
    return conditional.steps ? [...own, ...walkSteps(conditional.steps, `${here}.steps`)] : own;
  });
}

function stepName(step: unknown): string {
  return typeof step === "string" ? step : (Object.keys(mapping(step))[0] ?? "");
}

function stepArgs(step: unknown): Mapping {
  return isMapping(step) ? mapping(Object.values(step)[0]) : {};
}

// RC001, display URLs
export function checkDisplay(orb: Mapping, expectedUrl: string): string[] {
  const display = mapping(orb.display);
  return ["home_url", "source_url"].flatMap((key) => {
    const url = display[key];
    if (typeof url !== "string" || !/^https:\/\/\S+$/.test(url)) return [`display.${key} is not an https URL`];
    return url === expectedUrl ? [] : [`display.${key} is ${url}, expected ${expectedUrl}`];
  });
}

// RC005
export function checkOrbDescription(orb: Mapping): string[] {
  const description = orb.description;
  if (typeof description !== "string") return ["the orb has no description"];
  return description.trim().length >= 64 ? [] : [`the orb description is ${description.trim().length} characters, under 64`];
}

// RC002: components, parameters and examples described
export function checkDescriptions(orb: Mapping): string[] {
  const problems: string[] = [];
  const described = (value: unknown) => typeof value === "string" && value.trim().length > 0;
  for (const component of components(orb)) {
    if (!described(component.body.description)) problems.push(`${label(component)} has no description`);
    for (const [name, def] of Object.entries(parametersOf(component.body))) {
      if (!described(def.description)) problems.push(`${label(component)} parameter ${name} has no description`);
    }
  }
  for (const [name, example] of Object.entries(mapping(orb.examples))) {
    if (!described(mapping(example).description)) problems.push(`examples.${name} has no description`);
  }
  return problems;
}

/** Every `<<parameters.x>>` names a parameter of its own component, and every parameter is used. */
export function checkParameterUse(orb: Mapping): string[] {
  const problems: string[] = [];
  for (const component of components(orb)) {
    const defined = Object.keys(parametersOf(component.body));
    const { parameters: _definitions, ...rest } = component.body;
    const used = new Set<string>();
    for (const { at, text } of strings(rest)) {
      for (const ref of parameterRefs(text)) {
        used.add(ref);
        if (!defined.includes(ref)) problems.push(`${label(component)} ${at} references undefined parameter ${ref}`);
      }
    }
    for (const name of defined) {
      if (!used.has(name)) problems.push(`${label(component)} parameter ${name} is never used`);
    }
  }
  return problems;
}

const PARAMETER_TYPES = new Set(["string", "boolean", "integer", "enum", "executor", "steps", "env_var_name"]);

export function checkParameterDefinitions(orb: Mapping): string[] {
  const problems: string[] = [];
  for (const component of components(orb)) {
    for (const [name, def] of Object.entries(parametersOf(component.body))) {
      const where = `${label(component)} parameter ${name}`;
      if (!PARAMETER_TYPES.has(String(def.type))) problems.push(`${where} has unknown type ${String(def.type)}`);
      if (def.type === "enum") {
        const values = list(def.enum);
        if (values.length === 0) problems.push(`${where} is an enum without values`);
        if ("default" in def && !values.includes(def.default)) {
          problems.push(`${where} default ${String(def.default)} is not in its enum`);
        }
      }
      if (def.type === "boolean" && "default" in def && typeof def.default !== "boolean") {
        problems.push(`${where} default is not a boolean`);
      }
      if (def.type === "steps" && "default" in def && !Array.isArray(def.default)) {
        problems.push(`${where} default is not a list of steps`);
      }
      if (component.kind === "jobs" && RESERVED_JOB_PARAMETERS.includes(name)) {
        problems.push(`${where} uses a name CircleCI reserves in job invocations`);
      }
    }
  }
  return problems;
}

// RC008: run steps named
export function checkRunStepsNamed(orb: Mapping): string[] {
  const problems: string[] = [];
  for (const component of components(orb)) {
    for (const { at, step } of walkSteps(component.body.steps)) {
      if (stepName(step) !== "run") continue;
      const run = mapping(step).run;
      if (!isMapping(run) || typeof run.name !== "string" || !run.name.trim()) {
        problems.push(`${label(component)} ${at} is a run step without a name`);
      }
    }
  }
  return problems;
}

/** The text a script becomes once inlined, as `circleci orb pack` escapes it. */
export function packedScript(text: string): string {
  return text.replaceAll("<<", "\\<<");
}

export function readScripts(scriptsDir: string): Map<string, string> {
  return new Map(
    readdirSync(scriptsDir)
      .filter((file) => file.endsWith(".sh"))
      .sort()
      .map((file) => [file, readFileSync(path.join(scriptsDir, file), "utf8")]),
  );
}

/** The script a run command was inlined from, if any. */
export function scriptOf(command: string, scripts: Map<string, string>): string | undefined {
  for (const [file, text] of scripts) if (packedScript(text) === command) return file;
  return undefined;
}

export interface RunStep {
  component: Component;
  at: string;
  run: Mapping;
}

export function runSteps(orb: Mapping): RunStep[] {
  return components(orb).flatMap((component) =>
    walkSteps(component.body.steps)
      .filter(({ step }) => stepName(step) === "run")
      .map(({ at, step }) => ({ component, at, run: mapping(mapping(step).run) })),
  );
}

// RC009: long commands come from script files
export function checkLongCommands(orb: Mapping, scripts: Map<string, string>, maxLength = 64): string[] {
  return runSteps(orb).flatMap(({ component, at, run }) => {
    const command = String(run.command ?? "");
    if (command.length <= maxLength || scriptOf(command, scripts)) return [];
    return [`${label(component)} ${at} has a ${command.length}-character command that is not an orb/scripts file`];
  });
}

/** PARAM_* names a script says it reads (its `# Reads:` header), and which of them are optional. */
export function scriptReads(text: string): { all: string[]; optional: string[] } {
  const header = text.split("\n").filter((line) => line.startsWith("#"));
  const start = header.findIndex((line) => line.startsWith("# Reads:"));
  if (start < 0) return { all: [], optional: [] };
  const block: string[] = [header[start] as string];
  for (const line of header.slice(start + 1)) {
    if (!/^#\s{2,}/.test(line)) break;
    block.push(line);
  }
  const joined = block.join(" ");
  const all = [...joined.matchAll(/PARAM_[A-Z0-9_]+/g)].map((m) => m[0]);
  const optional = [...joined.matchAll(/(PARAM_[A-Z0-9_]+) \(optional\)/g)].map((m) => m[1] as string);
  return { all, optional };
}

/** Each run step's environment gives its script exactly the PARAM_* the script says it reads. */
export function checkScriptEnvironment(orb: Mapping, scripts: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const { component, at, run } of runSteps(orb)) {
    const file = scriptOf(String(run.command ?? ""), scripts);
    if (!file) continue;
    const reads = scriptReads(scripts.get(file) ?? "");
    const given = Object.keys(mapping(run.environment)).filter((key) => key.startsWith("PARAM_"));
    const where = `${label(component)} ${at} (${file})`;
    for (const name of given) if (!reads.all.includes(name)) problems.push(`${where} sets ${name}, which the script does not read`);
    for (const name of reads.all) {
      if (!given.includes(name) && !reads.optional.includes(name)) problems.push(`${where} does not set ${name}`);
    }
  }
  return problems;
}

function cacheKeys(step: unknown): string[] {
  const name = stepName(step);
  const args = stepArgs(step);
  if (name === "restore_cache") return [...list(args.keys).map(String), ...(args.key ? [String(args.key)] : [])];
  if (name === "save_cache") return args.key ? [String(args.key)] : [];
  return [];
}

// RC012: a parameter whose default is an environment variable never reaches a cache key (keys are
// not expanded from the environment)
export function checkCacheKeyParameters(orb: Mapping): string[] {
  const problems: string[] = [];
  for (const component of components(orb)) {
    const defs = parametersOf(component.body);
    for (const { at, step } of walkSteps(component.body.steps)) {
      for (const key of cacheKeys(step)) {
        for (const ref of parameterRefs(key)) {
          const fallback = defs[ref]?.default;
          if (typeof fallback === "string" && fallback.includes("$")) {
            problems.push(`${label(component)} ${at} cache key uses ${ref}, whose default is an environment variable`);
          }
        }
      }
    }
  }
  return problems;
}

export function cacheSteps(body: Mapping): { at: string; name: string; args: Mapping }[] {
  return walkSteps(body.steps)
    .filter(({ step }) => ["restore_cache", "save_cache"].includes(stepName(step)))
    .map(({ at, step }) => ({ at, name: stepName(step), args: stepArgs(step) }));
}

/** Arguments given to a component invocation, checked against its parameter definitions. */
export function checkArguments(where: string, args: Mapping, defs: Record<string, Mapping>, ignore = new Set<string>()): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(args)) {
    if (ignore.has(name)) continue;
    const def = defs[name];
    if (!def) {
      problems.push(`${where} passes unknown parameter ${name}`);
      continue;
    }
    const reference = typeof value === "string" && value.includes("<<");
    if (reference) continue;
    if (def.type === "enum" && !list(def.enum).includes(value)) problems.push(`${where} ${name}=${String(value)} is not in its enum`);
    if (def.type === "boolean" && typeof value !== "boolean") problems.push(`${where} ${name} is not a boolean`);
    if (def.type === "steps" && !Array.isArray(value)) problems.push(`${where} ${name} is not a list of steps`);
    if (def.type === "string" && typeof value !== "string" && typeof value !== "number") {
      problems.push(`${where} ${name} is not a string`);
    }
  }
  for (const [name, def] of Object.entries(defs)) {
    if (!("default" in def) && !(name in args)) problems.push(`${where} misses required parameter ${name}`);
  }
  return problems;
}

/** Steps calling the orb's own commands, and jobs naming its executors, with valid arguments. */
export function checkInternalReferences(orb: Mapping): string[] {
  const problems: string[] = [];
  const commands = mapping(orb.commands);
  const executors = mapping(orb.executors);
  for (const component of components(orb)) {
    const defs = parametersOf(component.body);
    for (const { at, step } of walkSteps(component.body.steps)) {
      const name = stepName(step);
      const where = `${label(component)} ${at}`;
      if (name === "steps") {
        const [ref] = parameterRefs(String(mapping(step).steps ?? ""));
        if (!ref || defs[ref]?.type !== "steps") problems.push(`${where} runs steps from a parameter that is not of type steps`);
        continue;
      }
      if (name === "when" || name === "unless") {
        const condition = mapping(mapping(step)[name]).condition;
        const [ref] = typeof condition === "string" ? parameterRefs(condition) : [];
        if (ref && defs[ref]?.type !== "boolean") problems.push(`${where} conditions on non-boolean parameter ${ref}`);
        continue;
      }
      if (BUILTIN_STEPS.has(name)) continue;
      const command = commands[name];
      if (!isMapping(command)) {
        problems.push(`${where} calls unknown command ${name}`);
        continue;
      }
      problems.push(...checkArguments(`${where} (${name})`, stepArgs(step), parametersOf(command)));
    }
    if (component.kind === "jobs") {
      const executor = component.body.executor;
      const executorName = typeof executor === "string" ? executor : String(mapping(executor).name ?? "");
      const target = executors[executorName];
      if (!isMapping(target)) {
        problems.push(`${label(component)} uses unknown executor ${executorName}`);
      } else if (isMapping(executor)) {
        const { name: _name, ...args } = executor;
        problems.push(...checkArguments(`${label(component)} executor`, args, parametersOf(target)));
      }
    }
  }
  return problems;
}

export function majorVersion(version: string): string {
  return version.split(".")[0] as string;
}

// RC003, RC004, RC011
export function checkExamples(orb: Mapping, orbRef: string, version: string): string[] {
  const problems: string[] = [];
  const examples = Object.entries(mapping(orb.examples));
  if (examples.length === 0) problems.push("the orb has no usage examples");
  const expected = `${orbRef}@${majorVersion(version)}`;
  for (const [name, example] of examples) {
    if (name.includes("example")) problems.push(`examples.${name}: the name should say what it shows, not "example"`);
    const usage = mapping(mapping(example).usage);
    if (usage.version !== 2.1) problems.push(`examples.${name} usage is not version 2.1 config`);
    const ours = Object.entries(mapping(usage.orbs)).filter(([, ref]) => String(ref).startsWith(`${orbRef}@`));
    if (ours.length === 0) problems.push(`examples.${name} does not import ${orbRef}`);
    for (const [alias, ref] of ours) {
      if (ref !== expected) problems.push(`examples.${name} imports ${alias}: ${String(ref)}, expected ${expected}`);
    }
  }
  return problems;
}

/** A workflow job's arguments once for each combination of its matrix parameters (once if it has none). */
export function expandMatrix(args: Mapping): Mapping[] {
  const { matrix, ...rest } = args;
  const parameters = Object.entries(mapping(mapping(matrix).parameters));
  return parameters.reduce<Mapping[]>(
    (combos, [name, values]) => combos.flatMap((combo) => list(values).map((value) => ({ ...combo, [name]: value }))),
    [rest],
  );
}

/** `<< matrix.x >>` in a string, filled in from one matrix combination. */
export function fillMatrix(text: string, combo: Mapping): string {
  return text.replace(/<<\s*matrix\.([A-Za-z0-9_-]+)\s*>>/g, (whole, name: string) => (name in combo ? String(combo[name]) : whole));
}

/** Every `alias/job` and `alias/command` a config calls from the given orb exists there with valid arguments. */
export function checkOrbUsage(config: Mapping, orb: Mapping, orbRef: string, where: string): string[] {
  const problems: string[] = [];
  const aliases = Object.entries(mapping(config.orbs))
    .filter(([, ref]) => typeof ref === "string" && (ref === orbRef || ref.startsWith(`${orbRef}@`)))
    .map(([alias]) => alias);
  const jobs = mapping(orb.jobs);
  const commands = mapping(orb.commands);
  const split = (name: string) => {
    const slash = name.indexOf("/");
    return slash < 0 ? undefined : { alias: name.slice(0, slash), component: name.slice(slash + 1) };
  };
  for (const [workflowName, workflow] of Object.entries(mapping(config.workflows))) {
    for (const [i, entry] of list(mapping(workflow).jobs).entries()) {
      const name = stepName(entry);
      const ref = split(name);
      if (!ref || !aliases.includes(ref.alias)) continue;
      const at = `${where} workflows.${workflowName}.jobs[${i}] ${name}`;
      const job = jobs[ref.component];
      if (!isMapping(job)) {
        problems.push(`${at}: the orb has no job ${ref.component}`);
        continue;
      }
      for (const args of expandMatrix(stepArgs(entry))) {
        for (const problem of checkArguments(at, args, parametersOf(job), WORKFLOW_JOB_KEYS)) {
          if (!problems.includes(problem)) problems.push(problem);
        }
      }
    }
  }
  for (const [jobName, job] of Object.entries(mapping(config.jobs))) {
    for (const { at, step } of walkSteps(mapping(job).steps)) {
      const ref = split(stepName(step));
      if (!ref || !aliases.includes(ref.alias)) continue;
      const command = commands[ref.component];
      const here = `${where} jobs.${jobName}.${at} ${stepName(step)}`;
      if (!isMapping(command)) problems.push(`${here}: the orb has no command ${ref.component}`);
      else problems.push(...checkArguments(here, stepArgs(step), parametersOf(command)));
    }
  }
  return problems;
}
