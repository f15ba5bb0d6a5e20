// pip install --target for the Lambda target (not for the machine pip runs on), then the cleanup
// that makes two installs byte-identical: no bytecode, no bin/ (shebangs name the build machine's
// interpreter), and no RECORD lines for those scripts (they carry the shebangs' hashes).
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { normalizeName } from "../python-name.js";
import { debugOutput, firstErrorLine, runTool, type ToolRun } from "./run.js";
import type { PythonTarget } from "./target.js";

export interface PipInstallOptions {
  python: string;
  target: PythonTarget;
  requirementsFile: string;
  /** <new layer>/python */
  dest: string;
  /** false for plain requirements.txt, which may list only top-level packages */
  noDeps: boolean;
  /** the lockfile, for messages */
  shown: string;
}

export function pipInstallArgs(o: Omit<PipInstallOptions, "shown" | "python">): string[] {
  return [
    "-m",
    "pip",
    "install",
    "--target",
    o.dest,
    ...o.target.pipPlatforms.flatMap((p) => ["--platform", p]),
    "--implementation",
    "cp",
    "--python-version",
    o.target.pythonVersion,
    "--only-binary=:all:",
    "--no-compile",
    ...(o.noDeps ? ["--no-deps"] : []),
    "--disable-pip-version-check",
    "--no-input",
    "--progress-bar",
    "off",
    "--no-warn-script-location",
    "-r",
    o.requirementsFile,
  ];
}

export async function pipInstall(o: PipInstallOptions): Promise<void> {
  const run = await runTool(o.python, pipInstallArgs(o), {
    env: { PIP_REQUIRE_VIRTUALENV: "false", PYTHONDONTWRITEBYTECODE: "1" },
    installHint: "install Python 3 with pip, or pass --python PATH",
  });
  debugOutput(run);
  if (run.code !== 0) throw pipFailure(run, o);
  await dropScripts(o.dest);
}

/** One line for pip's usual failures, naming the package and the target. */
export function pipFailure(run: ToolRun, o: Pick<PipInstallOptions, "target" | "shown" | "python">): UserError {
  const text = `${run.stderr}\n${run.stdout}`;
  const t = o.target;
  const where = `${t.runtime} ${t.architecture} (cp${t.pythonVersion.replace(".", "")}, manylinux glibc 2.${t.glibcMinor})`;
  if (/No module named pip/.test(text)) return new UserError(`${o.python} has no pip; install pip for it or pass --python PATH`);
  const missing = /No matching distribution found for (\S+)/.exec(text)?.[1];
  if (missing) {
    const pyReq = /require a different python version: (.+)/.exec(text)?.[1];
    const why = pyReq ? ` (versions needing another Python: ${pyReq.trim()})` : "";
    return new UserError(
      `no wheel of ${missing} for ${where}${why}: the layer is built from binary wheels only; pick a version that ships one, from ${o.shown}`,
    );
  }
  if (/DO NOT MATCH THE HASHES/.test(text)) {
    const pkg = /^\s+(\S+) from \S+/m.exec(text)?.[1];
    return new UserError(`a downloaded file does not match the hashes in ${o.shown}${pkg ? ` (${pkg})` : ""}; re-lock or check the index`);
  }
  if (/--require-hashes|hashes are required/i.test(text)) {
    return new UserError(`pip needs a hash for every requirement once one has a hash: ${firstErrorLine(run)} (from ${o.shown})`);
  }
  return new UserError(`pip install for ${where} failed (from ${o.shown}): ${firstErrorLine(run)}`);
}

/** Removes python/bin/ and its entries in every RECORD. */
async function dropScripts(dest: string): Promise<void> {
  await rm(join(dest, "bin"), { recursive: true, force: true });
  const names = await readdir(dest).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.endsWith(".dist-info")) continue;
    const record = join(dest, name, "RECORD");
    let text: string;
    try {
      text = await readFile(record, "utf8");
    } catch {
      continue;
    }
    const kept = text.split("\n").filter((line) => !line.startsWith("../../bin/"));
    const next = kept.join("\n");
    if (next !== text) await writeFile(record, next);
  }
}

/** Distributions found in the installed tree, by normalized name. */
export async function installedDistributions(dest: string): Promise<string[]> {
  const names = await readdir(dest).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith(".dist-info")).map((n) => normalizeName(n.slice(0, -".dist-info".length).replace(/-[^-]+$/, "")));
}

export function pythonVersionOf(python: string): Promise<string> {
  return runTool(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], {
    installHint: "install Python 3 or pass --python PATH",
  }).then((run) => {
    if (run.code !== 0) throw new UserError(`cannot run ${python}: ${firstErrorLine(run)}`);
    return run.stdout.trim();
  });
}
