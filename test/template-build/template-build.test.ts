// `sam-layer build --template`: every layer of an unmodified SAM app (nested templates included)
// built by the bundled CLI with real pip and npm installs, the templates' copies checked byte for
// byte, and the real `sam build` run on the copy.
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
      expect.stringMatching(/^Orders\/InnerDeps: pip, python3\.11 x86_64, created, md5 [0-9a-f]{32}, app\/\.sam-layer\/Orders\/InnerDeps\.zip$/),
      expect.stringMatching(/^Legacy\/LegacyDeps: pip, python3\.12 x86_64, created, md5 [0-9a-f]{32}, app\/\.sam-layer\/Legacy\/LegacyDeps\.zip$/),
      "MakeDeps: left as it is (app/template.yaml): BuildMethod makefile: sam build runs its Makefile",
      expect.stringMatching(
        /^NoLockDeps: left as it is \(app\/template\.yaml\): found package\.json but no package-lock\.json in .*layers\/no-lock; run `npm install --package-lock-only`/,
      ),
      "OwnCode: left as it is (app/template.yaml): layers/own-code holds files of its own (shared.js) that sam build copies into the layer; sam-layer builds the locked packages only",
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
    root = edit(root, "Location: ./nested/app.yaml", "Location: nested/app.sam-layer.yaml");
    root = edit(root, "TemplateURL: stacks/stack.json", "TemplateURL: stacks/stack.sam-layer.json");
    expect(readFileSync(join(appDir, "template.sam-layer.yaml"), "utf8")).toBe(root);

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
    expect(r.stderr.match(/layer restored from cache for this key; skipping install/g)).toHaveLength(4);
    const out = JSON.parse(r.stdout) as {
      status: string;
      layers: { idPath: string; status: string; md5: string; skippedInstall: boolean }[];
      templates: { status: string }[];
    };
    expect(out.status).toBe("built");
    expect(out.layers.map((l) => [l.idPath, l.status, l.skippedInstall])).toEqual([
      ["PyDeps", "unchanged", true],
      ["NodeDeps", "unchanged", true],
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
      expect(r.stdout).toMatch(/cache key [0-9a-f]{64} \(4 layers: PyDeps, NodeDeps, Orders\/InnerDeps, Legacy\/LegacyDeps\)/);
      return readFileSync(join(root, "key"), "utf8");
    };
    const before = key();
    expect(before).toMatch(/^[0-9a-f]{64}\n$/);
    expect(key()).toBe(before);
    writeFileSync(join(appDir, "layers/py/requirements.txt"), "six==1.17.0\n");
    expect(key()).not.toBe(before);

    const r = cli(["build", "--template", "template.yaml"], appDir);
    expect(r.status).toBe(0);
    expect(r.stdout.match(/skipping install/g)).toHaveLength(3);
    expect(r.stdout).toMatch(/^PyDeps: installing 1 package with uv$/m);
    expect(r.stdout).toMatch(/^PyDeps: pip, python3\.12 x86_64, updated, md5 /m);
    expect(md5Of(r.stdout, "PyDeps")).not.toBe(md5Of(first.stdout, "PyDeps"));
    for (const id of ["NodeDeps", "Orders/InnerDeps", "Legacy/LegacyDeps"]) {
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
