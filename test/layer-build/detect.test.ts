// Package manager detection on real folders: the documented order and the errors when it cannot decide.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectManager, type DetectOptions } from "../../src/layer-build/detect.js";
import { UserError } from "../../src/errors.js";
import { app, scratch } from "./helpers.js";

const root = scratch("detect");
let n = 0;
function folder(files: string[]): string {
  return app(root, `app${n++}`, Object.fromEntries(files.map((f) => [f, "{}\n"])));
}
function detect(appDir: string, more: Partial<DetectOptions> = {}) {
  return detectManager({ appDir, pkgManager: "auto", ...more });
}
function failure(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error("expected a UserError");
}

describe("package manager detection", () => {
  it("follows the documented order: uv.lock, poetry.lock, Pipfile.lock, requirements.txt, package-lock.json", () => {
    expect(detect(folder(["pyproject.toml", "uv.lock", "requirements.txt"]))).toMatchObject({ manager: "uv", ignored: ["requirements.txt"] });
    expect(detect(folder(["pyproject.toml", "poetry.lock"])).manager).toBe("poetry");
    expect(detect(folder(["Pipfile", "Pipfile.lock", "requirements.txt", "package.json", "package-lock.json"]))).toMatchObject({
      manager: "pipenv",
      ignored: ["requirements.txt", "package-lock.json"],
    });
    expect(detect(folder(["requirements.txt"])).manager).toBe("pip");
    expect(detect(folder(["package.json", "package-lock.json"])).manager).toBe("npm");
    expect(detect(folder(["package.json", "npm-shrinkwrap.json"])).lockfile).toMatch(/npm-shrinkwrap\.json$/);
  });

  it("looks only at the runtime's language when the runtime is given", () => {
    const d = folder(["requirements.txt", "package.json", "package-lock.json"]);
    expect(detect(d, { language: "nodejs" }).manager).toBe("npm");
    expect(detect(d, { language: "python" }).manager).toBe("pip");
  });

  it("refuses two real lockfiles rather than guessing", () => {
    const e = failure(() => detect(folder(["pyproject.toml", "uv.lock", "poetry.lock"])));
    expect(e.message).toMatch(/^found both uv\.lock and poetry\.lock in .*; pass --pkg-manager \(uv or poetry\) to choose$/);
    expect(e.exitCode).toBe(2);
  });

  it("names the missing lockfile and the command that makes it", () => {
    expect(failure(() => detect(folder(["Pipfile"]))).message).toMatch(/^found Pipfile but no Pipfile\.lock in .*; run `pipenv lock` and commit the lockfile$/);
    expect(failure(() => detect(folder(["pyproject.toml"]))).message).toMatch(
      /found pyproject\.toml but no uv\.lock or poetry\.lock .*`uv lock` or `poetry lock`/,
    );
    expect(failure(() => detect(folder(["package.json"]))).message).toMatch(/found package\.json but no package-lock\.json/);
    expect(failure(() => detect(folder([]))).message).toMatch(
      /^no lockfile in .*: looked for uv\.lock, poetry\.lock, Pipfile\.lock, requirements\.txt, package-lock\.json, npm-shrinkwrap\.json/,
    );
    const d = folder(["Pipfile"]);
    expect(failure(() => detect(d, { pkgManager: "pipenv" })).message).toMatch(
      /^lockfile not found: .*Pipfile\.lock; run `pipenv lock` next to Pipfile and commit it$/,
    );
  });

  it("takes --lockfile relative to the app folder and infers the manager from its name", () => {
    const d = app(root, "custom", { "locks/prod.txt": "six==1.16.0\n", "sub/Pipfile": "", "sub/Pipfile.lock": "{}" });
    expect(detect(d, { lockfile: "locks/prod.txt" })).toMatchObject({ manager: "pip", lockfile: join(d, "locks/prod.txt") });
    expect(detect(d, { lockfile: "sub/Pipfile.lock" })).toMatchObject({ manager: "pipenv", projectDir: join(d, "sub") });
    expect(failure(() => detect(d, { lockfile: "locks/nope.txt" })).message).toMatch(/^lockfile not found: .*locks\/nope\.txt$/);
    expect(failure(() => detect(d, { lockfile: "locks/prod.txt", pkgManager: "poetry" })).message).toMatch(
      /^poetry reads only poetry\.lock next to its pyproject\.toml; --lockfile cannot be .*prod\.txt$/,
    );
    expect(failure(() => detect(d, { lockfile: "locks" })).message).toMatch(
      /^cannot tell the package manager from the lockfile name locks; pass --pkg-manager$/,
    );
  });

  it("refuses a package manager of the other language than the runtime", () => {
    const e = failure(() => detect(folder(["package.json", "package-lock.json"]), { pkgManager: "npm", language: "python" }));
    expect(e.message).toBe("--pkg-manager npm builds a Node.js layer, but --runtime is for Python");
    expect(e.exitCode).toBe(2);
  });
});
