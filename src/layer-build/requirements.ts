// Rewrites exported requirements for the Lambda target: pip evaluates environment markers against
// the machine it runs on even with --platform/--python-version, so a `; python_version < "3.11"`
// line would follow the CI image's Python instead of the runtime's. The markers are evaluated here
// with pip's own vendored `packaging`, against the target's environment.
import { UserError } from "../errors.js";
import { firstErrorLine, runTool } from "./run.js";

export interface Requirement {
  /** normalized project name (PEP 503) */
  name: string;
  /** the requirement as written, without its marker */
  spec: string;
  /** pinned to one version (== without wildcard, ===) or a direct URL */
  pinned: boolean;
}

export interface FilteredRequirements {
  kept: Requirement[];
  /** requirements whose markers exclude the target */
  dropped: string[];
}

const SCRIPT = String.raw`
import json, re, sys
try:
    from pip._vendor.packaging.markers import Marker
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name
except ImportError:
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
src, dst, env = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
lines, buf = [], ""
with open(src, encoding="utf-8") as f:
    for raw in f.read().splitlines():
        s = raw.rstrip()
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        lines.append(buf + raw)
        buf = ""
if buf:
    lines.append(buf)
out, kept, dropped = [], [], []
for number, line in enumerate(lines, 1):
    s = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
    if not s:
        continue
    if s.startswith("-"):
        out.append(s)
        continue
    m = re.search(r"\s--?[A-Za-z]", s)
    text, opts = (s[: m.start()], s[m.start():].strip()) if m else (s, "")
    if text.startswith("/"):
        # a local package by its absolute path (no name known): pip's "path ; marker" form
        path, _, marker = text.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate(env):
            dropped.append(path.strip())
            continue
        kept.append({"name": "", "spec": path.strip(), "pinned": True})
        out.append((path.strip() + " " + opts).strip())
        continue
    try:
        req = Requirement(text)
    except Exception as e:
        # old vendored packaging refuses some direct URLs the installers take (git+file:///...)
        u = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*@\s*(\S+)(?:\s*;\s*(.+))?$", text.strip())
        if not u:
            print(json.dumps({"error": "line %d: %s: %s" % (number, text, e)}))
            sys.exit(3)
        spec = text.split(" ;", 1)[0].strip() if u.group(4) else text.strip()
        if u.group(4) and not Marker(u.group(4)).evaluate(env):
            dropped.append(spec)
            continue
        kept.append({"name": canonicalize_name(u.group(1)), "spec": spec, "pinned": True})
        out.append((spec + " " + opts).strip())
        continue
    spec = text.split(";", 1)[0].strip() if req.marker is not None else text.strip()
    if req.marker is not None and not req.marker.evaluate(env):
        dropped.append(spec)
        continue
    pins = list(req.specifier)
    pinned = req.url is not None or (len(pins) == 1 and (pins[0].operator == "===" or (pins[0].operator == "==" and "*" not in pins[0].version)))
    kept.append({"name": canonicalize_name(req.name), "spec": spec, "pinned": pinned})
    out.append((spec + " " + opts).strip())
with open(dst, "w", encoding="utf-8") as f:
    f.write("\n".join(out) + "\n")
print(json.dumps({"kept": kept, "dropped": dropped}))
`;

/** Reads `src`, writes the target's requirements to `dst`; `shown` names the file in errors. */
export async function filterForTarget(
  python: string,
  src: string,
  dst: string,
  markerEnv: Record<string, string>,
  shown: string,
): Promise<FilteredRequirements> {
  const run = await runTool(python, ["-c", SCRIPT, src, dst, JSON.stringify(markerEnv)], {
    installHint: "install Python 3 or pass --python PATH",
  });
  const last = run.stdout.trim().split("\n").at(-1) ?? "";
  let parsed: { kept?: Requirement[]; dropped?: string[]; error?: string };
  try {
    parsed = JSON.parse(last) as typeof parsed;
  } catch {
    throw new UserError(`cannot read the requirements exported from ${shown}: ${firstErrorLine(run)}`);
  }
  if (parsed.error) throw new UserError(`bad requirement in the requirements exported from ${shown}: ${parsed.error}`);
  if (run.code !== 0 || !parsed.kept) throw new UserError(`cannot read the requirements exported from ${shown}: ${firstErrorLine(run)}`);
  return { kept: parsed.kept, dropped: parsed.dropped ?? [] };
}
