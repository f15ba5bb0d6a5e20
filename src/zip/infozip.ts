// `--engine infozip`: the classic CI recipe, for people who want it. Runs the system
// `zip -r -u -X` inside the layer folder; exit 12 ("nothing to do") is success. Not deterministic:
// Info-ZIP keeps directory order and local times, and `-u` keeps files deleted from the folder.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "../errors.js";
import { contentDigest } from "../layer/digest.js";
import { fileSums } from "./file-sums.js";
import { DEFAULT_LEVEL } from "./format.js";
import { checkZipArgs, type ZipLayerOptions, type ZipResult } from "./layer-zip.js";
import { readZipContents } from "./read.js";
import { fsFailure } from "../layer/fs-error.js";

/** Info-ZIP's `*` crosses "/", so each default needs a top-level and a nested form. */
const DEFAULT_INFOZIP_EXCLUDES = ["__pycache__/*", "*/__pycache__/*", "*.pyc"];
const ALWAYS_INFOZIP_EXCLUDES = [".DS_Store", "*/.DS_Store"];
const NOTHING_TO_DO = 12;

export function infozipArgs(output: string, opts: Pick<ZipLayerOptions, "level" | "exclude" | "includePycache">): string[] {
  const excludes = [...(opts.includePycache ? [] : DEFAULT_INFOZIP_EXCLUDES), ...ALWAYS_INFOZIP_EXCLUDES, ...(opts.exclude ?? [])];
  return ["-r", "-u", "-X", "-q", `-${opts.level ?? DEFAULT_LEVEL}`, output, ".", "-x", ...excludes];
}

export async function zipWithInfoZip(opts: ZipLayerOptions): Promise<ZipResult> {
  const { level, dir, output } = checkZipArgs(opts);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`layer folder not found: ${opts.dir}`);
  try {
    mkdirSync(dirname(output), { recursive: true });
  } catch (err) {
    throw fsFailure("cannot create the folder of", opts.output, err);
  }
  const existed = existsSync(output);
  const { code, message } = await run("zip", infozipArgs(output, { ...opts, level }), dir);
  if (code !== 0 && code !== NOTHING_TO_DO) {
    throw new UserError(`zip failed (exit ${code}): ${message || "no message"}`);
  }
  const contents = await readZipContents(output);
  const sums = fileSums(output);
  return {
    output,
    status: code === NOTHING_TO_DO ? "unchanged" : existed ? "updated" : "created",
    entries: contents.entries.length,
    bytes: statSync(output).size,
    unzippedBytes: contents.entries.reduce((n, e) => n + e.size, 0),
    md5: sums.md5,
    sha256: sums.sha256,
    digest: contentDigest(contents.entries),
  };
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; message: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr.on("data", (d: Buffer) => (text += d.toString()));
    child.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") reject(new UserError("`zip` (Info-ZIP) not found on PATH: install it or use --engine builtin"));
      else reject(err);
    });
    child.on("close", (code, signal) => {
      const lines = text
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      resolvePromise({ code: code ?? (signal ? 128 : 1), message: lines.join(" | ").slice(0, 500) });
    });
  });
}
