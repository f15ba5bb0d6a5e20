// Runs the orb's own step scripts as CircleCI would: `bash orb/scripts/<name>.sh`, parameters only
// through PARAM_* variables, the helper being the local bundle instead of `npx sam-layer@N`.
import { resolve } from "node:path";
import { REPO, run, type RunResult } from "./run.js";

export const LOCAL_HELPER = `node ${resolve(REPO, "dist/sam-layer.mjs")}`;

/** { app_dir: "." } -> { PARAM_APP_DIR: "." } */
function paramEnv(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [`PARAM_${k.toUpperCase()}`, v]));
}

/** `cwd` stands for the job's working directory (the checkout root), for relative app-dirs. */
export async function runOrbScript(script: string, params: Record<string, string>, env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<RunResult> {
  return run("bash", [resolve(REPO, "orb/scripts", `${script}.sh`)], {
    cwd,
    env: { ...env, PARAM_HELPER: LOCAL_HELPER, ...paramEnv(params) },
  });
}

export interface LayerBuild {
  appDir: string;
  runtime?: string;
  architecture?: "x86_64" | "arm64";
  layerDir?: string;
  output?: string;
  /** Only write the cache key file (the job's first step), don't build. */
  writeKey?: string;
}

/** The build-layer job's build step parameters as PARAM_* variables, on the classic app's defaults (auto finds pipenv, python3.12). */
export function buildLayerEnv(build: LayerBuild): Record<string, string> {
  return {
    PARAM_HELPER: LOCAL_HELPER,
    ...paramEnv({
      app_dir: build.appDir,
      pkg_manager: "auto",
      lockfile: "",
      layer_dir: build.layerDir ?? "layer",
      output: build.output ?? "layer.zip",
      runtime: build.runtime ?? "python3.12",
      architecture: build.architecture ?? "x86_64",
      compile_bytecode: "false",
      import_check: "true",
      skip_imports: "",
      ...(build.writeKey ? { write_key: build.writeKey } : {}),
    }),
  };
}

/** The build-layer job's build step (orb/scripts/build-layer.sh). */
export function buildLayer(build: LayerBuild, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return run("bash", [resolve(REPO, "orb/scripts/build-layer.sh")], { env: { ...env, ...buildLayerEnv(build) } });
}
