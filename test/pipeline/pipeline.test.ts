// Our own CircleCI pipeline, checked offline (CircleCI's validator needs its servers): both config
// files parse, every job a workflow names exists, every call into our orb exists there with valid
// parameters, the integration matrix covers each package manager on both architectures, and the
// release publishes the helper to npm before the orb.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { ORB_FILE, ORB_NAME, ORB_NAMESPACE } from "../../orb/index.js";
import { REPO, run } from "../support/run.js";
import { checkOrbUsage, mapping, type Mapping } from "../orb/orb-review.js";
import {
  CONTINUED_CONFIG,
  SETUP_CONFIG,
  filterAllows,
  jobNamed,
  readConfig,
  runCommands,
  upstream,
  workflowJobs,
  type WorkflowJob,
} from "./pipeline-config.js";

const setup = readConfig(SETUP_CONFIG);
const continued = readConfig(CONTINUED_CONFIG);
const orb = YAML.parse(readFileSync(ORB_FILE, "utf8")) as Mapping;
const orbRef = `${ORB_NAMESPACE}/${ORB_NAME}`;
const DEV_ORB = `${orbRef}@dev:<< pipeline.git.revision >>`;
const RELEASE_TAG = "v1.2.3";

const setupJobs = workflowJobs(setup, "test-and-publish-dev");
const integrationJobs = workflowJobs(continued, "integration");
const deployJobs = workflowJobs(continued, "aws-deploy");

/** Problems with the jobs a workflow names: unknown jobs, unknown orbs, requires that name nothing. */
function checkWorkflow(config: Mapping, jobs: WorkflowJob[], label: string): string[] {
  const problems: string[] = [];
  const ownJobs = Object.keys(mapping(config.jobs));
  const orbs = Object.keys(mapping(config.orbs));
  const names = jobs.map((job) => job.name);
  for (const job of jobs) {
    const [alias, component] = job.job.includes("/") ? job.job.split("/") : [undefined, job.job];
    if (alias === undefined && !ownJobs.includes(job.job)) problems.push(`${label}: ${job.name} runs unknown job ${job.job}`);
    if (alias !== undefined && !orbs.includes(alias)) problems.push(`${label}: ${job.name} uses undeclared orb ${alias}`);
    if (!component) problems.push(`${label}: ${job.name} names no job`);
    for (const required of job.requires) {
      if (!names.includes(required)) problems.push(`${label}: ${job.name} requires ${required}, which is not in the workflow`);
    }
  }
  const duplicates = names.filter((name, i) => names.indexOf(name) !== i);
  for (const name of duplicates) problems.push(`${label}: two jobs are named ${name}`);
  return problems;
}

describe(".circleci/config.yml and test-deploy.yml", () => {
  it("parse: a setup config that continues with test-deploy.yml", () => {
    expect(setup.version).toBe(2.1);
    expect(setup.setup).toBe(true);
    expect(continued.version).toBe(2.1);
    expect(continued.setup).toBeUndefined();
    const cont = jobNamed(setupJobs, "continue-to-test-deploy");
    expect(cont.job).toBe("continuation/continue");
    expect(cont.args.configuration_path).toBe(".circleci/test-deploy.yml");
    expect(existsSync(join(REPO, String(cont.args.configuration_path)))).toBe(true);
  });

  it("name only jobs that exist, orbs that are declared, and requirements in the same workflow", () => {
    expect(checkWorkflow(setup, setupJobs, "test-and-publish-dev")).toEqual([]);
    expect(checkWorkflow(continued, integrationJobs, "integration")).toEqual([]);
    expect(checkWorkflow(continued, deployJobs, "aws-deploy")).toEqual([]);
  });

  it("call our orb's jobs only with parameters it has (the dev orb published from this commit)", () => {
    expect(mapping(continued.orbs)["sam-layer"]).toBe(DEV_ORB);
    expect(checkOrbUsage(continued, orb, orbRef, "test-deploy.yml")).toEqual([]);
    const ours = [...integrationJobs, ...deployJobs].filter((job) => job.job.startsWith("sam-layer/"));
    expect(new Set(ours.map((job) => job.job))).toEqual(new Set(["sam-layer/build-layer", "sam-layer/deploy-sam"]));
  });

  it("the example app's own config calls our orb validly, on its current major version", () => {
    const example = readConfig(join(REPO, "examples/classic-app/.circleci/config.yml"));
    const version = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version as string;
    expect(mapping(example.orbs)["sam-layer"]).toBe(`${orbRef}@${version.split(".")[0]}`);
    expect(checkOrbUsage(example, orb, orbRef, "examples/classic-app")).toEqual([]);
  });

  it("checkOrbUsage catches a call our orb would refuse", () => {
    const broken = structuredClone(continued);
    const entries = mapping(mapping(broken.workflows).integration).jobs as Mapping[];
    const first = mapping(entries.find((entry) => "sam-layer/build-layer" in entry)?.["sam-layer/build-layer"]);
    first.architecture = "ppc64le";
    mapping(mapping(first.matrix).parameters)["layer-folder"] = ["layer"];
    expect(checkOrbUsage(broken, orb, orbRef, "test-deploy.yml")).toEqual([
      "test-deploy.yml workflows.integration.jobs[1] sam-layer/build-layer architecture=ppc64le is not in its enum",
      "test-deploy.yml workflows.integration.jobs[1] sam-layer/build-layer passes unknown parameter layer-folder",
    ]);
  });
});

