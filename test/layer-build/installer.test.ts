// The installer and what it installs: uv (default) and pip give the same bytes; the target's Python
// decides Requires-Python and dependency markers whatever Python runs the build; pure-Python sdists
// are built reproducibly (pinned backends), native ones refused; a failed build changes nothing.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { app, build, built, cli, scratch, sh, snapshot, zipNames } from "./helpers.js";

// Several real builds per test (fresh, another folder, restored, edited) on a shared 2-core machine.
const LONG = 480_000;

const root = scratch("installer");

/** Files an installer adds on top of a wheel: none may reach the layer. */
function installerFiles(zip: string): string[] {
  return zipNames(zip).filter((n) => /\.dist-info\/(INSTALLER|REQUESTED|direct_url\.json|uv_build\.json)$|^python\/(bin\/|\.lock$)/.test(n));
}

describe("installer-independent bytes", () => {
  // cryptography 46.0.3 ships manylinux_2_34 and manylinux_2_28 / 2014 builds: the rule picks one
  const REQS = "six==1.16.0\ncharset-normalizer==3.3.2\ncryptography==46.0.3\ncffi==2.0.0\npycparser==2.23\n";

  it.each([
    ["python3.12", "x86_64", /^cp311-abi3-manylinux_2_34_x86_64$/],
    ["python3.11", "arm64", /^cp311-abi3-manylinux_2_17_aarch64\ncp311-abi3-manylinux2014_aarch64$/],
  ] as const)(
    "%s %s: uv and pip install the same wheels and give the same md5",
    async (runtime, architecture, tag) => {
      const results = [];
      for (const installer of ["uv", "pip"] as const) {
        const dir = app(root, `same-${runtime}-${architecture}-${installer}`, { "requirements.txt": REQS });
        const r = built((await build({ appDir: dir, runtime, architecture, installer })).result);
        expect(r.installer).toBe(installer);
        expect(installerFiles(join(dir, "layer.zip"))).toEqual([]);
        const wheel = readFileSync(join(dir, "layer/python/cryptography-46.0.3.dist-info/WHEEL"), "utf8");
        expect([...wheel.matchAll(/^Tag: (\S+)$/gm)].map((m) => m[1]).join("\n")).toMatch(tag);
        results.push({ md5: r.md5, record: readFileSync(join(dir, "layer/python/six-1.16.0.dist-info/RECORD"), "utf8") });
      }
      expect(results[1]!.md5).toBe(results[0]!.md5);
      // the canonical RECORD: sorted, recomputed, itself last-field-empty
      expect(results[0]!.record).toBe(
        [
          "six-1.16.0.dist-info/LICENSE,sha256=i7hQxWWqOJ_cFvOkaWWtI9gq3_YPI5P8J2K2MYXo5sk,1066",
          "six-1.16.0.dist-info/METADATA,sha256=VQcGIFCAEmfZcl77E5riPCN4v2TIsc_qtacnjxKHJoI,1795",
          "six-1.16.0.dist-info/RECORD,,",
          "six-1.16.0.dist-info/WHEEL,sha256=Z-nyYpwrcSqxfdux5Mbn_DQ525iP7J2DG3JgGvOYyTQ,110",
          "six-1.16.0.dist-info/top_level.txt,sha256=_iVH_iYEtEXnD8nYGQYpYFUvkUW9sEO1GYbkeKSAais,4",
          "six.py,sha256=TOOfQi7nFGfMrIvtdr6wX4wyHH8M7aknmuLfo2cBBrM,34549",
          "",
        ].join("\n"),
      );
    },
    LONG,
  );
});

describe("the target's Python decides, not the build machine's", () => {
  const machine = sh("python3", ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).trim();

  it(
    "builds a python3.12 layer whose package requires Python >= 3.12 with the machine's python3",
    async () => {
      expect(machine).not.toBe("3.12");
      // Django 6.1 declares Requires-Python >=3.12 (pip 23.2 refuses it from 3.11: pypa/pip#12216)
      const dir = app(root, "django", { "requirements.txt": "django==6.1.3\n" });
      const r = built((await build({ appDir: dir, runtime: "python3.12", python: "python3" })).result);
      const names = zipNames(join(dir, "layer.zip"));
      expect(names).toContain("python/django/__init__.py");
      // its dependencies, resolved for 3.12 (tzdata is for Windows only)
      expect(names).toContain("python/asgiref/__init__.py");
      expect(names).toContain("python/sqlparse/__init__.py");
      expect(names.some((n) => n.startsWith("python/tzdata"))).toBe(false);
      expect(r.status).toBe("created");
    },
    LONG,
  );

  it(
    "evaluates markers of unpinned dependencies for the runtime: backports.tarfile only below 3.12",
    async () => {
      const files = { "requirements.txt": "jaraco.context==6.0.1\n" };
      const py312 = app(root, "jaraco-312", files);
      const py311 = app(root, "jaraco-311", files);
      await build({ appDir: py312, runtime: "python3.12" });
      await build({ appDir: py311, runtime: "python3.11" });
      expect(zipNames(join(py312, "layer.zip")).some((n) => n.startsWith("python/backports"))).toBe(false);
      expect(zipNames(join(py311, "layer.zip"))).toContain("python/backports/tarfile/__init__.py");
    },
    LONG,
  );
});

