// `sam-layer build --template`: every layer of an unmodified SAM app (nested templates included)
// built by the bundled CLI with real pip and npm installs, the templates' copies checked byte for
// byte, and the real `sam build` run on the copy.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, scratch, sh, VENV_BIN, zipNames } from "../layer-build/helpers.js";

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "fixtures/sam-app");
const root = scratch("template-build");
const appDir = join(root, "app");
let first: ReturnType<typeof cli>;

/** `text` with `from` replaced by `to`, failing when `from` is not there (so the expectation cannot go stale). */
function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`not in the template: ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

function md5Of(stdout: string, id: string): string {
  const m = new RegExp(`^${id}: .*, md5 ([0-9a-f]{32}), `, "m").exec(stdout);
  if (!m) throw new Error(`no line for ${id} in:\n${stdout}`);
  return m[1]!;
}

beforeAll(() => {
  cpSync(FIXTURE, appDir, { recursive: true });
  first = cli(["build", "--template", "app/template.yaml"], root);
});

describe("sam-layer build --template", () => {
  it("builds every layer with a lockfile, nested ones too, and lists the others with the reason", () => {
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    const summary = first.stdout.split("\n").filter((l) => /^\S+: (pip|npm), |left as it is|^\S+\.sam-layer\.\w+: /.test(l));
    expect(summary).toEqual([
      expect.stringMatching(/^PyDeps: pip, python3\.12 x86_64, created, md5 [0-9a-f]{32}, app\/\.sam-layer\/PyDeps\.zip$/),
      expect.stringMatching(/^NodeDeps: npm, nodejs20\.x arm64, created, md5 [0-9a-f]{32}, app\/\.sam-layer\/NodeDeps\.zip$/),
      expect.stringMatching(/^OwnCode: npm, nodejs20\.x x86_64, created, md5 [0-9a-f]{32}, app\/\.sam-layer\/OwnCode\.zip$/),
      expect.stringMatching(/^PyShared: pip, python3\.12 x86_64, created, md5 [0-9a-f]{32}, app\/\.sam-layer\/PyShared\.zip$/),
      expect.stringMatching(/^Orders\/InnerDeps: pip, python3\.11 x86_64, created, md5 [0-9a-f]{32}, app\/\.sam-layer\/Orders\/InnerDeps\.zip$/),
      expect.stringMatching(/^Legacy\/LegacyDeps: pip, python3\.12 x86_64, created, md5 [0-9a-f]{32}, app\/\.sam-layer\/Legacy\/LegacyDeps\.zip$/),
      "MakeDeps: left as it is (app/template.yaml): BuildMethod makefile: sam build runs its Makefile",
      expect.stringMatching(
        /^NoLockDeps: left as it is \(app\/template\.yaml\): found package\.json but no package-lock\.json in .*layers\/no-lock; run `npm install --package-lock-only`/,
      ),
      "Published: left as it is (app/template.yaml): ContentUri is an S3 object",
      "app/template.sam-layer.yaml: written (app/template.yaml with the layers above)",
      "app/nested/app.sam-layer.yaml: written (app/nested/app.yaml with the layers above)",
      "app/stacks/stack.sam-layer.json: written (app/stacks/stack.json with the layers above)",
    ]);
    expect(zipNames(join(appDir, ".sam-layer/PyDeps.zip"))).toContain("python/six.py");
    expect(zipNames(join(appDir, ".sam-layer/NodeDeps.zip"))).toContain("nodejs/node_modules/ms/index.js");
    expect(zipNames(join(appDir, ".sam-layer/Orders/InnerDeps.zip"))).toContain("python/six.py");
  });

  it("leaves the user's templates alone and changes only the layers' paths, build metadata and nested locations in the copies", () => {
    for (const t of ["template.yaml", "nested/app.yaml", "stacks/stack.json"]) {
      expect(readFileSync(join(appDir, t), "utf8")).toBe(readFileSync(join(FIXTURE, t), "utf8"));
    }
    let root = readFileSync(join(FIXTURE, "template.yaml"), "utf8");
    root = edit(root, "ContentUri: layers/py   # requirements.txt", "ContentUri: .sam-layer/PyDeps.zip   # requirements.txt");
    root = edit(root, "    Metadata:\n      BuildMethod: python3.12 # sam build installs requirements.txt\n", "");
    root = edit(root, 'ContentUri: "layers/node"', 'ContentUri: ".sam-layer/NodeDeps.zip"');
    root = edit(root, "      BuildMethod: nodejs20.x\n      BuildArchitecture: arm64\n", "");
    root = edit(root, "      ContentUri: layers/own-code\n    Metadata:\n      BuildMethod: nodejs20.x\n", "      ContentUri: .sam-layer/OwnCode.zip\n");
    root = edit(
      root,
      "ContentUri: layers/py-shared   # requirements.txt and common_utils/\n    Metadata:\n      BuildMethod: python3.12\n",
      "ContentUri: .sam-layer/PyShared.zip   # requirements.txt and common_utils/\n",
    );
    root = edit(root, "Location: ./nested/app.yaml", "Location: nested/app.sam-layer.yaml");
    root = edit(root, "TemplateURL: stacks/stack.json", "TemplateURL: stacks/stack.sam-layer.json");
    // The root copy's first line records the templates it was written from (deploy-template checks it).
    const header = /^# Written by `sam-layer build --template` from template\.yaml \(source sha256 [0-9a-f]{64}\)\. .*\n/;
    const copy = readFileSync(join(appDir, "template.sam-layer.yaml"), "utf8");
    expect(copy).toMatch(header);
    expect(copy.replace(header, "")).toBe(root);

    let nested = readFileSync(join(FIXTURE, "nested/app.yaml"), "utf8");
    nested = edit(
      nested,
      "      ContentUri: layers/inner\n    Metadata:\n      BuildMethod: python3.11\n",
      "      ContentUri: ../.sam-layer/Orders/InnerDeps.zip\n",
    );
    expect(readFileSync(join(appDir, "nested/app.sam-layer.yaml"), "utf8")).toBe(nested);

    let json = readFileSync(join(FIXTURE, "stacks/stack.json"), "utf8");
    json = edit(json, '"Content": "deps"', '"Content": "../.sam-layer/Legacy/LegacyDeps.zip"');
    json = edit(json, '"Team": "legacy",\n        "BuildMethod": "python3.12"', '"Team": "legacy"');
    expect(readFileSync(join(appDir, "stacks/stack.sam-layer.json"), "utf8")).toBe(json);
    expect(JSON.parse(json)).toBeTruthy();
  });

  it("says unchanged for every layer and template on a second run, without reinstalling or rewriting anything", () => {
    const zip = join(appDir, ".sam-layer/PyDeps.zip");
    const copy = join(appDir, "template.sam-layer.yaml");
    const before = [statSync(zip).mtimeMs, statSync(copy).mtimeMs];
    const r = cli(["build", "--template", "template.yaml", "--json"], appDir);
    expect(r.status).toBe(0);
    expect(r.stderr.match(/layer folder and zip already built for this key; skipping install/g)).toHaveLength(6);
    const out = JSON.parse(r.stdout) as {
      status: string;
      layers: { idPath: string; status: string; md5: string; skippedInstall: boolean }[];
      templates: { status: string }[];
    };
    expect(out.status).toBe("built");
    expect(out.layers.map((l) => [l.idPath, l.status, l.skippedInstall])).toEqual([
      ["PyDeps", "unchanged", true],
      ["NodeDeps", "unchanged", true],
      ["OwnCode", "unchanged", true],
      ["PyShared", "unchanged", true],
      ["Orders/InnerDeps", "unchanged", true],
      ["Legacy/LegacyDeps", "unchanged", true],
    ]);
    expect(out.layers[0]!.md5).toBe(md5Of(first.stdout, "PyDeps"));
    expect(out.templates.map((t) => t.status)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect([statSync(zip).mtimeMs, statSync(copy).mtimeMs]).toEqual(before);
  });

  it("--needed-tools: none when every layer's folder is reused; uv (the installer) for the Python layers of a fresh checkout", () => {
    const hit = cli(["build", "--template", "template.yaml", "--needed-tools"], appDir);
    expect(hit.status).toBe(0);
    expect(hit.stdout).toBe("\n");
    const fresh = join(root, "fresh-checkout");
    cpSync(FIXTURE, fresh, { recursive: true });
    const miss = cli(["build", "--template", "template.yaml", "--needed-tools", "--json"], fresh);
    expect(miss.status).toBe(0);
    const out = JSON.parse(miss.stdout) as { status: string; tools: string[]; layers: { idPath: string; restored: boolean }[] };
    expect(out.status).toBe("tools-listed");
    expect(out.tools).toEqual(["uv"]);
    expect(out.layers.map((l) => [l.idPath, l.restored])).toEqual([
      ["PyDeps", false],
      ["NodeDeps", false],
      ["OwnCode", false],
      ["PyShared", false],
      ["Orders/InnerDeps", false],
      ["Legacy/LegacyDeps", false],
    ]);
    expect(existsSync(join(fresh, ".sam-layer"))).toBe(false);
  });

  it("gives sam build a template whose built layers it leaves alone (they stay the zips) and whose other layers it builds", () => {
    const env = { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH}`, SAM_CLI_TELEMETRY: "0" };
    sh("sam", ["build", "--template", "template.sam-layer.yaml", "--build-dir", join(root, "sam-build")], appDir, env);
    const built = readFileSync(join(root, "sam-build/template.yaml"), "utf8");
    const uri = (id: string) => {
      const m = new RegExp(`\\n  ${id}:\\n(?:    .*\\n|      .*\\n)*?      Content(?:Uri)?: (.+)\\n`).exec(built);
      if (!m) throw new Error(`no content for ${id} in\n${built}`);
      return resolve(root, "sam-build", m[1]!);
    };
    expect(uri("PyDeps")).toBe(join(appDir, ".sam-layer/PyDeps.zip"));
    expect(uri("NodeDeps")).toBe(join(appDir, ".sam-layer/NodeDeps.zip"));
    expect(existsSync(join(root, "sam-build/PyDeps"))).toBe(false);
    expect(existsSync(join(root, "sam-build/MakeDeps/python/m.py"))).toBe(true);
    const nested = readFileSync(join(root, "sam-build/Orders/template.yaml"), "utf8");
    const inner = /ContentUri: (.+)\n/.exec(nested)?.[1];
    expect(resolve(root, "sam-build/Orders", inner!)).toBe(join(appDir, ".sam-layer/Orders/InnerDeps.zip"));
  });

  it("writes one cache key over the layers' keys; a changed lockfile moves it and reinstalls only its own layer", () => {
    const key = () => {
      const r = cli(["build", "--template", "template.yaml", "--write-key", join(root, "key")], appDir);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/cache key [0-9a-f]{64} \(6 layers: PyDeps, NodeDeps, OwnCode, PyShared, Orders\/InnerDeps, Legacy\/LegacyDeps\)/);
      return readFileSync(join(root, "key"), "utf8");
    };
    const before = key();
    expect(before).toMatch(/^[0-9a-f]{64}\n$/);
    expect(key()).toBe(before);
    writeFileSync(join(appDir, "layers/py/requirements.txt"), "six==1.17.0\n");
    expect(key()).not.toBe(before);

    const r = cli(["build", "--template", "template.yaml"], appDir);
    expect(r.status).toBe(0);
    expect(r.stdout.match(/skipping install/g)).toHaveLength(5);
    expect(r.stdout).toMatch(/^PyDeps: installing 1 package with uv$/m);
    expect(r.stdout).toMatch(/^PyDeps: pip, python3\.12 x86_64, updated, md5 /m);
    expect(md5Of(r.stdout, "PyDeps")).not.toBe(md5Of(first.stdout, "PyDeps"));
    for (const id of ["NodeDeps", "OwnCode", "PyShared", "Orders/InnerDeps", "Legacy/LegacyDeps"]) {
      expect(r.stdout).toMatch(new RegExp(`^${id}: \\w+, \\S+ \\S+, unchanged, md5 ${md5Of(first.stdout, id)}, `, "m"));
    }
    expect(r.stdout).toMatch(/^app\/template\.sam-layer\.yaml|^template\.sam-layer\.yaml: unchanged/m);
  });
});

