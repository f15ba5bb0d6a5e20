// The orb, checked offline: `circleci orb validate` needs CircleCI's servers, so these tests review
// orb/orb.yml the way orb-tools' review and the validator would, and prove each check can fail.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { CACHE_KEY_FILE, STAGE_DIR } from "../../orb/commands/build.js";
import { DETECTION_ORDER } from "../../src/layer-build/detect.js";
import { RUNTIMES as HELPER_RUNTIMES } from "../../src/layer-build/target.js";
import { ORB_DIR, ORB_FILE, ORB_NAME, ORB_NAMESPACE, PROJECT_URL, buildOrb, packageVersion, renderOrb } from "../../orb/index.js";
import {
  cacheSteps,
  checkCacheKeyParameters,
  checkDescriptions,
  checkDisplay,
  checkExamples,
  checkInternalReferences,
  checkLongCommands,
  checkOrbDescription,
  checkOrbUsage,
  checkParameterDefinitions,
  checkParameterUse,
  checkRunStepsNamed,
  checkScriptEnvironment,
  mapping,
  packedScript,
  parametersOf,
  readScripts,
  runSteps,
  scriptOf,
  type Mapping,
} from "./orb-review.js";

const orbText = readFileSync(ORB_FILE, "utf8");
const orb = YAML.parse(orbText) as Mapping;
const scripts = readScripts(path.join(ORB_DIR, "scripts"));
const version = JSON.parse(readFileSync(path.join(ORB_DIR, "..", "package.json"), "utf8")).version as string;
const orbRef = `${ORB_NAMESPACE}/${ORB_NAME}`;

/** A deep copy of the committed orb to break on purpose. */
function broken(edit: (copy: Mapping) => void): Mapping {
  const copy = structuredClone(orb);
  edit(copy);
  return copy;
}

function job(doc: Mapping, name: string): Mapping {
  return mapping(mapping(doc.jobs)[name]);
}

function command(doc: Mapping, name: string): Mapping {
  return mapping(mapping(doc.commands)[name]);
}

describe("orb/orb.yml", () => {
  it("parses as a version 2.1 orb with executors, commands, jobs and examples", () => {
    expect(orb.version).toBe(2.1);
    expect(Object.keys(mapping(orb.executors))).toEqual(["default"]);
    expect(Object.keys(mapping(orb.commands)).sort()).toEqual(["build", "install-sam", "plan"]);
    expect(Object.keys(mapping(orb.jobs)).sort()).toEqual(["build-layer", "deploy-sam"]);
  });

  it("is exactly what `npm run orb` generates from orb/ (the committed file is fresh)", async () => {
    expect(orbText).toBe(await renderOrb());
  });

  it("stamps package.json's version into every helper parameter default", async () => {
    const helperDefaults = (doc: Mapping) =>
      Object.values({ ...mapping(doc.commands), ...mapping(doc.jobs) })
        .map((component) => parametersOf(mapping(component)).helper)
        .filter((def) => def !== undefined)
        .map((def) => def?.default);
    expect(await packageVersion()).toBe(version);
    expect(helperDefaults(orb)).toEqual(Array(4).fill(`npx --yes sam-layer@${version}`));
    const other = (await buildOrb("9.8.7")) as unknown as Mapping;
    expect(helperDefaults(other)).toEqual(Array(4).fill("npx --yes sam-layer@9.8.7"));
  });

  it("links the project in display.home_url and display.source_url (RC001)", () => {
    expect(checkDisplay(orb, PROJECT_URL)).toEqual([]);
  });

  it("has a description of at least 64 characters (RC005)", () => {
    expect(checkOrbDescription(orb)).toEqual([]);
  });

  it("describes every job, command, executor, parameter and example (RC002)", () => {
    expect(checkDescriptions(orb)).toEqual([]);
  });

  it("references only its own component's parameters, and uses every parameter", () => {
    expect(checkParameterUse(orb)).toEqual([]);
  });

  it("has valid parameter types, enum defaults inside their enums, and no reserved job parameter names", () => {
    expect(checkParameterDefinitions(orb)).toEqual([]);
  });

  it("names every run step (RC008)", () => {
    expect(checkRunStepsNamed(orb)).toEqual([]);
  });

  it("takes every run command over 64 characters from an orb/scripts file (RC009)", () => {
    expect(checkLongCommands(orb, scripts)).toEqual([]);
  });

  it("inlines each script like `circleci orb pack`: `<<` escaped, the file otherwise unchanged", () => {
    const used = new Set(runSteps(orb).map(({ run }) => scriptOf(String(run.command), scripts)));
    expect([...used].sort()).toEqual([...scripts.keys()].sort());
    const buildCommand = runSteps(orb).find(({ run }) => run.name === "Build the layer")?.run.command as string;
    expect(buildCommand).toContain("read -r -a helper \\<<<");
    expect(buildCommand.replaceAll("\\<<", "<<")).toBe(scripts.get("build-layer.sh"));
  });

  it("gives each script exactly the PARAM_* variables its header says it reads", () => {
    expect(checkScriptEnvironment(orb, scripts)).toEqual([]);
  });

  it("calls only its own commands and executor, with valid arguments", () => {
    expect(checkInternalReferences(orb)).toEqual([]);
  });

  it("keeps environment-variable defaults out of cache keys (RC012)", () => {
    expect(checkCacheKeyParameters(orb)).toEqual([]);
  });

  it("has descriptive usage examples on the current major version (RC003, RC004, RC011)", () => {
    expect(checkExamples(orb, orbRef, version)).toEqual([]);
    expect(Object.keys(mapping(orb.examples)).length).toBeGreaterThanOrEqual(7);
  });

  it("has examples whose calls match the orb's jobs and their parameters", () => {
    const problems = Object.entries(mapping(orb.examples)).flatMap(([name, example]) =>
      checkOrbUsage(mapping(mapping(example).usage), orb, orbRef, `examples.${name}`),
    );
    expect(problems).toEqual([]);
  });
});

