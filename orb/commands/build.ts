// The `build` command: the layer build with its caches, usable in any job; the build-layer job is
// checkout + this + workspace/artifacts. The build itself is `sam-layer build`; these steps only
// key, restore and save the caches around it.
import CircleCI from "@circleci/circleci-config-sdk";
import { DETECTION_ORDER } from "../../src/layer-build/detect.js";
import { ARCHITECTURES as HELPER_ARCHITECTURES, RUNTIMES as HELPER_RUNTIMES } from "../../src/layer-build/target.js";
import { defineHelperParameter } from "../helper.js";
import { paramEnv, param, scriptStep, WhenSet, type ParameterList, type Step } from "../sdk-gaps.js";

type CommandLiteral = CircleCI.types.parameter.literals.CommandParameterLiteral;

// The choices are the helper's own, so the orb can never offer what `sam-layer build` refuses.
export const RUNTIMES = [...HELPER_RUNTIMES];
export const ARCHITECTURES = [...HELPER_ARCHITECTURES];
export const PKG_MANAGERS = ["auto", ...DETECTION_ORDER];
const LOCKFILE_NAMES: Record<string, string> = {
  uv: "uv.lock",
  poetry: "poetry.lock",
  pipenv: "Pipfile.lock",
  pip: "requirements.txt",
  npm: "package-lock.json",
};
const DETECTION = DETECTION_ORDER.map((manager) => `${LOCKFILE_NAMES[manager] ?? "?"} (${manager})`).join(", ");

/** The file `sam-layer build --write-key` writes and the cache keys checksum. */
export const CACHE_KEY_FILE = "/tmp/sam-layer/cache-key";

/** Where build-layer.sh copies a template build's zips and rewritten templates for the workspace. */
export const STAGE_DIR = "/tmp/sam-layer/workspace";
/** A template build's output folder, relative to app-dir (build-layer.sh passes it as --out-dir). */
export const TEMPLATE_OUT_DIR = ".sam-layer";

/** The build's parameters in the order they are defined; the build-layer job passes them all on. */
export const BUILD_PARAMETERS = [
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
  "helper",
] as const;

export function defineBuildParameters(list: ParameterList, helperVersion: string): void {
  list.define("app-dir", "string", ".", "Folder of the SAM application (template, lockfile), relative to the checkout.");
  list.define(
    "template",
    "string",
    "",
    "A SAM template, relative to app-dir: build every layer it (and its local nested templates) declares the sam build way " +
      "(a folder with a lockfile and Metadata.BuildMethod) into app-dir/.sam-layer, and write a copy of each template " +
      "(<name>.sam-layer.yaml beside it) that points at the zips. The template is not changed; the one-layer parameters " +
      "(pkg-manager, lockfile, layer-dir, output, runtime, architecture) are not used.",
  );
  list.define(
    "pkg-manager",
    "enum",
    "auto",
    `Package manager whose lockfile pins the layer. auto picks the first lockfile found in app-dir, in this order: ${DETECTION}.`,
    PKG_MANAGERS,
  );
  list.define("lockfile", "string", "", "Lockfile to use instead of the package manager's default name, relative to app-dir (e.g. requirements/lambda.txt).");
  list.define(
    "layer-dir",
    "string",
    "layer",
    "Folder the dependencies are installed into (python/ or nodejs/ inside it), relative to app-dir. Cached between builds.",
  );
  list.define("output", "string", "layer.zip", "The layer zip, relative to app-dir; the template's ContentUri must name this file.");
  list.define("runtime", "enum", "python3.12", "Lambda runtime the layer is built for; wheels are chosen for it, not for the build machine.", RUNTIMES);
  list.define("architecture", "enum", "x86_64", "Lambda architecture the layer is built for (manylinux wheels for x86_64 or aarch64).", ARCHITECTURES);
  list.define("compile-bytecode", "boolean", false, "Precompile .pyc files reproducibly (faster cold starts). Needs python-version equal to the runtime's.");
  list.define(
    "include",
    "string",
    "",
    "Folders of your own modules to copy into the layer, space-separated DIR[:DEST] (relative to app-dir; DEST inside python/ or nodejs/node_modules/). Part of the cache key.",
  );
  list.define("extras", "string", "", "Optional-dependency groups of a poetry or uv project to include, space-separated. Part of the cache key.");
  list.define("installer", "enum", "uv", "Installs the wheels: uv (default; sdists, local packages, VCS) or pip (wheels only). The layer bytes are the same.", [
    "uv",
    "pip",
  ]);
  list.define(
    "allow-native-sdist",
    "boolean",
    false,
    "Keep a package compiled from its sdist with native code. Only when the build machine is the target " +
      "(its architecture, e.g. resource-class arm.medium for arm64, and python-version equal to the runtime's).",
  );
  list.define(
    "import-check",
    "boolean",
    true,
    "After an install, import every top-level module of the layer on an interpreter of the runtime (python3.X or node " +
      "of its major version, on the image) before the layer is replaced; a module that fails stops the build. " +
      "Skipped, with a line saying why, when the image has no such interpreter.",
  );
  list.define(
    "skip-imports",
    "string",
    "",
    "Space-separated modules (Node.js: packages) the import check leaves out, e.g. ones that need Lambda's environment or the network at import time.",
  );
  list.define(
    "cache-version",
    "string",
    "v1",
    "Change it to start from empty caches. Safe to leave: the cache key already covers the lockfile, " +
      "runtime, architecture, package manager and helper version.",
  );
  list.define(
    "include-branch-in-cache-key",
    "boolean",
    false,
    "Keep each branch's caches apart. Not needed for correctness: the same key always gives the same layer.",
  );
  defineHelperParameter(list, helperVersion);
}

