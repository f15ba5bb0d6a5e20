// How many CPUs this process can keep busy: Node's availableParallelism() (the affinity mask),
// capped by the cgroup CPU quota of the process's cgroup and its ancestors. In a container limited
// by quota (`docker run --cpus`, CircleCI's Docker resource classes) the affinity mask is the
// host's: Node 20's libuv (1.46) then reports every core of the host, and Node 24's (1.52) reads
// only cgroup v2's quota. Measured on this project's 2-core machine: three zip workers where one
// fits cost 27 MB of peak RSS on Node 20 and 36 MB on Node 24, and 5-10 % more wall time. Rounded
// down, as libuv and Rust's std::thread::available_parallelism do: 2.5 CPUs keep two threads busy.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

interface CgroupMount {
  /** the path inside the cgroup hierarchy that is mounted (not "/" without a cgroup namespace) */
  root: string;
  mountPoint: string;
}

/** `root` is "/" except in tests, which give a folder laid out like one (proc/self/..., sys/fs/cgroup/...). */
export function usableCpus(root = "/"): number {
  const cpus = availableParallelism();
  if (process.platform !== "linux") return cpus;
  const quota = cgroupCpuQuota(root);
  return quota === undefined ? cpus : Math.max(1, Math.min(cpus, Math.floor(quota)));
}

/** The smallest CPU quota (in CPUs) on the way from this process's cgroup to the top; undefined when none. */
export function cgroupCpuQuota(root = "/"): number | undefined {
  const cgroups = read(root, "proc/self/cgroup");
  const mountinfo = read(root, "proc/self/mountinfo");
  if (cgroups === undefined || mountinfo === undefined) return undefined;
  let smallest: number | undefined;
  for (const line of cgroups.split("\n")) {
    // "hierarchy-id:controllers:path"; the path may itself contain ":".
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, id, controllers, path] = m as unknown as [string, string, string, string];
    const v2 = id === "0" && controllers === "";
    if (!v2 && !controllers.split(",").includes("cpu")) continue;
    const mount = findMount(mountinfo, v2);
    if (!mount) continue;
    const quota = v2 ? quotaUp(root, mount, path, v2Quota) : quotaUp(root, mount, path, v1Quota);
    if (quota !== undefined && (smallest === undefined || quota < smallest)) smallest = quota;
  }
  return smallest;
}

/** cgroup v2: `cpu.max` is "QUOTA PERIOD" or "max PERIOD". */
function v2Quota(root: string, dir: string): number | undefined {
  const [quota, period] = (read(root, `${dir}/cpu.max`) ?? "").trim().split(/\s+/);
  return ratio(quota, period);
}

/** cgroup v1: `cpu.cfs_quota_us` (-1 for none) over `cpu.cfs_period_us`. */
function v1Quota(root: string, dir: string): number | undefined {
  return ratio(read(root, `${dir}/cpu.cfs_quota_us`)?.trim(), read(root, `${dir}/cpu.cfs_period_us`)?.trim());
}

function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && q > 0 && Number.isFinite(p) && p > 0 ? q / p : undefined;
}

/** A parent's quota limits its children too, so every folder up to the mount point counts. */
function quotaUp(root: string, mount: CgroupMount, path: string, quotaOf: (root: string, dir: string) => number | undefined): number | undefined {
  // The mount shows the hierarchy from mount.root down; a path outside it cannot be read.
  const prefix = mount.root === "/" ? "" : mount.root;
  if (prefix && path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
  let rel = path.slice(prefix.length).replace(/\/+$/, "");
  let smallest: number | undefined;
  for (;;) {
    const quota = quotaOf(root, `${mount.mountPoint}${rel}`);
    if (quota !== undefined && (smallest === undefined || quota < smallest)) smallest = quota;
    if (rel === "") return smallest;
    rel = rel.slice(0, rel.lastIndexOf("/"));
  }
}

/**
 * The cgroup mount for v2, or v1's with the cpu controller, from /proc/self/mountinfo:
 * "ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS".
 */
function findMount(mountinfo: string, v2: boolean): CgroupMount | undefined {
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    if (!before || !after) continue;
    const fields = before.split(" ");
    const [fsType, , superOptions = ""] = after.split(" ");
    const match = v2 ? fsType === "cgroup2" : fsType === "cgroup" && superOptions.split(",").includes("cpu");
    if (match && fields[3] && fields[4]) return { root: unescapeOctal(fields[3]), mountPoint: unescapeOctal(fields[4]) };
  }
  return undefined;
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes ("\040"). */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

function read(root: string, path: string): string | undefined {
  try {
    return readFileSync(`${root.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`, "utf8");
  } catch {
    return undefined;
  }
}
