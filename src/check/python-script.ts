// The Python side of the import check, run as `python3.X -I -S -B -c SCRIPT <layer python dir>
// <X.Y> <result file> <skip,list> <part>/<parts> [<own,modules> <label>]`. Several processes
// (one per core) each import their share of the distributions: every process lists them all and
// deals them out the same way, biggest first (by RECORD's sizes) to the least loaded share. Own modules (a layer folder's own code)
// are imported after the distributions' modules; for them, a missing module that every Lambda
// Python runtime ships (boto3 and its dependencies, outside the layer) is not a failure. -I: no PYTHON* variables, no user site, no script folder;
// -S: no site-packages of the interpreter; -B: no .pyc written into the layer being checked.
// sys.path is what Lambda's bootstrap gives a layer: /opt/python/lib/python3.X/site-packages,
// then /opt/python, then the standard library.
export const PYTHON_IMPORT_CHECK = String.raw`
import importlib, json, os, platform, sys, time, warnings
python_dir, expected, result_file, skip_arg, part_arg = sys.argv[1:6]
own_arg, own_label = (sys.argv[6:8] + ["", ""])[:2]
part, parts = (int(x) for x in part_arg.split("/"))
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}
skip = set(n for n in skip_arg.split(",") if n)
version = "%d.%d" % sys.version_info[:2]
result = {"python": version, "machine": platform.machine(), "executable": sys.executable}
if version != expected:
    result["error"] = "version"
    json.dump(result, open(result_file, "w"))
    sys.exit(0)
site_dir = os.path.join(python_dir, "lib", "python" + expected, "site-packages")
roots = [d for d in (site_dir, python_dir) if os.path.isdir(d)]
sys.path[:] = roots + [p for p in sys.path if p]

def metadata(dist_info):
    name = version = None
    try:
        with open(os.path.join(dist_info, "METADATA"), encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break
                if line.startswith("Name:") and name is None:
                    name = line[5:].strip()
                elif line.startswith("Version:") and version is None:
                    version = line[8:].strip()
    except OSError:
        pass
    base = os.path.basename(dist_info)[: -len(".dist-info")]
    fallback_name, _, fallback_version = base.partition("-")
    return name or fallback_name, version or fallback_version

def exists(root, module):
    path = os.path.join(root, *module.split("."))
    if os.path.isdir(path):
        return True
    folder, leaf = os.path.split(path)
    if not os.path.isdir(folder):
        return False
    return any(f == leaf + ".py" or (f.startswith(leaf + ".") and f.endswith((".so", ".pyd"))) for f in os.listdir(folder))

def top_level(root, dist_info):
    """Names from top_level.txt; without one, the first component of every RECORD path."""
    names = set()
    top = os.path.join(dist_info, "top_level.txt")
    if os.path.exists(top):
        with open(top, encoding="utf-8", errors="replace") as f:
            names = {line.strip().replace("/", ".") for line in f if line.strip()}
    else:
        try:
            with open(os.path.join(dist_info, "RECORD"), encoding="utf-8", errors="replace") as f:
                for line in f:
                    path = line.rsplit(",", 2)[0].strip().strip('"')
                    first = path.split("/", 1)[0]
                    if not first or first.startswith(".") or first.endswith((".dist-info", ".data", ".pth")) or first == "__pycache__":
                        continue
                    if "/" in path:
                        names.add(first)
                    elif first.endswith(".py"):
                        names.add(first[:-3])
                    elif first.endswith((".so", ".pyd")):
                        names.add(first.split(".", 1)[0])
        except OSError:
            pass
    # Only what is really in the layer, and only importable names (top_level.txt can list
    # folders a wheel does not ship, and RECORD lists data files).
    return sorted(n for n in names if all(part.isidentifier() for part in n.split(".")) and exists(root, n))

def installed_bytes(dist_info):
    total = 0
    try:
        with open(os.path.join(dist_info, "RECORD"), encoding="utf-8", errors="replace") as f:
            for line in f:
                size = line.rstrip().rsplit(",", 1)[-1]
                total += int(size) if size.isdigit() else 0
    except OSError:
        pass
    return total

dists = []
for root in roots:
    for entry in sorted(os.listdir(root)):
        if entry.endswith(".dist-info"):
            name, version = metadata(os.path.join(root, entry))
            dists.append({"name": name, "version": version, "modules": top_level(root, os.path.join(root, entry)),
                          "bytes": installed_bytes(os.path.join(root, entry))})
if parts > 1:
    loads, mine = [0] * parts, []
    for dist in sorted(dists, key=lambda d: (-d["bytes"], d["name"])):
        k = loads.index(min(loads))
        loads[k] += dist["bytes"] + 1
        if k == part:
            mine.append(dist)
    dists = sorted(mine, key=lambda d: d["name"].lower())

own = [n for n in own_arg.split(",") if n]
if own and part == 0:
    dists.append({"name": own_label, "version": "", "modules": own, "own": True})

failures, imported, own_imported, skipped = [], 0, 0, []
warnings.simplefilter("ignore")
started = time.time()
for dist in dists:
    for module in dist["modules"]:
        if module in skip or module.split(".")[0] in skip:
            skipped.append(module)
            continue
        print("sam-layer-check: importing %s %s %s" % (dist["name"].replace(" ", "_"), dist["version"], module), file=sys.stderr, flush=True)
        try:
            importlib.import_module(module)
            if dist.get("own"):
                own_imported += 1
            else:
                imported += 1
        except BaseException as e:  # SystemExit and KeyboardInterrupt at import time are failures too
            if dist.get("own") and isinstance(e, ModuleNotFoundError) and (e.name or "").split(".")[0] in RUNTIME_PROVIDED:
                own_imported += 1
                continue
            message = str(e).splitlines()[0] if str(e) else ""
            failures.append({"dist": dist["name"], "version": dist["version"], "module": module,
                             "error": type(e).__name__ + (": " + message if message else "")})
result.update(distributions=len([d for d in dists if not d.get("own")]), modules=imported, own=own_imported, skipped=skipped, failures=failures,
              seconds=round(time.time() - started, 2))
json.dump(result, open(result_file, "w"))
`;
