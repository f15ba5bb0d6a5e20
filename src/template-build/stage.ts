// `build --template --stage-dir DIR`, for CircleCI's persist_to_workspace: copies what a deploy
// needs from this build (each built layer's zip and every rewritten template) into DIR at its path
// from the current folder (the job's checkout), so deploy-sam attaches them where the templates
// name them. Exactly the files of this build: a nested template's copy outside app-dir is carried
// too, and nothing another job may persist (CircleCI fails an attach when two upstream jobs
// persisted the same file).
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { UserError } from "../errors.js";
import { fsFailure } from "../layer/fs-error.js";
import type { TemplateBuilt } from "./index.js";

/** Copies the zips and templates of `r` into `stageDir`; returns how many files. */
export async function stageOutputs(r: TemplateBuilt, stageDir: string): Promise<number> {
  const files = [...r.layers.map((l) => l.output), ...r.templates.map((t) => t.output)].map((f) => resolve(f));
  const here = process.cwd();
  for (const file of files) {
    const rel = relative(here, file);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new UserError(
        `cannot stage ${file} for the workspace: it is outside ${here}, the checkout the workspace carries files from; keep the templates and layers inside the repository`,
      );
    }
  }
  for (const file of files) {
    const to = join(resolve(stageDir), relative(here, file));
    try {
      await mkdir(dirname(to), { recursive: true });
      await copyFile(file, to);
    } catch (err) {
      throw fsFailure("cannot stage", relative(here, file), err);
    }
  }
  return files.length;
}