describe("the orb's components", () => {
  it("default executor: cimg/python:<python-version>-node with a resource class parameter", () => {
    const executor = mapping(mapping(orb.executors).default);
    expect(executor.docker).toEqual([{ image: "cimg/python:<<parameters.python-version>>-node" }]);
    expect(executor.resource_class).toBe("<<parameters.resource-class>>");
  });

  it("build-layer has the parameters issue 3 lists, plus the executor's and the helper", () => {
    expect(Object.keys(parametersOf(job(orb, "build-layer"))).sort()).toEqual(
      [
        "app-dir",
        "template",
        "pkg-manager",
        "lockfile",
        "layer-dir",
        "output",
        "runtime",
        "architecture",
        "compile-bytecode",
        "include",
        "extras",
        "installer",
        "allow-native-sdist",
        "import-check",
        "skip-imports",
        "cache-version",
        "include-branch-in-cache-key",
        "persist-to-workspace",
        "python-version",
        "resource-class",
        "helper",
      ].sort(),
    );
    const defs = parametersOf(job(orb, "build-layer"));
    // The helper's own choices, in its detection order.
    expect(defs["pkg-manager"]?.enum).toEqual(["auto", ...DETECTION_ORDER]);
    expect([...(defs["pkg-manager"]!.enum as string[])].sort()).toEqual(["auto", "npm", "pip", "pipenv", "poetry", "uv"]);
    expect(defs.architecture?.enum).toEqual(["x86_64", "arm64"]);
    expect(defs.runtime?.enum).toEqual([...HELPER_RUNTIMES]);
    expect(defs.runtime?.enum).toEqual(expect.arrayContaining(["python3.9", "python3.12", "nodejs18.x", "nodejs20.x"]));
    expect([defs["compile-bytecode"]?.default, defs["include-branch-in-cache-key"]?.default]).toEqual([false, false]);
    expect(defs["persist-to-workspace"]?.default).toBe(true);
    expect([defs["import-check"]?.default, defs["skip-imports"]?.default]).toEqual([true, ""]);
  });

  it("deploy-sam has the parameters issues 3 and 10 list, with stack-name required", () => {
    const defs = parametersOf(job(orb, "deploy-sam"));
    expect(Object.keys(defs).sort()).toEqual(
      [
        "app-dir",
        "template",
        "stack-name",
        "s3-bucket",
        "resolve-s3",
        "s3-prefix",
        "region",
        "capabilities",
        "parameter-overrides",
        "tags",
        "no-fail-on-empty-changeset",
        "sam-build",
        "build-args",
        "deploy-args",
        "config-file",
        "config-env",
        "delete-rollback-complete",
        "cache-version",
        "sam-version",
        "auth",
        "attach-workspace",
        "python-version",
        "resource-class",
        "helper",
      ].sort(),
    );
    expect("default" in mapping(defs["stack-name"])).toBe(false);
    expect(defs.auth?.type).toBe("steps");
    expect(defs["sam-version"]?.default).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("pins the SAM CLI the tests use (requirements-test.txt)", () => {
    const requirements = readFileSync(path.join(ORB_DIR, "..", "requirements-test.txt"), "utf8");
    const pinned = /^aws-sam-cli==(\S+)$/m.exec(requirements)?.[1];
    expect(parametersOf(job(orb, "deploy-sam"))["sam-version"]?.default).toBe(pinned);
  });

  it("build: cache key file written first, the layer restored with no fallback key, then saved under the same key", () => {
    const build = command(orb, "build");
    const steps = cacheSteps(build);
    const layerRestore = steps.find(({ name, args }) => name === "restore_cache" && args.name === "Restore the layer folder and zip");
    const layerSave = steps.find(({ name, args }) => name === "save_cache" && args.name === "Save the layer folder and zip");
    const keys = (layerRestore?.args.keys ?? []) as string[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toBe(
      "sam-layer-<<parameters.cache-version>>-{{ arch }}-" +
        "<<#parameters.include-branch-in-cache-key>>{{ .Branch }}-<</parameters.include-branch-in-cache-key>>" +
        `{{ checksum "${CACHE_KEY_FILE}" }}`,
    );
    expect(layerSave?.args.key).toBe(keys[0]);
    expect(layerSave?.args.paths).toEqual([
      "<<parameters.app-dir>>/<<parameters.layer-dir>>",
      "<<parameters.app-dir>>/<<parameters.output>>",
      "<<parameters.app-dir>>/<<parameters.output>>.stat.json",
      "<<parameters.app-dir>>/<<parameters.output>>.key",
    ]);
    const firstRun = mapping(mapping((build.steps as unknown[])[0]).run);
    expect(mapping(firstRun.environment).PARAM_WRITE_KEY).toBe(CACHE_KEY_FILE);
    // The download cache may fall back: a shared wheel is harmless.
    const downloads = steps.find(({ name, args }) => name === "restore_cache" && args.name === "Restore the package download cache");
    expect((downloads!.args.keys as string[]).length).toBe(2);
  });

  it("build with template: one cache of the whole .sam-layer folder, restored with a fallback to the newest of the template", () => {
    const steps = cacheSteps(command(orb, "build"));
    const restore = steps.find(({ name, args }) => name === "restore_cache" && args.name === "Restore the template's layer folders and zips");
    const save = steps.find(({ name, args }) => name === "save_cache" && args.name === "Save the template's layer folders and zips");
    const prefix =
      "sam-layer-template-<<parameters.cache-version>>-{{ arch }}-<<#parameters.include-branch-in-cache-key>>{{ .Branch }}-<</parameters.include-branch-in-cache-key>>";
    expect(restore?.args.keys).toEqual([`${prefix}{{ checksum "${CACHE_KEY_FILE}" }}`, prefix]);
    expect(save?.args.key).toBe(`${prefix}{{ checksum "${CACHE_KEY_FILE}" }}`);
    expect(save?.args.paths).toEqual(["<<parameters.app-dir>>/.sam-layer"]);
  });

  it("build: the key step and the build step run the same script with the same options", () => {
    const runs = runSteps(orb).filter(({ component }) => component.name === "build");
    const key = runs.find(({ run }) => run.name === "Write the layer cache key")?.run;
    const build = runs.find(({ run }) => run.name === "Build the layer")?.run;
    expect(key?.command).toBe(build?.command);
    const { PARAM_WRITE_KEY: _key, ...keyEnv } = mapping(key?.environment);
    // the build step also gets the folder it stages a template build's outputs in
    const { PARAM_STAGE_DIR: stage, ...buildEnv } = mapping(build?.environment);
    expect(stage).toBe(STAGE_DIR);
    expect(keyEnv).toEqual(buildEnv);
  });

  it("build-layer persists and stores the same zip path (with template, the staged folder); deploy-sam attaches the workspace at the same root", () => {
    const buildSteps = job(orb, "build-layer").steps as unknown[];
    const empty = { equal: ["", "<<parameters.template>>"] };
    const branch = (condition: unknown) => {
      const step = buildSteps.find((s) => JSON.stringify(mapping(mapping(s).when).condition) === JSON.stringify(condition));
      return mapping(mapping(step).when).steps as unknown[];
    };
    const persistWhen = (path: string, root: string) => ({
      when: { condition: "<<parameters.persist-to-workspace>>", steps: [{ persist_to_workspace: { root, paths: [path] } }] },
    });
    expect(branch(empty)).toEqual([
      persistWhen("<<parameters.app-dir>>/<<parameters.output>>", "."),
      { store_artifacts: { path: "<<parameters.app-dir>>/<<parameters.output>>" } },
    ]);
    expect(branch({ not: empty })).toEqual([persistWhen(".", STAGE_DIR), { store_artifacts: { path: STAGE_DIR } }]);
    const deploySteps = job(orb, "deploy-sam").steps as unknown[];
    expect(deploySteps[0]).toBe("checkout");
    expect(deploySteps[1]).toEqual({
      when: { condition: "<<parameters.attach-workspace>>", steps: [{ attach_workspace: { at: "." } }] },
    });
    expect(deploySteps[2]).toEqual({ steps: "<<parameters.auth>>" });
  });

  it("deploy-sam: install SAM, build, package, plan, deploy, store the packaged template, in that order", () => {
    const names = (job(orb, "deploy-sam").steps as unknown[]).map((step) => {
      const [key, value] = Object.entries(mapping(step))[0] ?? [String(step), {}];
      return key === "run" ? `run: ${String(mapping(value).name)}` : key;
    });
    expect(names).toEqual([
      "checkout",
      "when",
      "steps",
      "install-sam",
      "when",
      "run: Package with sam package",
      "plan",
      "run: Deploy with sam deploy",
      "store_artifacts",
    ]);
  });
});

describe("deploy-sam's caches (issue 10)", () => {
  const steps = () => job(orb, "deploy-sam").steps as unknown[];

  it("sam build runs under the sam-build condition: key, restore (with a fallback), build, save the cache folders", () => {
    const when = mapping(mapping(steps()[4]).when);
    expect(when.condition).toBe("<<parameters.sam-build>>");
    const [key, restore, build, save] = when.steps as Mapping[];
    expect(mapping(mapping(key).run).environment).toMatchObject({ PARAM_WRITE_KEY: "/tmp/sam-layer/sam-build-key" });
    const keys = mapping(mapping(restore).restore_cache).keys as string[];
    expect(keys).toEqual([
      'sam-layer-sam-build-<<parameters.cache-version>>-{{ arch }}-{{ checksum "/tmp/sam-layer/sam-build-key" }}',
      "sam-layer-sam-build-<<parameters.cache-version>>-{{ arch }}-",
    ]);
    expect(mapping(mapping(build).run).name).toBe("Build the functions with sam build");
    expect(mapping(save).save_cache).toEqual({
      name: "Save the sam build cache",
      key: keys[0],
      paths: ["<<parameters.app-dir>>/.aws-sam/cache", "<<parameters.app-dir>>/.aws-sam/deps", "<<parameters.app-dir>>/.aws-sam/build.toml"],
    });
  });

  it("install-sam: the SAM CLI's venv is cached under a key of the SAM version, the Python build and the machine, with no fallback", () => {
    const [key, restore, install, save] = command(orb, "install-sam").steps as Mapping[];
    expect(mapping(mapping(key).run).environment).toEqual({ PARAM_SAM_VERSION: "<<parameters.sam-version>>", PARAM_WRITE_KEY: "/tmp/sam-layer/sam-cli-key" });
    const cacheKey = 'sam-layer-sam-cli-<<parameters.cache-version>>-{{ arch }}-<<parameters.sam-version>>-{{ checksum "/tmp/sam-layer/sam-cli-key" }}';
    expect(mapping(mapping(restore).restore_cache).keys).toEqual([cacheKey]);
    expect(mapping(mapping(install).run).environment).toEqual({ PARAM_SAM_VERSION: "<<parameters.sam-version>>" });
    expect(mapping(save).save_cache).toMatchObject({ key: cacheKey, paths: ["~/.sam-layer/venvs/sam"] });
  });
});

describe("the README's orb section", () => {
  const readme = readFileSync(path.join(ORB_DIR, "..", "README.md"), "utf8");
  const section = /<!-- section:orb -->([\s\S]*?)<!-- \/section:orb -->/.exec(readme)?.[1] ?? "";
  const configs = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => YAML.parse(m[1] as string) as Mapping);

  it("documents every parameter of both jobs", () => {
    for (const name of ["build-layer", "deploy-sam"]) {
      const part = section.slice(section.indexOf(`### \`${name}\``));
      for (const parameter of Object.keys(parametersOf(job(orb, name)))) {
        expect(part, `${name} ${parameter}`).toMatch(new RegExp(`^\\| [^|]*\`${parameter}\``, "m"));
      }
    }
  });

  it("shows the adoption config, a minimal and a full config that call the orb validly, on its current major version", () => {
    expect(configs.length).toBe(3);
    for (const config of configs) {
      expect(mapping(config.orbs)["sam-layer"]).toBe(`${orbRef}@${version.split(".")[0]}`);
      expect(checkOrbUsage(config, orb, orbRef, "README")).toEqual([]);
    }
  });
});

describe("the review checks fail on a broken orb", () => {
  it("a missing display URL or a short description", () => {
    expect(
      checkDisplay(
        broken((o) => delete mapping(o.display).source_url),
        PROJECT_URL,
      ),
    ).toHaveLength(1);
    expect(checkOrbDescription(broken((o) => (o.description = "Builds layers.")))).toHaveLength(1);
  });

  it("a component, parameter or example without a description", () => {
    const doc = broken((o) => {
      delete job(o, "deploy-sam").description;
      delete mapping(parametersOf(command(o, "plan"))["stack-name"]).description;
      delete mapping(mapping(o.examples)["two-layers"]).description;
    });
    expect(checkDescriptions(doc)).toEqual([
      "commands.plan parameter stack-name has no description",
      "jobs.deploy-sam has no description",
      "examples.two-layers has no description",
    ]);
  });

  it("a reference to another component's parameter, and an unused parameter", () => {
    const doc = broken((o) => {
      const steps = command(o, "install-sam").steps as unknown[];
      steps.splice(1);
      const run = mapping(mapping(steps[0]).run);
      mapping(run.environment).PARAM_SAM_VERSION = "<< parameters.stack-name >>";
    });
    expect(checkParameterUse(doc)).toEqual([
      "commands.install-sam steps[0].run.environment.PARAM_SAM_VERSION references undefined parameter stack-name",
      "commands.install-sam parameter sam-version is never used",
      "commands.install-sam parameter cache-version is never used",
    ]);
  });

  it("an enum default outside its enum, and a reserved job parameter name", () => {
    const doc = broken((o) => {
      mapping(parametersOf(job(o, "build-layer")).runtime).default = "python2.7";
      mapping(job(o, "build-layer").parameters)["pre-steps"] = { type: "steps", default: [], description: "x" };
    });
    expect(checkParameterDefinitions(doc)).toEqual([
      "jobs.build-layer parameter runtime default python2.7 is not in its enum",
      "jobs.build-layer parameter pre-steps uses a name CircleCI reserves in job invocations",
    ]);
  });

  it("an unnamed run step and a long inline command", () => {
    const doc = broken((o) => {
      const steps = command(o, "install-sam").steps as unknown[];
      steps.push({ run: { command: "pip install --quiet aws-sam-cli==1.170.0 && sam --version && aws --version" } });
    });
    expect(checkRunStepsNamed(doc)).toEqual(["commands.install-sam steps[4] is a run step without a name"]);
    expect(checkLongCommands(doc, scripts)).toEqual(["commands.install-sam steps[4] has a 74-character command that is not an orb/scripts file"]);
  });

  it("an edited inline script, and a script given a variable it does not read", () => {
    const doc = broken((o) => {
      const run = mapping(mapping((command(o, "plan").steps as unknown[])[0]).run);
      mapping(run.environment).PARAM_TEMPLATE = "template.yaml";
      delete mapping(run.environment).PARAM_REGION;
    });
    expect(checkScriptEnvironment(doc, scripts)).toEqual([
      "commands.plan steps[0] (layer-plan.sh) sets PARAM_TEMPLATE, which the script does not read",
      "commands.plan steps[0] (layer-plan.sh) does not set PARAM_REGION",
    ]);
    const edited = broken((o) => {
      const run = mapping(mapping((command(o, "plan").steps as unknown[])[0]).run);
      run.command = String(run.command).replace("set -euo pipefail", "set -e");
    });
    expect(checkLongCommands(edited, scripts)).toHaveLength(1);
    expect(packedScript("a <<< b")).toBe("a \\<<< b");
  });

  it("an unknown command, a wrong argument, a missing required argument, a non-boolean condition", () => {
    const doc = broken((o) => {
      const steps = job(o, "deploy-sam").steps as unknown[];
      steps.push({ "install-sam-cli": {} });
      steps.push({ "install-sam": { "sam-version": "1.0.0", verbose: true } });
      steps.push({ plan: { "packaged-template": "x.yaml" } });
      steps.push({ when: { condition: "<<parameters.region>>", steps: [] } });
    });
    expect(checkInternalReferences(doc)).toEqual([
      "jobs.deploy-sam steps[9] calls unknown command install-sam-cli",
      "jobs.deploy-sam steps[10] (install-sam) passes unknown parameter verbose",
      "jobs.deploy-sam steps[11] (plan) misses required parameter stack-name",
      "jobs.deploy-sam steps[12] conditions on non-boolean parameter region",
    ]);
  });

  it("an environment-variable default in a cache key", () => {
    const doc = broken((o) => {
      mapping(parametersOf(command(o, "build"))["cache-version"]).default = "${CACHE_VERSION}";
    });
    // Two layer-cache keys, three template-cache keys (restore with its fallback, save) and three
    // download-cache keys.
    expect(checkCacheKeyParameters(doc).length).toBe(8);
  });

  it("an example on an old major version, or named 'example'", () => {
    const doc = broken((o) => {
      const examples = mapping(o.examples);
      mapping(mapping(mapping(examples["uv-lockfile"]).usage).orbs)["sam-layer"] = `${orbRef}@99`;
      examples["basic-example"] = examples["two-layers"];
    });
    expect(checkExamples(doc, orbRef, version)).toEqual([
      `examples.uv-lockfile imports sam-layer: ${orbRef}@99, expected ${orbRef}@${version.split(".")[0]}`,
      'examples.basic-example: the name should say what it shows, not "example"',
    ]);
  });

  it("an example calling a job the orb does not have, or with a bad enum value", () => {
    const usage = YAML.parse(`
version: 2.1
orbs:
  layers: ${orbRef}@0
workflows:
  main:
    jobs:
      - layers/build-layer:
          runtime: python2.7
          name: build
          requires: [x]
      - layers/deploy-sam
      - layers/build-layers
`) as Mapping;
    expect(checkOrbUsage(usage, orb, orbRef, "config")).toEqual([
      "config workflows.main.jobs[0] layers/build-layer runtime=python2.7 is not in its enum",
      "config workflows.main.jobs[1] layers/deploy-sam misses required parameter stack-name",
      "config workflows.main.jobs[2] layers/build-layers: the orb has no job build-layers",
    ]);
  });
});
