// The CPU count the zipper's workers and the import check's processes are sized by: Node's count,
// capped by the cgroup CPU quota. The quota is set for real on a cgroup v1 cpu hierarchy when this
// runs as root where one is mounted writable; the layouts of cgroup v2 and of a Docker container
// without a cgroup namespace, which this machine cannot produce, are read from folders laid out
// like /proc and /sys.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { cgroupCpuQuota, usableCpus } from "../../src/usable-cpus.js";
import { tempDir } from "./support.js";

/** This process's folder in a writable cgroup v1 cpu hierarchy, if there is one. */
function cpuCgroupDir(): string | undefined {
  if (process.getuid?.() !== 0 || availableParallelism() < 2) return undefined;
  const line = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((l) => /^\d+:[^:]*\bcpu\b[^:]*:/.test(l));
  const mount = ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"].find((m) => existsSync(join(m, "cpu.cfs_quota_us")));
  if (!line || !mount) return undefined;
  const dir = join(mount, line.slice(line.indexOf(":", line.indexOf(":") + 1) + 1));
  try {
    const probe = join(dir, `sam-layer-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return dir;
  } catch {
    return undefined;
  }
}

/** usableCpus() and Node's own count, from a process started inside `cgroup`. */
function countsInside(cgroup: string): { usable: number; node: number } {
  const work = tempDir();
  const script = join(work, "count.mjs");
  writeFileSync(
    script,
    `import { availableParallelism } from "node:os";
const { usableCpus } = await import(${JSON.stringify(resolve("src/usable-cpus.ts"))});
console.log(JSON.stringify({ usable: usableCpus(), node: availableParallelism() }));
`,
  );
  const r = spawnSync("sh", ["-c", 'echo $$ > "$1/cgroup.procs" && exec node --import tsx "$2"', "sh", cgroup, script], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as { usable: number; node: number };
}

function withCgroup<T>(parent: string, name: string, quotaUs: number, run: (dir: string) => T): T {
  const dir = join(parent, `${name}-${process.pid}`);
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, "cpu.cfs_period_us"), "100000");
    writeFileSync(join(dir, "cpu.cfs_quota_us"), String(quotaUs));
    return run(dir);
  } finally {
    rmdirSync(dir);
  }
}

const v1 = cpuCgroupDir();

describe.skipIf(!v1)("under a real cgroup v1 CPU quota (root only)", () => {
  it("counts one CPU under a one-CPU quota on a machine with more", () => {
    // Node 20 and 24 count 2 there on this project's machine; a Node that reads v1 quotas would count 1 too.
    expect(withCgroup(v1!, "sam-layer-one", 100000, countsInside).usable).toBe(1);
  });

  it("rounds 1.5 CPUs down, and takes a parent's quota when the process's own cgroup has none", () => {
    expect(withCgroup(v1!, "sam-layer-half", 150000, countsInside).usable).toBe(1);
    const counts = withCgroup(v1!, "sam-layer-parent", 100000, (parent) => withCgroup(parent, "child", -1, countsInside));
    expect(counts.usable).toBe(1);
  });

  it("counts Node's CPUs without a quota", () => {
    const counts = withCgroup(v1!, "sam-layer-none", -1, countsInside);
    expect(counts.usable).toBe(counts.node);
  });
});

/** A folder laid out like / with the given files. */
function fakeRoot(files: Record<string, string>): string {
  const root = tempDir();
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe("reading the quota from the kernel's files", () => {
  it("reads cgroup v2's cpu.max in a container with its own cgroup namespace (Docker on a cgroup v2 host)", () => {
    const root = fakeRoot({
      "proc/self/cgroup": "0::/\n",
      "proc/self/mountinfo":
        "1108 1107 0:26 / / rw,relatime - overlay overlay rw\n1112 1108 0:27 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate\n",
      "sys/fs/cgroup/cpu.max": "200000 100000\n",
    });
    expect(cgroupCpuQuota(root)).toBe(2);
    expect(usableCpus(root)).toBe(Math.min(2, availableParallelism()));
    writeFileSync(join(root, "sys/fs/cgroup/cpu.max"), "max 100000\n");
    expect(cgroupCpuQuota(root)).toBeUndefined();
    expect(usableCpus(root)).toBe(availableParallelism());
  });

  it("walks cgroup v2 up to the mount, taking the smallest quota", () => {
    const root = fakeRoot({
      "proc/self/cgroup": "0::/system.slice/ci.service/job\n",
      "proc/self/mountinfo": "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
      "sys/fs/cgroup/system.slice/ci.service/job/cpu.max": "max 100000\n",
      "sys/fs/cgroup/system.slice/ci.service/cpu.max": "50000 100000\n",
      "sys/fs/cgroup/system.slice/cpu.max": "400000 100000\n",
    });
    expect(cgroupCpuQuota(root)).toBe(0.5);
    expect(usableCpus(root)).toBe(1);
  });

  it("reads cgroup v1 in a container without a cgroup namespace (the mount's root is the container's cgroup)", () => {
    const root = fakeRoot({
      "proc/self/cgroup": "12:memory:/docker/0123abc\n4:cpu,cpuacct:/docker/0123abc\n1:name=systemd:/docker/0123abc\n",
      "proc/self/mountinfo":
        "620 600 0:52 /docker/0123abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime master:17 - cgroup cgroup rw,cpu,cpuacct\n" +
        "621 600 0:53 /docker/0123abc /sys/fs/cgroup/cpuset ro,nosuid,nodev,noexec,relatime master:18 - cgroup cgroup rw,cpuset\n",
      "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "300000\n",
      "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
    });
    expect(cgroupCpuQuota(root)).toBe(3);
  });

  it("unescapes mount points and ignores what it cannot read", () => {
    const root = fakeRoot({
      "proc/self/cgroup": "0::/a b\n",
      "proc/self/mountinfo": "30 23 0:26 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n",
      "sys/fs/my cgroup/a b/cpu.max": "100000 100000\n",
    });
    expect(cgroupCpuQuota(root)).toBe(1);
    expect(cgroupCpuQuota(tempDir())).toBeUndefined();
    expect(usableCpus(tempDir())).toBe(availableParallelism());
  });
});
