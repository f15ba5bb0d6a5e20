// The one line the import check prints, in `check` and in `build`.
import type { ImportCheckResult } from "./imports.js";

export function formatCheck(r: ImportCheckResult): string {
  if (r.status === "skipped") return `import check skipped: ${r.reason}`;
  const skipped = r.skipped.length ? `, skipped ${r.skipped.join(", ")}` : "";
  const note = r.note ? ` (${r.note})` : "";
  const own = r.own ? ` and ${r.own} own module${r.own === 1 ? "" : "s"}` : "";
  return `import check: ${r.modules} module${r.modules === 1 ? "" : "s"} of ${r.distributions} distribution${r.distributions === 1 ? "" : "s"}${own} import on ${r.runtime} (${r.interpreter}, ${r.seconds} s${skipped})${note}`;
}