describe("sam-layer build --template: bad input", () => {
  it("refuses one-layer options with --template (exit 2, one line)", () => {
    const r = cli(["build", "--template", "template.yaml", "--layer-dir", "deps"], appDir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("sam-layer: --layer-dir is for one layer; with --template each layer's comes from the template and its folder\n");
  });

  it("refuses --include (a layer's own code is its folder's) and --extras without a poetry or uv layer, in one line", () => {
    const include = cli(["build", "--template", "template.yaml", "--include", "shared"], appDir);
    expect(include.status).toBe(2);
    expect(include.stderr).toBe(
      "sam-layer: --include is for one layer; with --template put the code in the layer's ContentUri folder (its own files are shipped as sam build ships them)\n",
    );
    const extras = cli(["build", "--template", "template.yaml", "--extras", "s3"], appDir);
    expect(extras.status).toBe(2);
    expect(extras.stderr).toBe("sam-layer: --extras is for poetry and uv layers; template.yaml has none to build\n");
  });

  it("names the template and layer whose folder is missing, and writes no copy", () => {
    const dir = join(root, "missing");
    cpSync(join(FIXTURE, "nested"), dir, { recursive: true });
    writeFileSync(join(dir, "app.yaml"), readFileSync(join(dir, "app.yaml"), "utf8").replace("layers/inner", "layers/gone"));
    const r = cli(["build", "--template", "app.yaml"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("sam-layer: app.yaml: InnerDeps ContentUri layers/gone: no such folder\n");
    expect(existsSync(join(dir, "app.sam-layer.yaml"))).toBe(false);
  });

  it("keeps the previous zips and copy when a layer fails to build", () => {
    const copy = readFileSync(join(appDir, "template.sam-layer.yaml"), "utf8");
    const zip = readFileSync(join(appDir, ".sam-layer/NodeDeps.zip"));
    writeFileSync(join(appDir, "layers/py/requirements.txt"), "six==0.0.0-no-such-version\n");
    const r = cli(["build", "--template", "template.yaml"], appDir);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^sam-layer: .*six/);
    expect(readFileSync(join(appDir, "template.sam-layer.yaml"), "utf8")).toBe(copy);
    expect(readFileSync(join(appDir, ".sam-layer/NodeDeps.zip")).equals(zip)).toBe(true);
  });
});

describe("sam-layer build --template: a layer folder's own code", () => {
  const own = join(root, "own");
  const shared = join(own, "layers/py-shared");
  const pyZip = join(own, ".sam-layer/PyShared.zip");
  let built: ReturnType<typeof cli>;
  const env = { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH}`, SAM_CLI_TELEMETRY: "0" };
  /** Files (not folders) in a zip, without those of the installed packages. */
  const ownNames = (zip: string) => zipNames(zip).filter((n) => !n.endsWith("/") && !/six|node_modules/.test(n));
  const filesUnder = (dir: string, rel = ""): string[] =>
    readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(dir, `${rel}${e.name}/`) : [`${rel}${e.name}`]));

  beforeAll(() => {
    cpSync(join(FIXTURE, "layers/py-shared"), shared, { recursive: true });
    cpSync(join(FIXTURE, "layers/own-code"), join(own, "layers/own-code"), { recursive: true });
    // What sam build leaves out, or must not ship: secrets in dotfiles, bytecode, node_modules.
    writeFileSync(join(shared, ".env"), "TOKEN=not-for-the-layer\n");
    mkdirSync(join(shared, "common_utils/__pycache__"), { recursive: true });
    writeFileSync(join(shared, "common_utils/__pycache__/__init__.cpython-312.pyc"), "stale");
    writeFileSync(join(own, "layers/own-code/.npmrc"), "//registry.npmjs.org/:_authToken=not-for-the-layer\n");
    mkdirSync(join(own, "layers/own-code/node_modules/stale"), { recursive: true });
    writeFileSync(join(own, "layers/own-code/node_modules/stale/index.js"), "");
    writeFileSync(
      join(own, "template.yaml"),
      [
        "Transform: AWS::Serverless-2016-10-31",
        "Resources:",
        "  PyShared:",
        "    Type: AWS::Serverless::LayerVersion",
        "    Properties: {ContentUri: layers/py-shared}",
        "    Metadata: {BuildMethod: python3.12}",
        "  OwnCode:",
        "    Type: AWS::Serverless::LayerVersion",
        "    Properties: {ContentUri: layers/own-code}",
        "    Metadata: {BuildMethod: nodejs20.x}",
        "",
      ].join("\n"),
    );
    built = cli(["build", "--template", "template.yaml"], own);
  });

  it("ships the folder's own files where sam build puts them, without manifests, dotfiles or bytecode, and imports the own modules", () => {
    expect(built.stderr).toBe("");
    expect(built.status).toBe(0);
    expect(ownNames(pyZip)).toEqual(["python/common_utils/__init__.py"]);
    expect(zipNames(pyZip)).toContain("python/six.py");
    expect(ownNames(join(own, ".sam-layer/OwnCode.zip"))).toEqual(["nodejs/package.json", "nodejs/shared.js"]);
    expect(zipNames(join(own, ".sam-layer/OwnCode.zip"))).toContain("nodejs/node_modules/ms/index.js");
    expect(built.stdout).toMatch(/^PyShared: import check: 1 module of 1 distribution and 1 own module import on python3\.12 /m);
  });

  it("has the same files as the real sam build's layer, but for the manifests, lockfile and README it leaves out", () => {
    const out = join(root, "own-sam-build");
    sh("sam", ["build", "--template", "template.yaml", "--build-dir", out], own, env);
    const sam = filesUnder(join(out, "PyShared")).filter((n) => !/six/.test(n));
    expect(sam.sort()).toEqual([...ownNames(pyZip), "python/README.md", "python/requirements.txt"].sort());
    const samNode = filesUnder(join(out, "OwnCode")).filter((n) => !n.includes("node_modules"));
    expect(samNode.sort()).toEqual([...ownNames(join(own, ".sam-layer/OwnCode.zip")), "nodejs/package-lock.json"].sort());
  });

  it("keys the layer by its own files' content: a touch is unchanged, an edit is a new key and a new zip", () => {
    const md5 = md5Of(built.stdout, "PyShared");
    const file = join(shared, "common_utils/__init__.py");
    const text = readFileSync(file, "utf8");
    utimesSync(file, new Date(), new Date(Date.now() + 60_000));
    const touched = cli(["build", "--template", "template.yaml"], own);
    expect(touched.status).toBe(0);
    expect(touched.stdout).toMatch(new RegExp(`^PyShared: pip, python3\\.12 x86_64, unchanged, md5 ${md5}, `, "m"));

    writeFileSync(file, `${text}\nVERSION = 2\n`);
    const edited = cli(["build", "--template", "template.yaml"], own);
    expect(edited.status).toBe(0);
    expect(edited.stdout).toMatch(/^PyShared: installing 1 package with uv$/m);
    expect(edited.stdout).toMatch(/^PyShared: pip, python3\.12 x86_64, updated, md5 /m);
    expect(md5Of(edited.stdout, "PyShared")).not.toBe(md5);
    expect(sh("unzip", ["-p", pyZip, "python/common_utils/__init__.py"])).toContain("VERSION = 2");
    expect(edited.stdout).toMatch(/^OwnCode: npm, nodejs20\.x x86_64, unchanged, /m);

    // Back to the first content, installed by pip this time: the first zip, byte for byte.
    writeFileSync(file, text);
    const again = cli(["build", "--template", "template.yaml", "--installer", "pip", "--json"], own);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/^PyShared: installing 1 package with pip$/m);
    const layers = (JSON.parse(again.stdout) as { layers: { idPath: string; md5: string; installer?: string }[] }).layers;
    expect(layers.find((l) => l.idPath === "PyShared")).toMatchObject({ md5, installer: "pip" });
  });

  it("fails in one line naming the own file and the package it collides with, and keeps the previous layer", () => {
    const zip = readFileSync(pyZip);
    const key = readFileSync(`${pyZip}.key`, "utf8");
    writeFileSync(join(shared, "six.py"), "VERSION = 'mine'\n");
    try {
      const r = cli(["build", "--template", "template.yaml"], own);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe("sam-layer: layers/py-shared/six.py: python/six.py is also installed by six 1.16.0 from requirements.txt; rename one of them\n");
      expect(readFileSync(pyZip).equals(zip)).toBe(true);
      expect(readFileSync(`${pyZip}.key`, "utf8")).toBe(key);
      expect(existsSync(join(own, ".sam-layer/PyShared/python/six.py"))).toBe(true);
    } finally {
      rmSync(join(shared, "six.py"));
    }
  });

  it("fails when an own module does not import, naming it", () => {
    writeFileSync(join(shared, "broken.py"), "import not_in_the_layer_xyz\n");
    try {
      const r = cli(["build", "--template", "template.yaml"], own);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        "sam-layer: own code (layers/py-shared): import broken fails on python3.12: ModuleNotFoundError: No module named 'not_in_the_layer_xyz'\n",
      );
    } finally {
      rmSync(join(shared, "broken.py"));
    }
  });
});
