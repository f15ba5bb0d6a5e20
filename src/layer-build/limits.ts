// Lambda's size limits, checked against the layer: 250 MiB unzipped for a function and all its
// layers together (a hard limit at deploy time), 50 MiB zipped for a direct upload (SAM and
// `cloudformation package` upload through S3, so that one only matters for direct uploads).
import type { LayerEntry } from "../layer/walk.js";
import { normalizeName } from "../python-name.js";

const MB = 1024 * 1024;
/**
 * Lambda counts in MiB, whatever its documentation writes ("250 MB"): "Unzipped size must be smaller
 * than 262144000 bytes". The sizes are printed in MiB too, as `sam-layer zip` prints them.
 */
export const UNZIPPED_LIMIT_MB = 250;
export const ZIPPED_LIMIT_MB = 50;
export const NEAR_FRACTION = 0.8;

export interface PackageSize {
  name: string;
  bytes: number;
}

export interface LimitCheck {
  /** past the hard limit: the build fails */
  error?: string;
  warnings: string[];
}

export function formatMB(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MiB`;
}

/** Sizes of the top-level packages (python/<name>, nodejs/node_modules/<name or @scope/name>), largest first. */
export function largestPackages(entries: Iterable<Pick<LayerEntry, "path" | "type" | "size">>, count = 5): PackageSize[] {
  const sizes = new Map<string, number>();
  for (const e of entries) {
    if (e.type !== "file") continue;
    const name = packageOf(e.path);
    if (name !== undefined) sizes.set(name, (sizes.get(name) ?? 0) + e.size);
  }
  return [...sizes]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1))
    .slice(0, count);
}

/**
 * A Python module, its folder and its dist-info count as one package when their names agree. A
 * leading underscore (polars' `_polars_runtime_32`, of `polars_runtime_32-*.dist-info`) and a
 * `.libs` folder (auditwheel's copies of a wheel's shared libraries: `numpy.libs`) go with the
 * name they belong to.
 */
function packageOf(path: string): string | undefined {
  const parts = path.split("/");
  if (parts[0] === "python" && parts.length > 1) {
    const top = parts[1]!
      .replace(/-[^-]+\.dist-info$/, "")
      .replace(/\.(py|libs)$/, "")
      .replace(/^_+(?=.)/, "");
    return normalizeName(top);
  }
  if (parts[0] === "nodejs" && parts[1] === "node_modules" && parts.length > 2) {
    return parts[2]!.startsWith("@") && parts.length > 3 ? `${parts[2]}/${parts[3]}` : parts[2];
  }
  return parts.length > 1 ? parts[0] : undefined;
}

function largestText(largest: readonly PackageSize[]): string {
  return largest.length ? `; largest: ${largest.map((p) => `${p.name} ${formatMB(p.bytes)}`).join(", ")}` : "";
}

/** `budgetMB`: the share of the 250 MiB this layer may use (functions and other layers count too). */
export function checkUnzipped(unzippedBytes: number, budgetMB: number, largest: readonly PackageSize[]): LimitCheck {
  const limit = budgetMB * MB;
  const what =
    budgetMB === UNZIPPED_LIMIT_MB
      ? "Lambda's 250 MiB unzipped limit (function and layers together)"
      : `the unzipped budget of ${budgetMB} MiB (--max-unzipped-mb)`;
  if (unzippedBytes >= limit) {
    return { error: `layer is ${formatMB(unzippedBytes)} unzipped, over ${what}${largestText(largest)}`, warnings: [] };
  }
  if (unzippedBytes >= NEAR_FRACTION * limit) {
    const pct = Math.round((100 * unzippedBytes) / limit);
    return { warnings: [`layer is ${formatMB(unzippedBytes)} unzipped, ${pct}% of ${what}${largestText(largest)}`] };
  }
  return { warnings: [] };
}

export function checkZipped(zippedBytes: number, largest: readonly PackageSize[]): LimitCheck {
  if (zippedBytes >= ZIPPED_LIMIT_MB * MB) {
    return {
      warnings: [
        `layer zip is ${formatMB(zippedBytes)}, over the 50 MiB limit for a direct upload: deploy it through S3 (sam package / aws cloudformation package do)${largestText(largest)}`,
      ],
    };
  }
  return { warnings: [] };
}
