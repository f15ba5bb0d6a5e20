// `sam-layer check`: the import check on a layer folder or zip built anywhere.
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { extractZip } from "./extract.js";
import { checkImports, type ImportCheckResult } from "./imports.js";

export { checkImports, type ImportCheckResult } from "./imports.js";

export interface CheckLayerOptions {
  /** a layer folder or zip */
  layer: string;
  runtime: string;
  architecture: string;
  interpreter?: string;
  skip: string[];
}

export async function checkLayer(o: CheckLayerOptions): Promise<ImportCheckResult> {
  if (!existsSync(o.layer)) throw new UserError(`not found: ${o.layer}`);
  const check = (layerDir: string) => checkImports({ layerDir, runtime: o.runtime, architecture: o.architecture, interpreter: o.interpreter, skip: o.skip });
  if (statSync(o.layer).isDirectory()) return check(o.layer);
  const work = await mkdtemp(join(tmpdir(), "sam-layer-check-zip-"));
  try {
    await extractZip(o.layer, work);
    return await check(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export { formatCheck } from "./format.js";
