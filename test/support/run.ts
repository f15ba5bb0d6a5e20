// Runs a real program and hands back its output; a failure names the command and its stderr tail.
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const VENV_BIN = resolve(REPO, ".venv/bin");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
}

export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const okCodes = options.okCodes ?? [0];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const result = { code: code ?? -1, stdout, stderr };
      if (okCodes.includes(result.code)) return resolvePromise(result);
      const tail = (stderr.trim() || stdout.trim()).split("\n").slice(-15).join("\n");
      reject(new Error(`${command} ${args.join(" ")} exited ${code ?? signal}:\n${tail}`));
    });
  });
}
