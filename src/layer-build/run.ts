// Runs the package-manager tools as child processes with captured output, and turns "not on PATH"
// or "on PATH but not executable" into an error that says what to install.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { UserError } from "../errors.js";

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  cwd?: string;
  /** merged over process.env */
  env?: Record<string, string | undefined>;
  /** how to get the tool when it is missing, e.g. "pip install pipenv" */
  installHint: string;
}

export async function runTool(command: string, args: string[], opts: ToolOptions): Promise<ToolRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e: NodeJS.ErrnoException) => {
      // spawn says ENOENT for a missing working folder too; do not blame the tool for that.
      if (e.code === "ENOENT" && opts.cwd !== undefined && !existsSync(opts.cwd)) reject(new UserError(`cannot run ${command}: folder not found: ${opts.cwd}`));
      else if (e.code === "ENOENT") reject(new UserError(`${command} not found on PATH; ${opts.installHint}`));
      else if (e.code === "EACCES") reject(new UserError(`${notExecutable(command, { ...process.env, ...opts.env }.PATH)}; ${opts.installHint}`));
      else reject(new UserError(`cannot run ${command}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

/**
 * Why spawn said EACCES: the file is there but this user may not run it (no execute bit, or a folder
 * on its way that the user cannot enter, e.g. a tool under another user's 0700 home). spawn searches
 * PATH like execvp, which reports EACCES only when no entry could run, so the first match is the one.
 */
function notExecutable(command: string, path: string | undefined): string {
  if (command.includes("/")) return `cannot run ${command}: permission denied`;
  const found = (path ?? "")
    .split(delimiter)
    .map((dir) => join(dir || ".", command))
    .find((file) => existsSync(file));
  return `${command} on PATH cannot be run by this user${found ? `: ${found}` : ""} (permission denied)`;
}

/** The most telling line of a failed tool's output: its first `error` line, else its last line. */
export function firstErrorLine(run: ToolRun): string {
  const lines = `${run.stderr}\n${run.stdout}`
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const error = lines.find((l) => /^(error|ERROR|npm error|npm ERR!)\b/.test(l));
  return (error ?? lines.at(-1) ?? `exit code ${run.code}`).replace(/^(error:|ERROR:)\s*/i, "");
}

export function debugOutput(run: ToolRun): void {
  if (process.env.SAM_LAYER_DEBUG) process.stderr.write(`${run.stdout}${run.stderr}`);
}