const BRANCH = "<<#parameters.include-branch-in-cache-key>>{{ .Branch }}-<</parameters.include-branch-in-cache-key>>";
const KEY_PREFIX = `${param("cache-version")}-{{ arch }}-${BRANCH}`;
// No fallback key for the layer: a folder built from another lockfile must never be reused.
const LAYER_CACHE_KEY = `sam-layer-${KEY_PREFIX}{{ checksum "${CACHE_KEY_FILE}" }}`;
// A template build caches all its layers in one folder under one key over the layers' own keys. It
// may fall back to the newest cache of the template: each layer reuses its restored folder only when
// its own <zip>.key matches, so only the layers whose key moved are installed again.
const TEMPLATE_CACHE_PREFIX = `sam-layer-template-${KEY_PREFIX}`;
const TEMPLATE_CACHE_KEY = `${TEMPLATE_CACHE_PREFIX}{{ checksum "${CACHE_KEY_FILE}" }}`;
// Downloaded wheels and npm tarballs are safe to share, so this one may fall back.
const DOWNLOAD_CACHE_PREFIX = `sam-layer-downloads-${KEY_PREFIX}`;
const DOWNLOAD_CACHE_PATHS = ["~/.cache/pip", "~/.npm"];

function appPath(parameter: string, suffix = ""): string {
  return `${param("app-dir")}/${param(parameter)}${suffix}`;
}

// Only the cache steps read these; every other build parameter reaches build-layer.sh.
const CACHE_ONLY: ReadonlySet<string> = new Set(["cache-version", "include-branch-in-cache-key"]);

// Only the build step reads these: which tools a build needs does not depend on them.
const BUILD_STEP_ONLY: ReadonlySet<string> = new Set(["allow-native-sdist", "import-check", "skip-imports"]);

function buildEnv(): Record<string, string> {
  return paramEnv(...BUILD_PARAMETERS.filter((name) => !CACHE_ONLY.has(name)));
}

function toolsEnv(): Record<string, string> {
  return paramEnv(...BUILD_PARAMETERS.filter((name) => !CACHE_ONLY.has(name) && !BUILD_STEP_ONLY.has(name)));
}

function buildSteps(): Step[] {
  const { Restore, Save } = CircleCI.commands.cache;
  return [
    scriptStep("Write the layer cache key", "build-layer.sh", { ...buildEnv(), PARAM_WRITE_KEY: CACHE_KEY_FILE }),
    new WhenSet("template", [new Restore({ name: "Restore the layer folder and zip", keys: [LAYER_CACHE_KEY] })], false),
    new WhenSet("template", [new Restore({ name: "Restore the template's layer folders and zips", keys: [TEMPLATE_CACHE_KEY, TEMPLATE_CACHE_PREFIX] })]),
    new Restore({
      name: "Restore the package download cache",
      keys: [`${DOWNLOAD_CACHE_PREFIX}{{ checksum "${CACHE_KEY_FILE}" }}`, DOWNLOAD_CACHE_PREFIX],
    }),
    // After the restore: a layer restored for this key needs no tool (the helper checks the lock
    // itself), so pipenv/poetry and uv are installed on a cache miss only.
    scriptStep("Install the package manager and uv (cache miss only)", "install-pkg-tool.sh", toolsEnv()),
    scriptStep("Build the layer", "build-layer.sh", { ...buildEnv(), PARAM_STAGE_DIR: STAGE_DIR }),
    new WhenSet(
      "template",
      [
        new Save({
          name: "Save the layer folder and zip",
          key: LAYER_CACHE_KEY,
          paths: [appPath("layer-dir"), appPath("output"), appPath("output", ".stat.json"), appPath("output", ".key")],
        }),
      ],
      false,
    ),
    new WhenSet("template", [
      new Save({ name: "Save the template's layer folders and zips", key: TEMPLATE_CACHE_KEY, paths: [`${param("app-dir")}/${TEMPLATE_OUT_DIR}`] }),
    ]),
    new Save({
      name: "Save the package download cache",
      key: `${DOWNLOAD_CACHE_PREFIX}{{ checksum "${CACHE_KEY_FILE}" }}`,
      paths: DOWNLOAD_CACHE_PATHS,
    }),
  ];
}

export const buildDescription =
  "Build a Lambda layer zip whose bytes change only when its dependencies do: write the cache key " +
  "(`sam-layer build --write-key`), restore the layer folder and zip cached for exactly that key, install " +
  "the package manager and uv only when nothing was restored, run `sam-layer build` (installs for the " +
  "Lambda runtime and architecture, then zips deterministically, or reports `unchanged`), and save the " +
  "cache. Run it after checkout.";

export function buildCommand(helperVersion: string): CircleCI.reusable.ReusableCommand {
  const parameters = new CircleCI.parameters.CustomParametersList<CommandLiteral>();
  defineBuildParameters(parameters, helperVersion);
  return new CircleCI.reusable.ReusableCommand("build", buildSteps(), parameters, buildDescription);
}