describe("the setup workflow", () => {
  it("test: Node 20 with Python, the README's test command, JUnit results stored", () => {
    const test = mapping(mapping(setup.jobs).test);
    const docker = mapping(mapping(setup.executors)[String(test.executor)]).docker as Mapping[];
    const image = String(docker[0]?.image);
    expect(image).toMatch(/^cimg\/python:3\.\d+-node$/);
    // As the image's default user (circleci), as CircleCI users run it: no `user:` override, and no
    // sudo of ours (scripts/setup.sh uses the image's only for missing Debian packages).
    expect(docker).toEqual([{ image }]);
    const steps = test.steps as unknown[];
    expect(steps).toContainEqual({ "node/install": { "node-version": "20.20" } });
    expect(runCommands(setup, "test")).toEqual(["python3 -VV > /tmp/test-python-version", "npm test"]);
    // The cached .venv links to the image's Python, so both cache keys name its exact build.
    const restore = steps.find((step) => mapping(step).restore_cache);
    const save = steps.find((step) => mapping(step).save_cache);
    const keys = [...(mapping(mapping(restore).restore_cache).keys as string[]), String(mapping(mapping(save).save_cache).key)];
    for (const key of keys) expect(key).toContain('{{ checksum "/tmp/test-python-version" }}');
    const requirements = readdirSync(REPO).filter((f) => /^requirements.*\.txt$/.test(f));
    expect(requirements).toContain("requirements-schema.txt");
    for (const key of keys) for (const file of requirements) expect(key).toContain(`{{ checksum "${file}" }}`);
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    expect(readme).toContain("npm test ");
    // Where vitest writes its JUnit report is where the job reads it.
    const vitest = readFileSync(join(REPO, "vitest.config.ts"), "utf8");
    const junit = /junit:\s*"([^"]+)"/.exec(vitest)?.[1];
    expect(steps).toContainEqual({ store_test_results: { path: junit } });
  });

  it("orb-validate: circleci orb validate, and npm run orb leaves orb/orb.yml unchanged", () => {
    expect(mapping(setup.jobs)["orb-validate"]).toBeDefined();
    const commands = runCommands(setup, "orb-validate");
    expect(commands).toContain("circleci orb validate orb/orb.yml --skip-update-check");
    expect(commands).toContain("npm run orb && git diff --exit-code -- orb/orb.yml");
    expect(mapping(setup.orbs).cli).toMatch(/^circleci\/circleci-cli@/);
  });

  it("publish-dev publishes the dev orb that test-deploy.yml imports, with the token's context, after both checks", () => {
    const publish = jobNamed(setupJobs, "publish-dev");
    expect(publish.requires.sort()).toEqual(["orb-validate", "test"]);
    expect(publish.args.context).toBe("orb-publishing");
    const step = (mapping(mapping(setup.jobs)["publish-dev"]).steps as Mapping[]).map((s) => mapping(s.run)).find((r) => r.command);
    expect(step?.command).toBe("bash .circleci/scripts/publish-orb.sh");
    expect(mapping(step?.environment).ORB_REF).toBe(DEV_ORB);
    expect(jobNamed(setupJobs, "continue-to-test-deploy").requires).toEqual(["publish-dev"]);
  });

  it("skips publishing and continuing on forks' pull requests, not on our branches, and runs every job on release tags", () => {
    for (const name of ["publish-dev", "continue-to-test-deploy"]) {
      const filters = jobNamed(setupJobs, name).args.filters;
      expect(filterAllows(filters, "branches", "pull/42"), name).toBe(false);
      expect(filterAllows(filters, "branches", "main"), name).toBe(true);
    }
    for (const name of ["test", "orb-validate"]) {
      expect(filterAllows(jobNamed(setupJobs, name).args.filters, "branches", "pull/42"), name).toBe(true);
    }
    for (const job of [...setupJobs, ...integrationJobs]) {
      expect(filterAllows(job.args.filters, "tags", RELEASE_TAG), job.name).toBe(true);
      expect(filterAllows(job.args.filters, "tags", "v1.2"), job.name).toBe(false);
    }
  });

  it("declares the AWS deploy switch in both files, off by default, and never resubmits it at continuation", () => {
    for (const config of [setup, continued]) {
      expect(mapping(mapping(config.parameters)["run-aws-deploy"])).toMatchObject({ type: "boolean", default: false });
    }
    // A value set when the pipeline is triggered carries over to the continued config; submitting
    // it again at continuation time overlaps with it, which CircleCI refuses.
    expect(jobNamed(setupJobs, "continue-to-test-deploy").args.parameters).toBeUndefined();
  });
});