describe("sdists", () => {
  // docopt 0.6.2 and sgmllib3k 1.0.0 (feedparser's dependency) never shipped a wheel
  const REQS = "docopt==0.6.2\nfeedparser==6.0.11\nsgmllib3k==1.0.0\n";

  it(
    "builds pure-Python sdists into the layer: the same md5 from two empty caches and another folder",
    async () => {
      const md5s: string[] = [];
      for (const name of ["one", "two"]) {
        const dir = app(root, `sdist-${name}`, { "requirements.txt": REQS });
        const env = { ...process.env, UV_CACHE_DIR: join(root, `uv-cache-${name}`) };
        const r = cli(["build", "--runtime", "python3.12", "--json"], dir, env);
        expect(r.status, r.stderr).toBe(0);
        md5s.push((JSON.parse(r.stdout) as { md5: string }).md5);
        const names = zipNames(join(dir, "layer.zip"));
        expect(names).toContain("python/docopt.py");
        expect(names).toContain("python/sgmllib.py");
        expect(installerFiles(join(dir, "layer.zip"))).toEqual([]);
        // the pinned backend, not the newest setuptools on the index
        expect(readFileSync(join(dir, "layer/python/docopt-0.6.2.dist-info/WHEEL"), "utf8")).toMatch(/^Generator: setuptools \(82\.0\.1\)$/m);
      }
      const elsewhere = app(scratch("installer-elsewhere"), "deeper/app", { "requirements.txt": REQS });
      md5s.push(built((await build({ appDir: elsewhere, runtime: "python3.12" })).result).md5);
      expect(new Set(md5s).size).toBe(1);
    },
    LONG,
  );

  it(
    "refuses an sdist that compiles native code, in one line naming it",
    () => {
      // crcmod 1.7 is an sdist with a C extension; this machine's Python is not the runtime's
      const dir = app(root, "native", { "requirements.txt": "crcmod==1.7\n" });
      const r = cli(["build", "--runtime", "python3.12"], dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^sam-layer: crcmod==1\.7 has no wheel for python3\.12 x86_64 \(cp312, manylinux glibc 2\.34\) and its sdist compiles native code, which would be for this machine \(crcmod-1\.7-cp311-cp311-linux_x86_64\.whl\): pick a version with a wheel \(from requirements\.txt\)\n$/,
      );
      expect(readdirSync(dir).sort()).toEqual(["requirements.txt"]);
    },
    LONG,
  );

  it(
    "keeps a native sdist build only with --allow-native-sdist on a machine that is the target",
    () => {
      const dir = app(root, "native-here", { "requirements.txt": "crcmod==1.7\n" });
      const refused = cli(["build", "--runtime", "python3.11"], dir);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/^sam-layer: crcmod==1\.7 \(cp311-cp311-linux_x86_64\) was built from an sdist with native code .*--allow-native-sdist/);
      const allowed = cli(["build", "--runtime", "python3.11", "--allow-native-sdist"], dir);
      expect(allowed.status, allowed.stderr).toBe(0);
      expect(zipNames(join(dir, "layer.zip")).some((n) => /^python\/crcmod\/_crcfunext\..*\.so$/.test(n))).toBe(true);
      const arm = cli(["build", "--runtime", "python3.11", "--architecture", "arm64", "--allow-native-sdist"], dir);
      expect(arm.status).toBe(1);
      expect(arm.stderr).toMatch(/^sam-layer: crcmod==1\.7 has no wheel for python3\.11 arm64/);
    },
    LONG,
  );
});

describe("nothing changes on failure", () => {
  it(
    "keeps the layer folder, zip, key and stat file byte-identical past the size limit and on an install failure",
    async () => {
      const dir = app(root, "keep", { "requirements.txt": "six==1.16.0\n" });
      await build({ appDir: dir, runtime: "python3.12" });
      const before = snapshot(dir);
      expect(Object.keys(before)).toEqual(expect.arrayContaining(["layer.zip", "layer.zip.key", "layer.zip.stat.json", "layer/python/six.py"]));

      // a new key (another package) whose install is over the budget
      writeFileSync(join(dir, "requirements.txt"), "six==1.16.0\ncharset-normalizer==3.3.2\n");
      await expect(build({ appDir: dir, runtime: "python3.12", maxUnzippedMb: 0.1 })).rejects.toThrow(/^layer is 0\.\d MiB unzipped, over the unzipped budget/);
      expect(snapshot(dir)).toEqual(before);

      writeFileSync(join(dir, "requirements.txt"), "six==1.16.0\nno-such-package-sam-layer==1.0\n");
      await expect(build({ appDir: dir, runtime: "python3.12" })).rejects.toThrow(/no-such-package-sam-layer was not found/);
      expect(snapshot(dir)).toEqual(before);
    },
    LONG,
  );
});
