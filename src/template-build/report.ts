// What `sam-layer build --template` prints: one line per layer, then one per rewritten template.
import type { TemplateBuildResult } from "./index.js";

export function formatTemplateBuild(r: TemplateBuildResult): string[] {
  if (r.status === "tools-listed") return [r.tools.join(" ")];
  const lines: string[] = [];
  if (r.status === "key-written") {
    lines.push(`${r.keyFile}: cache key ${r.key} (${r.layers.length} layer${r.layers.length === 1 ? "" : "s"}: ${r.layers.map((l) => l.idPath).join(", ")})`);
  } else {
    for (const l of r.layers) {
      const status = l.status === "unchanged" ? "unchanged" : l.status;
      lines.push(`${l.idPath}: ${l.pkgManager}, ${l.runtime} ${l.architecture}, ${status}, md5 ${l.md5}, ${l.output}`);
    }
  }
  for (const l of r.left) lines.push(`${l.idPath}: left as it is (${l.template}): ${l.reason}`);
  if (r.status === "built") for (const t of r.templates) lines.push(`${t.output}: ${t.status} (${t.source} with the layers above)`);
  return lines;
}
