// Which package manager builds the layer, and from which lockfile: given, inferred from the
// lockfile's name, or detected from the files in the app folder in a fixed, documented order.
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { UserError } from "../errors.js";
import type { Language } from "./target.js";
import { shownPath } from "../shown-path.js";

export type ManagerName = "uv" | "poetry" | "pipenv" | "pip" | "npm";
export const MANAGERS: readonly ManagerName[] = ["uv", "poetry", "pipenv", "pip", "npm"];

interface ManagerFiles {
  language: Language;
  /** accepted lockfile names; the first is what detection looks for */
  lockfiles: string[];
  /** true when the tool only reads its lockfile under this exact name */
  fixedName: boolean;
  /** what to run when the manifest is there but the lockfile is not */
  lockCommand: string;
  manifest?: string;
}

const FILES: Record<ManagerName, ManagerFiles> = {
  uv: { language: "python", lockfiles: ["uv.lock"], fixedName: true, manifest: "pyproject.toml", lockCommand: "uv lock" },
  poetry: { language: "python", lockfiles: ["poetry.lock"], fixedName: true, manifest: "pyproject.toml", lockCommand: "poetry lock" },
  pipenv: { language: "python", lockfiles: ["Pipfile.lock"], fixedName: true, manifest: "Pipfile", lockCommand: "pipenv lock" },
  pip: { language: "python", lockfiles: ["requirements.txt"], fixedName: false, lockCommand: "pip freeze > requirements.txt" },
  npm: {
    language: "nodejs",
    lockfiles: ["package-lock.json", "npm-shrinkwrap.json"],
    fixedName: true,
    manifest: "package.json",
    lockCommand: "npm install --package-lock-only",
  },
};

/** Detection order: real lockfiles before a plain requirements.txt (often exported from one of them). */
export const DETECTION_ORDER: readonly ManagerName[] = ["uv", "poetry", "pipenv", "pip", "npm"];

export interface Detected {
  manager: ManagerName;
  language: Language;
  /** absolute path */
  lockfile: string;
  /** the folder the manager runs in (where its manifest lives) */
  projectDir: string;
  /** other candidates that were found and ignored, for a note */
  ignored: string[];
}

export interface DetectOptions {
  appDir: string;
  pkgManager: ManagerName | "auto";
  /** relative to appDir */
  lockfile?: string;
  /** when the runtime was given, only its language's managers are candidates */
  language?: Language;
}

export function detectManager(opts: DetectOptions): Detected {
  const appDir = resolve(opts.appDir);
  if (!existsSync(appDir) || !statSync(appDir).isDirectory()) throw new UserError(`--app-dir is not a folder: ${opts.appDir}`, 2);

  if (opts.lockfile !== undefined) {
    const lockfile = resolve(appDir, opts.lockfile);
    const manager = opts.pkgManager === "auto" ? managerForLockfile(lockfile, opts.lockfile) : opts.pkgManager;
    return checked(manager, lockfile, opts, []);
  }
  if (opts.pkgManager !== "auto") {
    const files = FILES[opts.pkgManager];
    const found = files.lockfiles.map((n) => join(appDir, n)).find((p) => existsSync(p));
    const lockfile = found ?? join(appDir, files.lockfiles[0]!);
    return checked(opts.pkgManager, lockfile, opts, []);
  }

  const candidates = DETECTION_ORDER.filter((m) => opts.language === undefined || FILES[m].language === opts.language);
  const found: { manager: ManagerName; lockfile: string }[] = [];
  for (const m of candidates) {
    for (const name of FILES[m].lockfiles) {
      const p = join(appDir, name);
      if (existsSync(p)) {
        found.push({ manager: m, lockfile: p });
        break;
      }
    }
  }
  const first = found[0];
  if (!first) throw noLockfile(appDir, candidates, opts.appDir, opts.language);
  // Two real lockfiles of one language leave no way to tell which one is current; requirements.txt
  // next to a lock is usually exported from it, so the lock wins.
  const locks = found.filter((f) => f.manager !== "pip" && FILES[f.manager].language === FILES[first.manager].language);
  if (locks.length > 1) {
    const names = locks.map((f) => basename(f.lockfile)).join(" and ");
    throw new UserError(`found both ${names} in ${opts.appDir}; pass --pkg-manager (${locks.map((f) => f.manager).join(" or ")}) to choose`, 2);
  }
  const ignored = found.slice(1).map((f) => relative(appDir, f.lockfile));
  return checked(first.manager, first.lockfile, opts, ignored);
}

function managerForLockfile(lockfile: string, shown: string): ManagerName {
  const name = basename(lockfile);
  for (const m of MANAGERS) if (FILES[m].lockfiles.includes(name)) return m;
  if (name.endsWith(".txt")) return "pip";
  throw new UserError(`cannot tell the package manager from the lockfile name ${shown}; pass --pkg-manager`, 2);
}

function checked(manager: ManagerName, lockfile: string, opts: DetectOptions, ignored: string[]): Detected {
  const files = FILES[manager];
  if (opts.language !== undefined && files.language !== opts.language) {
    const kind = files.language === "python" ? "a Python" : "a Node.js";
    throw new UserError(`--pkg-manager ${manager} builds ${kind} layer, but --runtime is for ${opts.language === "python" ? "Python" : "Node.js"}`, 2);
  }
  const shown = shownPath(lockfile);
  if (files.fixedName && !files.lockfiles.includes(basename(lockfile))) {
    throw new UserError(`${manager} reads only ${files.lockfiles.join(" or ")} next to its ${files.manifest}; --lockfile cannot be ${shown}`, 2);
  }
  if (!existsSync(lockfile)) {
    const manifest = files.manifest ? join(dirname(lockfile), files.manifest) : undefined;
    const hint = manifest && existsSync(manifest) ? `; run \`${files.lockCommand}\` next to ${files.manifest} and commit it` : "";
    throw new UserError(`lockfile not found: ${shown}${hint}`);
  }
  if (!statSync(lockfile).isFile()) throw new UserError(`lockfile is not a file: ${shown}`);
  if (files.manifest && !existsSync(join(dirname(lockfile), files.manifest))) {
    throw new UserError(`${manager} needs ${files.manifest} next to ${shown}`);
  }
  return { manager, language: files.language, lockfile, projectDir: dirname(lockfile), ignored };
}

function noLockfile(appDir: string, candidates: readonly ManagerName[], shown: string, language?: Language): UserError {
  for (const m of candidates) {
    const manifest = FILES[m].manifest;
    if (manifest && existsSync(join(appDir, manifest))) {
      const options = candidates.filter((c) => FILES[c].manifest === manifest);
      const locks = options.map((c) => FILES[c].lockfiles[0]).join(" or ");
      const commands = options.map((c) => `\`${FILES[c].lockCommand}\``).join(" or ");
      return new UserError(`found ${manifest} but no ${locks} in ${shown}; run ${commands} and commit the lockfile`);
    }
  }
  const looked = candidates.flatMap((m) => FILES[m].lockfiles).join(", ");
  const other = MANAGERS.filter((m) => !candidates.includes(m))
    .flatMap((m) => FILES[m].lockfiles)
    .find((n) => existsSync(join(appDir, n)));
  if (other && language) {
    const runtimes = language === "python" ? "Python" : "Node.js";
    return new UserError(`no ${runtimes} lockfile in ${shown} (looked for ${looked}); ${other} is there, but --runtime is for ${runtimes}`);
  }
  return new UserError(`no lockfile in ${shown}: looked for ${looked} (or pass --lockfile)`);
}
