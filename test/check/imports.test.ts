// The import check (`sam-layer check` and the one inside `sam-layer build`): real installs, real
// interpreters of the runtime's version (python3.11 and python3.12 on PATH, as .ci/run arranges).
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, REPO, scratch } from "../layer-build/helpers.js";

const OLD_LOCK = resolve(REPO, "test/check/fixtures/requests-2.20.0");
// The exact form: distribution, module, exception and runtime on one line.
const REQUESTS_FAILS = "requests 2.20.0: import requests fails on python3.12: ModuleNotFoundError: No module named 'urllib3.packages.six.moves'";

/** Every file's path, size, mode, mtime and content hash: "untouched" means all of it. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${p} ${st.size} ${st.mode} ${st.mtimeMs} ${createHash("md5").update(readFileSync(p)).digest("hex")}`);
    }
  };
  walk(dir);
  return out;
}

function files(root: string, tree: Record<string, string>): string {
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("import check: the example's old lock (requests 2.20.0)", () => {
  let work: string;
  let appDir: string;

  beforeAll(() => {
    work = scratch("imports");
    appDir = join(work, "app");
    cpSync(OLD_LOCK, appDir, { recursive: true });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("passes on python3.11: every top-level module of the six distributions imports", () => {
    const r = cli(["build", "--runtime", "python3.11"], appDir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^import check: 7 modules of 6 distributions import on python3\.11 \(/m);
  });

  it("fails on python3.12 with one line per module, exit 1, and leaves the previous folder, zip, key and stat file as they were", () => {
    const before = snapshot(appDir);
    const r = cli(["build", "--runtime", "python3.12"], appDir);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe(`sam-layer: ${REQUESTS_FAILS}`);
    expect(lines.slice(1)).toEqual(["urllib3 1.24.3: import urllib3 fails on python3.12: ModuleNotFoundError: No module named 'urllib3.packages.six.moves'"]);
    expect(snapshot(appDir)).toEqual(before);
    // No fresh folder left behind either.
    expect(readdirSync(appDir).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("sam-layer check: the same answer for the zip built elsewhere; --skip-import leaves modules out", () => {
    const zip = join(appDir, "layer.zip");
    const failed = cli(["check", zip, "--runtime", "python3.12"], work);
    expect(failed.status).toBe(1);
    expect(failed.stderr.split("\n")[0]).toBe(`sam-layer: ${REQUESTS_FAILS}`);
    const skipped = cli(["check", zip, "--runtime", "python3.12", "--skip-import", "requests", "--skip-import", "urllib3"], work);
    expect(skipped.status).toBe(0);
    expect(skipped.stdout).toMatch(/^import check: 5 modules of 6 distributions import on python3\.12 \(.*, skipped requests, urllib3\)$/m);
  });

  it("says it was skipped, and why, when there is no interpreter of the runtime's version; --no-import-check turns it off", () => {
    const noPython = { ...process.env, PATH: dirname(process.execPath) };
    const r = cli(["check", join(appDir, "layer"), "--runtime", "python3.12"], work, noPython);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("import check skipped: no python3.12 on PATH to import the layer with (pass --python)");
    // A version manager's shim for a version it does not enable (pyenv's exits 127 this way).
    const shims = join(work, "shims");
    mkdirSync(shims, { recursive: true });
    writeFileSync(join(shims, "python3.12"), "#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n", { mode: 0o755 });
    const shimmed = cli(["check", join(appDir, "layer"), "--runtime", "python3.12"], work, { ...noPython, PATH: `${shims}:${noPython.PATH}` });
    expect(shimmed.status).toBe(0);
    expect(shimmed.stdout.trim()).toBe(
      "import check skipped: python3.12 on PATH does not run (pyenv: python3.12: command not found) to import the layer with (pass --python)",
    );
    const wrong = cli(["check", join(appDir, "layer"), "--runtime", "python3.12", "--python", "python3.11"], work);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr.trim()).toBe("sam-layer: --python python3.11 is Python 3.11, not 3.12");
    const off = cli(["build", "--runtime", "python3.12", "--no-import-check"], appDir);
    expect(off.status).toBe(0);
    expect(off.stdout).not.toMatch(/import check/);
  });
});

describe("import check: what it imports and how", () => {
  let work: string;
  beforeAll(() => {
    work = scratch("imports-synthetic");
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("takes modules from RECORD when there is no top_level.txt, sees nothing of the machine's site-packages, names a crash", () => {
    const layer = files(join(work, "py"), {
      "python/good/__init__.py": "",
      "python/solo.py": "import pip\n", // pip is in the interpreter's own site-packages: invisible
      "python/demo-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n",
      "python/demo-1.0.dist-info/RECORD": "good/__init__.py,,\nsolo.py,,\ndemo-1.0.dist-info/METADATA,,\n../../bin/demo,,\n",
      "python/lib/python3.12/site-packages/crash.py": "import os\nos.abort()\n",
      "python/lib/python3.12/site-packages/crasher-2.0.dist-info/METADATA": "Name: crasher\nVersion: 2.0\n\n",
      "python/lib/python3.12/site-packages/crasher-2.0.dist-info/top_level.txt": "crash\nnot_shipped\n",
    });
    const r = cli(["check", layer, "--runtime", "python3.12", "--skip-import", "crash"], work);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("sam-layer: demo 1.0: import solo fails on python3.12: ModuleNotFoundError: No module named 'pip'");
    const crashed = cli(["check", layer, "--runtime", "python3.12", "--skip-import", "solo"], work);
    expect(crashed.status).toBe(1);
    expect(crashed.stderr.trim()).toMatch(/^sam-layer: crasher 2\.0: import crash fails on python3\.12: killed the interpreter \(exit -?\d+\)$/);
    // -B: importing wrote no bytecode into the layer.
    expect(snapshot(layer).some((f) => f.includes("__pycache__"))).toBe(false);
  });

  it("an arm64 layer with native code is skipped on x86_64 with the reason; pure code is checked anyway", () => {
    const native = files(join(work, "arm"), {
      "python/fast.cpython-312-aarch64-linux-gnu.so": "not really an ELF",
      "python/fast-1.0.dist-info/METADATA": "Name: fast\nVersion: 1.0\n\n",
      "python/fast-1.0.dist-info/RECORD": "fast.cpython-312-aarch64-linux-gnu.so,,\n",
    });
    const pure = files(join(work, "arm-pure"), {
      "python/slow.py": "",
      "python/slow-1.0.dist-info/METADATA": "Name: slow\nVersion: 1.0\n\n",
      "python/slow-1.0.dist-info/RECORD": "slow.py,,\n",
    });
    if (process.arch !== "x64") return; // the reasons below are an x86_64 machine's
    const r = cli(["check", native, "--runtime", "python3.12", "--architecture", "arm64"], work);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(
      "import check skipped: an arm64 layer with 1 native extension cannot load on this x86_64 interpreter (name an arm64 one, e.g. under qemu-user, to check it)",
    );
    const p = cli(["check", pure, "--runtime", "python3.12", "--architecture", "arm64"], work);
    expect(p.status).toBe(0);
    expect(p.stdout).toMatch(/^import check: 1 module of 1 distribution import on python3\.12 .*\(pure code, checked on x86_64 for arm64\)$/m);
  });

  it("Node.js: require()s CommonJS packages, import()s ESM-only ones, leaves @types out, names the one that throws", () => {
    const major = Number(process.versions.node.split(".")[0]);
    const layer = files(join(work, "node"), {
      "nodejs/node_modules/cjs-ok/package.json": JSON.stringify({ name: "cjs-ok", version: "1.0.0", main: "index.js" }),
      "nodejs/node_modules/cjs-ok/index.js": "module.exports = require('@scope/dep');\n",
      "nodejs/node_modules/@scope/dep/package.json": JSON.stringify({ name: "@scope/dep", version: "2.0.0" }),
      "nodejs/node_modules/@scope/dep/index.js": "module.exports = 1;\n",
      "nodejs/node_modules/esm-only/package.json": JSON.stringify({ name: "esm-only", version: "3.0.0", type: "module", exports: { import: "./index.js" } }),
      "nodejs/node_modules/esm-only/index.js": "export default await Promise.resolve(1);\n",
      "nodejs/node_modules/@types/thing/package.json": JSON.stringify({ name: "@types/thing", version: "1.0.0", types: "index.d.ts" }),
      // Only subpaths in "exports" (as @aws-sdk/nested-clients): no root to load, its subpaths are.
      "nodejs/node_modules/@scope/subpaths/package.json": JSON.stringify({
        name: "@scope/subpaths",
        version: "4.0.0",
        exports: { "./a": "./a.js", "./b": { import: "./b.mjs" }, "./data/*": "./data/*.js", "./package.json": "./package.json" },
      }),
      "nodejs/node_modules/@scope/subpaths/a.js": "module.exports = 'a';\n",
      "nodejs/node_modules/@scope/subpaths/b.mjs": "export default 'b';\n",
      [`nodejs/node${major}/node_modules/broken/package.json`]: JSON.stringify({ name: "broken", version: "0.1.0" }),
      [`nodejs/node${major}/node_modules/broken/index.js`]: "throw new TypeError('needs LAMBDA_TASK_ROOT');\n",
    });
    const runtime = `nodejs${major}.x`;
    const r = cli(["check", layer, "--runtime", runtime], work);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`sam-layer: broken 0.1.0: require broken fails on ${runtime}: TypeError: needs LAMBDA_TASK_ROOT`);
    const ok = cli(["check", layer, "--runtime", runtime, "--skip-import", "broken"], work);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^import check: 5 modules of \\d+ distributions import on ${runtime} .*skipped broken\\)$`, "m"));
    // A subpath that throws is named by its subpath.
    writeFileSync(join(layer, "nodejs/node_modules/@scope/subpaths/a.js"), "throw new Error('a is broken');\n");
    const sub = cli(["check", layer, "--runtime", runtime, "--skip-import", "broken"], work);
    expect(sub.status).toBe(1);
    expect(sub.stderr.trim()).toBe(`sam-layer: @scope/subpaths 4.0.0: require @scope/subpaths/a fails on ${runtime}: Error: a is broken`);
  });
});
