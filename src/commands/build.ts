import type { CommandModule } from "yargs";
import { UserError } from "../errors.js";
import { MANAGERS, type ManagerName } from "../layer-build/detect.js";
import { UNZIPPED_LIMIT_MB } from "../layer-build/limits.js";
import { INSTALLERS, type Installer } from "../layer-build/install.js";
import { ARCHITECTURES, RUNTIMES } from "../layer-build/target.js";
import { shownPath } from "../shown-path.js";
import { writeOut } from "../stdout.js";

interface BuildArgs {
  "app-dir": string;
  "pkg-manager": ManagerName | "auto";
  lockfile?: string;
  "layer-dir": string;
  output: string;
  runtime?: string;
  architecture: string;
  "compile-bytecode": boolean;
  python: string;
  installer: Installer;
  "allow-native-sdist": boolean;
  include?: string[];
  extras?: string[];
  "import-check": boolean;
  "skip-import": string[];
  "write-key"?: string;
  "needed-tools": boolean;
  "max-unzipped-mb": number;
  template?: string;
  "out-dir": string;
  "output-template"?: string;
  "stage-dir"?: string;
  json: boolean;
}

/**
 * Options that name one layer's inputs and outputs, with their defaults: a template build finds
 * those per layer, so with --template they must stay unset. (yargs' conflicts() counts a default
 * as given, so this compares with the defaults: an explicit default value is harmless.)
 */
const SINGLE_LAYER_OPTIONS: [keyof BuildArgs, unknown][] = [
  ["app-dir", "."],
  ["pkg-manager", "auto"],
  ["lockfile", undefined],
  ["layer-dir", "layer"],
  ["output", "layer.zip"],
  ["runtime", undefined],
  ["architecture", "x86_64"],
];

/** --include names folders relative to one layer's folder; with --template a layer's own files are its folder's. */
const INCLUDE_WITH_TEMPLATE =
  "--include is for one layer; with --template put the code in the layer's ContentUri folder (its own files are shipped as sam build ships them)";

export const buildCommand: CommandModule<object, BuildArgs> = {
  command: "build",
  describe: "Install the lockfile's packages for a Lambda runtime into the layer folder and zip it deterministically",
  builder: (y) =>
    y
      .option("app-dir", { type: "string", default: ".", describe: "folder with the lockfile; the paths below are relative to it" })
      .option("pkg-manager", {
        choices: ["auto", ...MANAGERS] as const,
        default: "auto" as const,
        describe: "auto detects, in this order: uv.lock, poetry.lock, Pipfile.lock, requirements.txt, package-lock.json",
      })
      .option("lockfile", { type: "string", describe: "lockfile to build from (default: found by --pkg-manager)" })
      .option("layer-dir", { type: "string", default: "layer", describe: "layer folder, replaced by every install" })
      .option("output", {
        alias: "o",
        type: "string",
        default: "layer.zip",
        describe: "the zip (ContentUri); <output>.key and <output>.stat.json go beside it",
      })
      .option("runtime", { choices: RUNTIMES, describe: "Lambda runtime (default: python3.12, or nodejs22.x for npm)" })
      .option("architecture", { choices: ARCHITECTURES, default: "x86_64", describe: "Lambda architecture" })
      .option("compile-bytecode", { type: "boolean", default: false, describe: "precompile .pyc for /opt/python (needs the runtime's Python version locally)" })
      .option("python", { type: "string", default: "python3", describe: "Python that builds sdists, runs pip and compileall" })
      .option("installer", {
        choices: INSTALLERS,
        default: "uv" as const,
        describe: "installs the wheels; the layer's bytes are the same with either (pip: wheels only, needs a recent pip)",
      })
      .option("allow-native-sdist", {
        type: "boolean",
        default: false,
        describe: "keep a package compiled from its sdist (only when this machine is the target: architecture and Python version)",
      })
      .option("include", {
        type: "string",
        array: true,
        describe: "DIR[:DEST]: copy a folder of your own modules into python/DEST (nodejs/node_modules/DEST); repeatable; part of the key",
      })
      .option("extras", {
        type: "string",
        array: true,
        describe: "optional-dependency group of a poetry or uv project to include; repeatable (with --template: every poetry or uv layer)",
      })
      .option("import-check", {
        type: "boolean",
        default: true,
        describe: "after an install, import every top-level module on the runtime's interpreter before the layer is replaced (--no-import-check: don't)",
      })
      .option("skip-import", {
        type: "string",
        array: true,
        default: [] as string[],
        describe: "a module the import check leaves out (e.g. one that needs Lambda's environment at import time); repeatable",
      })
      .option("write-key", { type: "string", describe: "only write the cache key to this file and exit" })
      .option("needed-tools", {
        type: "boolean",
        default: false,
        describe: "only check the lock and print the tools the build will run (none when the restored layer is reused), then exit",
      })
      .option("max-unzipped-mb", {
        type: "number",
        default: UNZIPPED_LIMIT_MB,
        describe: "unzipped size this layer may use: lower it when the functions and other layers take part of Lambda's 250 MiB",
      })
      .option("template", {
        type: "string",
        describe:
          "build every layer this SAM template (and its local nested templates) declares with a lockfile in its folder, and write a copy of the template that points at the zips",
      })
      .option("out-dir", {
        type: "string",
        default: ".sam-layer",
        describe: "with --template: folder of the zips and layer folders, relative to the template's folder",
      })
      .option("output-template", {
        type: "string",
        describe: "with --template: the rewritten template, relative to the template's folder (default: <name>.sam-layer.<ext> beside it)",
      })
      .option("stage-dir", {
        type: "string",
        describe:
          "with --template: also copy the built zips and the rewritten templates into this folder at their paths from the current folder (for a CI workspace)",
      })
      .option("json", { type: "boolean", default: false, describe: "print one JSON object" }),
  handler: async (a) => {
    // With --needed-tools stdout is the tools line alone.
    const toStderr = a.json || a["needed-tools"];
    const say = (line: string) => (toStderr ? process.stderr.write(`${line}\n`) : writeOut(`${line}\n`));
    if (a.template !== undefined) return buildTemplateCommand(a, say);
    if (a["stage-dir"] !== undefined) throw new UserError("--stage-dir is for --template builds", 2);
    const { buildLayer } = await import("../layer-build/index.js");
    const { formatBuild } = await import("../layer-build/report.js");
    const result = await buildLayer({
      appDir: a["app-dir"],
      pkgManager: a["pkg-manager"],
      lockfile: a.lockfile,
      layerDir: a["layer-dir"],
      output: a.output,
      runtime: a.runtime,
      architecture: a.architecture,
      compileBytecode: a["compile-bytecode"],
      python: a.python,
      installer: a.installer,
      allowNativeSdist: a["allow-native-sdist"],
      include: a.include,
      extras: a.extras,
      importCheck: a["import-check"],
      skipImports: a["skip-import"],
      writeKey: a["write-key"],
      neededTools: a["needed-tools"],
      maxUnzippedMb: a["max-unzipped-mb"],
      log: say,
    });
    if (result.status === "tools-listed") {
      if (a.json) writeOut(`${JSON.stringify(result, null, 2)}\n`);
      // One line, the tools separated by spaces (empty when none), for `read -a` in a shell.
      else writeOut(`${result.tools.join(" ")}\n`);
      return;
    }
    if (result.status !== "key-written") {
      result.output = shownPath(result.output);
      for (const w of result.warnings) process.stderr.write(`sam-layer: warning: ${w}\n`);
    }
    if (a.json) writeOut(`${JSON.stringify(result, null, 2)}\n`);
    else for (const line of formatBuild(result)) say(line);
  },
};

