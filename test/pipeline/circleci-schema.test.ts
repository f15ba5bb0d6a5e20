// CircleCI's own JSON schema (the one its editor tooling uses, bundled in check-jsonschema as
// vendor.circle-ci) over every CircleCI file we ship or run: the orb, each orb example's usage, our
// pipeline and the example apps' configs. Offline: `circleci orb validate` needs CircleCI's servers.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { ORB_FILE } from "../../orb/index.js";
import { isMapping, list, mapping, type Mapping } from "../orb/orb-review.js";
import { REPO, VENV_BIN } from "../support/run.js";
import { readConfig, SETUP_CONFIG } from "./pipeline-config.js";

const scratch = mkdtempSync(join(tmpdir(), "sam-layer-schema-"));

/** check-jsonschema with CircleCI's schema; a proxy that refuses every connection proves it stays offline. */
function validate(files: string[]): { status: number | null; output: string } {
  const closed = "http://127.0.0.1:9";
  const r = spawnSync(join(VENV_BIN, "check-jsonschema"), ["--builtin-schema", "vendor.circle-ci", "--color", "never", ...files], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, HTTP_PROXY: closed, HTTPS_PROXY: closed, http_proxy: closed, https_proxy: closed },
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}${r.error ?? ""}` };
}

function writeYaml(name: string, doc: unknown): string {
  const file = join(scratch, name);
  writeFileSync(file, YAML.stringify(doc));
  return file;
}

/** Whatever is there now, so a new pipeline file, example app or orb example is checked without a test change. */
function circleciFiles(): string[] {
  const pipeline = readdirSync(join(REPO, ".circleci"))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `.circleci/${f}`);
  const apps = readdirSync(join(REPO, "examples"))
    .map((app) => `examples/${app}/.circleci/config.yml`)
    .filter((f) => existsSync(join(REPO, f)));
  return [relative(REPO, ORB_FILE), ...pipeline, ...apps];
}

/** Each orb example's `usage`, a config of its own, as a file named after the example. */
function exampleUsages(): string[] {
  const examples = Object.entries(mapping(readConfig(ORB_FILE).examples));
  return examples.map(([name, example]) => writeYaml(`orb-example-${name}.yml`, mapping(example).usage));
}

describe("CircleCI's schema (check-jsonschema --builtin-schema vendor.circle-ci)", () => {
  it("accepts the orb, each orb example's usage, our pipeline and the example apps' configs", () => {
    const files = circleciFiles();
    expect(files).toEqual(
      expect.arrayContaining(["orb/orb.yml", ".circleci/config.yml", ".circleci/test-deploy.yml", "examples/classic-app/.circleci/config.yml"]),
    );
    const usages = exampleUsages();
    expect(usages.length).toBeGreaterThan(0);
    expect(validate([...files, ...usages])).toEqual({ status: 0, output: "ok -- validation done\n" });
  });

  it("rejects a misspelled step key and an unknown executor field, naming the file and the place", () => {
    // Broken copies of real files next to an unbroken copy of each: only the edit can fail them.
    const config = readConfig(SETUP_CONFIG);
    const [job, step] = firstRunStep(config);
    const run = mapping(step.run);
    step.run = Object.fromEntries(Object.entries(run).map(([k, v]) => [k === "command" ? "comand" : k, v]));
    const badStep = writeYaml("bad-step.yml", config);

    const orb = readConfig(ORB_FILE);
    const [executor, body] = Object.entries(mapping(orb.executors))[0] ?? [];
    expect(executor).toBeDefined();
    mapping(body)["resource-class"] = "large"; // the parameter's spelling; the field is resource_class
    const badExecutor = writeYaml("bad-executor.yml", orb);

    const asIs = [writeYaml("config-as-is.yml", readConfig(SETUP_CONFIG)), writeYaml("orb-as-is.yml", readConfig(ORB_FILE))];
    const r = validate([...asIs, badStep, badExecutor]);
    expect(r.status).toBe(1);
    expect(r.output).toContain(`${badStep}::$.jobs.${job}`);
    expect(r.output).toMatch(/'comand'/);
    expect(r.output).toContain(`${badExecutor}::$.executors.${executor}`);
    expect(r.output).toContain(`$.executors.${executor}: Additional properties are not allowed ('resource-class' was unexpected)`);
    for (const file of asIs) expect(r.output).not.toContain(file);
  });
});

/** The first `run:` step written as a mapping with a command, and its job's name. */
function firstRunStep(config: Mapping): [string, Mapping] {
  for (const [name, job] of Object.entries(mapping(config.jobs))) {
    for (const step of list(mapping(job).steps)) {
      if (isMapping(step) && isMapping(step.run) && "command" in step.run) return [name, step];
    }
  }
  throw new Error(`${SETUP_CONFIG} has no run step with a command`);
}
