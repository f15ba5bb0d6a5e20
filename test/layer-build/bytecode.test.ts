// --compile-bytecode: precompiled .pyc that are byte-identical from any build folder, and refused
// when the local Python cannot compile for the runtime.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Built } from "../../src/layer-build/index.js";
import { app, build, built, cli, scratch, sh, zipNames } from "./helpers.js";

const REQUIREMENTS = "six==1.16.0\ncharset-normalizer==3.3.2\n";
const root = scratch("bytecode");
// The tests' python3 is the project's venv Python 3.11, so python3.11 is the runtime it can compile for.
const RUNTIME = "python3.11";
let one: Built;
let two: Built;
let oneDir: string;

beforeAll(async () => {
  expect(sh("python3", ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).trim()).toBe("3.11");
  oneDir = app(root, "one", { "requirements.txt": REQUIREMENTS });
  const twoDir = app(root, "second-folder-with-a-longer-name", { "requirements.txt": REQUIREMENTS });
  one = built((await build({ appDir: oneDir, runtime: RUNTIME, compileBytecode: true })).result);
  two = built((await build({ appDir: twoDir, runtime: RUNTIME, compileBytecode: true })).result);
});

describe("build --compile-bytecode", () => {
  it("adds unchecked-hash .pyc files that name /opt/python, not the build folder", () => {
    const names = zipNames(join(oneDir, "layer.zip"));
    expect(names).toContain("python/__pycache__/six.cpython-311.pyc");
    expect(names).toContain("python/charset_normalizer/__pycache__/api.cpython-311.pyc");
    const pyc = join(oneDir, "layer/python/__pycache__/six.cpython-311.pyc");
    // PEP 552 flags: bit 0 hash-based, bit 1 check_source; unchecked-hash is 0b01
    expect(readFileSync(pyc).readUInt32LE(4)).toBe(1);
    const filename = sh("python3", ["-c", "import marshal, sys; print(marshal.loads(open(sys.argv[1], 'rb').read()[16:]).co_filename)", pyc]);
    expect(filename.trim()).toBe("/opt/python/six.py");
  });

  it("gives byte-identical zips from two different build folders", () => {
    expect(two.md5).toBe(one.md5);
  });

  it("keys the cache on the flag, so a plain build does not reuse a compiled layer", async () => {
    const plain = built((await build({ appDir: oneDir, runtime: RUNTIME })).result);
    expect(plain.skippedInstall).toBe(false);
    expect(plain.key).not.toBe(one.key);
    expect(zipNames(join(oneDir, "layer.zip")).some((n) => n.endsWith(".pyc"))).toBe(false);
  });

  it("is refused, before anything is installed, when the local Python is not the runtime's", () => {
    const dir = app(root, "mismatch", { "requirements.txt": REQUIREMENTS });
    const r = cli(["build", "--runtime", "python3.12", "--compile-bytecode"], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "sam-layer: --compile-bytecode needs Python 3.12 for python3.12, but python3 is Python 3.11; pass --python PATH to a 3.12 interpreter or drop --compile-bytecode\n",
    );
    expect(existsSync(join(dir, "layer"))).toBe(false);
  });
});