async function buildTemplateCommand(a: BuildArgs, say: (line: string) => void): Promise<void> {
  for (const [name, unset] of SINGLE_LAYER_OPTIONS) {
    if (a[name] !== unset) throw new UserError(`--${name} is for one layer; with --template each layer's comes from the template and its folder`, 2);
  }
  if (a.include?.length) throw new UserError(INCLUDE_WITH_TEMPLATE, 2);
  const { buildTemplate } = await import("../template-build/index.js");
  const { formatTemplateBuild } = await import("../template-build/report.js");
  const result = await buildTemplate({
    template: a.template!,
    outDir: a["out-dir"],
    outputTemplate: a["output-template"],
    compileBytecode: a["compile-bytecode"],
    python: a.python,
    installer: a.installer,
    allowNativeSdist: a["allow-native-sdist"],
    extras: a.extras,
    importCheck: a["import-check"],
    skipImports: a["skip-import"],
    maxUnzippedMb: a["max-unzipped-mb"],
    writeKey: a["write-key"],
    neededTools: a["needed-tools"],
    log: say,
  });
  if (result.status === "tools-listed" && !a.json) {
    // One line, the tools separated by spaces (empty when none), for `read -a` in a shell.
    writeOut(`${result.tools.join(" ")}\n`);
    return;
  }
  if (result.status === "built" && a["stage-dir"] !== undefined) {
    const { stageOutputs } = await import("../template-build/stage.js");
    const staged = await stageOutputs(result, a["stage-dir"]);
    say(`staged ${staged} files (layer zips and rewritten templates) in ${a["stage-dir"]} for the workspace`);
  }
  if (result.status === "built") {
    for (const l of result.layers) {
      l.output = shownPath(l.output);
      for (const w of l.warnings) process.stderr.write(`sam-layer: warning: ${l.idPath}: ${w}\n`);
    }
  }
  if (a.json) writeOut(`${JSON.stringify(result, null, 2)}\n`);
  else for (const line of formatTemplateBuild(result)) say(line);
}