describe("the integration tests with the dev orb", () => {
  const builds = integrationJobs.filter((job) => job.job === "sam-layer/build-layer");
  const firsts = builds.filter((job) => job.name.startsWith("first-"));
  const seconds = builds.filter((job) => job.name.startsWith("second-"));

  it("build each app on x86_64 and on arm64 machines: first, then second after it", () => {
    expect(firsts.length).toBe(10);
    expect(seconds.length).toBe(10);
    for (const job of builds) {
      const arch = String(job.args.architecture);
      expect(job.name).toBe(`${job.name.split("-")[0]}-${arch}-${String(job.args["app-dir"])}`);
      expect(String(job.args["resource-class"]).startsWith("arm."), job.name).toBe(arch === "arm64");
    }
    for (const second of seconds) expect(second.requires).toEqual([second.name.replace(/^second-/, "first-")]);
    const pairs = firsts.map((job) => `${String(job.args.architecture)} ${String(job.args["app-dir"])}`);
    expect(new Set(pairs).size).toBe(10);
  });

  it("use the helper bundled from this commit, a cache new to each pipeline, and record each build", () => {
    for (const job of builds) {
      expect(job.requires.length).toBe(1);
      expect(job.args.helper).toBe("node /tmp/workspace/dist/sam-layer.mjs");
      expect(job.args["cache-version"]).toBe("ci-<< pipeline.number >>");
      expect(job.args["persist-to-workspace"]).toBe(false);
      expect(JSON.stringify(job.args["pre-steps"])).toContain("capture-output.sh");
      expect(JSON.stringify(job.args["post-steps"])).toContain("record-build.sh");
    }
    for (const first of firsts) expect(first.requires).toEqual(["bundle-helper"]);
    const persisted = mapping(mapping(continued.jobs)["bundle-helper"]).steps as Mapping[];
    expect(persisted).toContainEqual({ persist_to_workspace: { root: ".", paths: ["dist/sam-layer.mjs", ".circleci/scripts"] } });
  });

  it("cover every package manager: the helper detects each app's manager", async () => {
    const detected = new Map<string, string>();
    const keyDir = mkdtempSync(join(tmpdir(), "sam-layer-pipeline-"));
    const keyFile = join(keyDir, "cache-key");
    for (const job of firsts) {
      const appDir = String(job.args["app-dir"]);
      if (detected.has(appDir)) continue;
      expect(existsSync(join(REPO, appDir)), appDir).toBe(true);
      const { stdout } = await run(
        "node",
        ["dist/sam-layer.mjs", "build", "--app-dir", appDir, "--runtime", String(job.args.runtime ?? "python3.12"), "--write-key", keyFile, "--json"],
        { cwd: REPO },
      );
      detected.set(appDir, (JSON.parse(stdout) as { pkgManager: string }).pkgManager);
    }
    rmSync(keyDir, { recursive: true, force: true });
    expect([...detected.values()].sort()).toEqual(["npm", "pip", "pipenv", "poetry", "uv"]);
  });

  it("compare every second build with its first in one follow-up job", () => {
    const compare = jobNamed(integrationJobs, "compare-builds");
    expect([...compare.requires].sort()).toEqual(seconds.map((job) => job.name).sort());
    expect(runCommands(continued, "compare-builds")).toEqual(["bash .circleci/scripts/compare-builds.sh /tmp/workspace/records"]);
  });

  it("deploy to AWS only when the pipeline parameter asks, through OIDC, from the workspace's zip", () => {
    const workflow = mapping(mapping(continued.workflows)["aws-deploy"]);
    expect(workflow.when).toBe("<< pipeline.parameters.run-aws-deploy >>");
    const deploy = deployJobs.find((job) => job.job === "sam-layer/deploy-sam");
    expect(deploy?.args.context).toBe("sam-layer-aws");
    expect(deploy?.args.auth).toEqual([{ "aws-cli/setup": { role_arn: "${AWS_ROLE_ARN}", region: "us-east-1" } }]);
    expect(mapping(continued.orbs)["aws-cli"]).toMatch(/^circleci\/aws-cli@5/);
    const build = jobNamed(deployJobs, String(deploy?.requires[0]));
    expect(build.job).toBe("sam-layer/build-layer");
    expect(build.args["app-dir"]).toBe(deploy?.args["app-dir"]);
    // No other workflow touches AWS.
    expect([...setupJobs, ...integrationJobs].some((job) => job.job.endsWith("deploy-sam"))).toBe(false);
  });
});

