// Runs orb/scripts/*.sh as a CircleCI step would (bash, parameters as PARAM_* variables), and a
// stand-in helper that records the arguments a script hands to `sam-layer`.
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { REPO, run, type RunResult } from "../support/run.js";

export const SCRIPTS_DIR = resolve(REPO, "orb/scripts");
/** The bundled helper, as the orb's `helper` parameter would name a local bundle. */
export { LOCAL_HELPER } from "../support/orb-scripts.js";

export function runScript(script: string, env: NodeJS.ProcessEnv, options: { cwd?: string; okCodes?: number[] } = {}): Promise<RunResult> {
  return run("bash", [join(SCRIPTS_DIR, script)], { cwd: options.cwd ?? REPO, env, okCodes: options.okCodes });
}

export interface Recorded {
  args: string[];
  /** the content of the file given as --deployed, read while it still existed */
  deployed: string | null;
}

/** A helper command that only records its arguments (one JSON line per call) and prints `json` (deploy-template: the template given). */
export async function recordingHelper(dir: string, json: object = {}): Promise<{ command: string; calls(): Promise<Recorded[]> }> {
  const script = join(dir, "record-args.mjs");
  const log = join(dir, "calls.jsonl");
  await writeFile(
    script,
    [
      'import { appendFileSync, readFileSync } from "node:fs";',
      "const [log, ...args] = process.argv.slice(2);",
      'const at = args.indexOf("--deployed");',
      'const deployed = at >= 0 ? readFileSync(args[at + 1], "utf8") : null;',
      'appendFileSync(log, JSON.stringify({ args, deployed }) + "\\n");',
      // deploy-template answers with the template it was given (no copy beside it)
      'if (args[0] === "deploy-template") process.stdout.write(args[1] + "\\n");',
      `else process.stdout.write(${JSON.stringify(JSON.stringify(json))} + "\\n");`,
    ].join("\n"),
  );
  await writeFile(log, "");
  return {
    command: `node ${script} ${log}`,
    calls: async () =>
      (await readFile(log, "utf8"))
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Recorded),
  };
}
