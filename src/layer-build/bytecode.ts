// Optional precompiled bytecode: compileall with the path Lambda will see (/opt/python) and hash-based
// invalidation, so the .pyc files hold no build folder and no mtime and are byte-identical from any
// machine, given the same Python minor version as the runtime (bytecode is version-specific).
import { UserError } from "../errors.js";
import { pythonVersionOf } from "./install.js";
import { debugOutput, firstErrorLine, runTool } from "./run.js";
import type { PythonTarget } from "./target.js";

/** Fails before anything is installed when `python` cannot compile for the runtime. */
export async function checkBytecodePython(python: string, target: PythonTarget): Promise<void> {
  const local = await pythonVersionOf(python);
  if (local !== target.pythonVersion) {
    throw new UserError(
      `--compile-bytecode needs Python ${target.pythonVersion} for ${target.runtime}, but ${python} is Python ${local}; pass --python PATH to a ${target.pythonVersion} interpreter or drop --compile-bytecode`,
      2,
    );
  }
}

/**
 * Compiles every .py under `pythonDir` (the layer's python/ folder) as /opt/python/... Files that
 * do not compile (a package's Python 2 test data, say) stay source-only, as pip leaves them; they
 * come back as warnings.
 */
export async function compileBytecode(python: string, pythonDir: string): Promise<string[]> {
  const run = await runTool(
    python,
    ["-m", "compileall", "-q", "-j", "0", "-d", "/opt/python", "--invalidation-mode", "unchecked-hash", pythonDir],
    // Older runtimes marshal sets in hash order; a fixed seed keeps their bytecode stable.
    { env: { PYTHONHASHSEED: "0" }, installHint: "install Python 3 or pass --python PATH" },
  );
  debugOutput(run);
  const failed = [...run.stdout.matchAll(/\*\*\* Error compiling '([^']+)'/g)].map((m) => m[1]!);
  if (run.code !== 0 && failed.length === 0) throw new UserError(`compileall failed in ${pythonDir}: ${firstErrorLine(run)}`);
  return failed.map((f) => `not compiled (syntax error for this Python): ${f}`);
}