describe("the release", () => {
  it("runs on vX.Y.Z tags only, after the integration tests", () => {
    for (const name of ["release-npm", "release-orb"]) {
      const job = jobNamed(integrationJobs, name);
      expect(filterAllows(job.args.filters, "tags", RELEASE_TAG), name).toBe(true);
      expect(filterAllows(job.args.filters, "tags", "v1.2.3-rc.1"), name).toBe(false);
      expect(filterAllows(job.args.filters, "branches", "main"), name).toBe(false);
      expect(job.args.context).toBe("sam-layer-release");
      expect(upstream(integrationJobs, name).has("compare-builds"), name).toBe(true);
    }
  });

  it("publishes the helper to npm before the orb, and the same version", () => {
    expect(upstream(integrationJobs, "release-orb").has("release-npm")).toBe(true);
    expect(upstream(integrationJobs, "release-npm").has("release-orb")).toBe(false);
    expect(runCommands(continued, "release-npm")).toEqual([
      "bash .circleci/scripts/check-release-version.sh",
      "npm ci --no-audit --no-fund",
      "npm run build",
      "bash .circleci/scripts/npm-publish.sh",
    ]);
    expect(runCommands(continued, "release-orb")).toEqual([
      "bash .circleci/scripts/check-release-version.sh",
      'ORB_REF="sam-layer/sam-layer@${CIRCLE_TAG#v}" bash .circleci/scripts/publish-orb.sh',
    ]);
  });

  it("upstream() sees a broken order", () => {
    const swapped = integrationJobs.map((job) =>
      job.name === "release-orb" ? { ...job, requires: ["compare-builds"] } : job.name === "release-npm" ? { ...job, requires: ["release-orb"] } : job,
    );
    expect(upstream(swapped, "release-orb").has("release-npm")).toBe(false);
  });
});
