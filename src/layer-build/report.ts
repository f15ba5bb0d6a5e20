// What `sam-layer build` prints: a few human lines, or one JSON object.
import type { BuildResult } from "./index.js";
import { formatMB } from "./limits.js";

export function formatBuild(r: BuildResult): string[] {
  if (r.status === "key-written") return [`${r.keyFile}: cache key ${r.key} (${r.pkgManager}, ${r.lockfile}, ${r.runtime} ${r.architecture})`];
  if (r.status === "tools-listed") return [r.tools.join(" ")];
  const status = r.status === "unchanged" ? "unchanged (nothing to do)" : r.status;
  const pct = (bytes: number, mb: number) => `${Math.round((100 * bytes) / (mb * 1024 * 1024))}%`;
  return [
    `${r.output}: ${status}, ${r.entries} entries`,
    `md5 ${r.md5} (the S3 key), sha256 ${r.sha256} (CodeSha256)`,
    `size: ${formatMB(r.unzippedBytes)} unzipped (${pct(r.unzippedBytes, r.limits.unzippedMb)} of ${r.limits.unzippedMb} MiB), ` +
      `${formatMB(r.bytes)} zipped (${pct(r.bytes, r.limits.zippedMb)} of ${r.limits.zippedMb} MiB)`,
  ];
}
