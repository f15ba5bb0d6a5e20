// Which template a deploy uses: the copy `build --template` wrote beside the template (its layers
// point at the built zips), or the template itself when there is no copy. So adopting the orb is
// one line (build-layer's `template`): deploy-sam keeps the `template` it already had. A copy is
// only used when it was written from the templates as they are now: its first line records a
// digest of the source template and its local nested templates, and a copy whose digest no longer
// matches (committed, or left from an older checkout) is refused rather than deployed.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../errors.js";
import { fsFailure } from "../layer/fs-error.js";
import { findLayers } from "./find.js";
import { rewrittenName } from "./index.js";
import { isJson, readHeader, sourceDigest } from "./source.js";

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw fsFailure("cannot read template", path, err);
  }
}

export interface DeployTemplate {
  /** the template to build, package and plan: as given, or the copy's path in the same form */
  template: string;
  /** one line saying which and why */
  reason: string;
}

function stale(copy: string, source: string): UserError {
  return new UserError(
    `${copy} was written from another version of ${source} (or of its nested templates); run the build-layer job with \`template\` set in the same workflow before deploy-sam, so the copy is written again (or delete ${copy})`,
  );
}

/** Checks that `copy` (with its header read) was written from the templates as they are now. */
function checkCopy(copy: string, header: { source: string; digest: string } | undefined, source: string): void {
  if (!header) throw stale(copy, source);
  if (!existsSync(source)) throw new UserError(`${copy} was written from ${source}, which is not there`);
  if (sourceDigest(findLayers(source)) !== header.digest) throw stale(copy, source);
}

/**
 * The template to deploy for `template` (a path as the caller shows it):
 * - `template` is a copy `build --template` wrote (its header says so): checked, then used;
 * - a copy of `template` is beside it: checked, then used instead;
 * - neither: `template` as it is.
 */
export function deployTemplate(template: string): DeployTemplate {
  const own = readHeader(read(template));
  if (own) {
    const source = join(dirname(template), own.source);
    checkCopy(template, own, source);
    return { template, reason: `deploying ${template}: the copy build-layer wrote from ${source}, as set` };
  }
  const copy = rewrittenName(template);
  if (!existsSync(copy)) {
    return { template, reason: `deploying ${template} as it is (no ${copy} from build-layer's \`template\` build beside it)` };
  }
  const text = read(copy);
  if (isJson(text)) {
    return {
      template: copy,
      reason: `deploying ${copy}: the copy build-layer wrote from ${template}, its layers pointing at the built zips (a JSON copy records no digest of ${template}, so it is not checked for staleness)`,
    };
  }
  const header = readHeader(text);
  if (header && join(dirname(copy), header.source) !== join(template)) throw stale(copy, template);
  checkCopy(copy, header, template);
  return { template: copy, reason: `deploying ${copy}: the copy build-layer wrote from ${template}, its layers pointing at the built zips` };
}
