// `sam-layer build` through the bundled CLI: what a CI log shows, --json, and usage errors.
import { spawn, spawnSync } from "node:child_process";
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { app, CLI, cli, scratch, sh } from "./helpers.js";

const root = scratch("build-cli");
let dir: string;
let first: ReturnType<typeof cli>;

beforeAll(() => {
  dir = app(root, "app", { "requirements.txt": "six==1.16.0\n" });
  first = cli(["build", "--runtime", "python3.12"], dir);
});

describe("sam-layer build (CLI)", () => {
  it("prints what it built, the S3 key and the sizes against Lambda's limits", () => {
    expect(first.status).toBe(0);
    expect(first.stderr).toBe("");
    const lines = first.stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      "pip: requirements.txt -> layer/python for python3.12 x86_64 (glibc 2.34)",
      "installing 1 package with uv",
      // The import check ran on the fresh install (python3.12 on PATH, as .ci/run arranges).
      expect.stringMatching(/^import check: 1 module of 1 distribution import on python3\.12 \(.+\)$/),
      expect.stringMatching(/^layer\.zip: created, \d+ entries$/),
      expect.stringMatching(/^md5 [0-9a-f]{32} \(the S3 key\), sha256 \S+= \(CodeSha256\)$/),
      expect.stringMatching(/^size: 0\.0 MiB unzipped \(0% of 250 MiB\), 0\.0 MiB zipped \(0% of 50 MiB\)$/),
    ]);
  });

  it("says the install was skipped and the zip unchanged on a run with the same key, and --json says the same", () => {
    const r = cli(["build", "--runtime", "python3.12", "--json"], dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      "pip: requirements.txt -> layer/python for python3.12 x86_64 (glibc 2.34)\nlayer folder and zip already built for this key; skipping install\n",
    );
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      status: "unchanged",
      skippedInstall: true,
      pkgManager: "pip",
      runtime: "python3.12",
      architecture: "x86_64",
      output: "layer.zip",
    });
    expect(out.md5).toBe(/^md5 ([0-9a-f]{32})/m.exec(first.stdout)?.[1]);
    expect(out.key).toBe(readFileSync(join(dir, "layer.zip.key"), "utf8").trim());
    for (const field of ["sha256", "bytes", "unzippedBytes", "entries", "largest", "warnings"]) expect(out).toHaveProperty(field);
  });

  it("takes the paths relative to --app-dir", () => {
    const r = cli(["build", "--app-dir", "app", "--runtime", "python3.12", "--layer-dir", "build/layer", "--output", "build/deps.zip"], root);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^app\/build\/deps\.zip: created/m);
    expect(readFileSync(join(dir, "build/deps.zip.key"), "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it("writes the key into a pipe or device instead of replacing it (--write-key /dev/null)", async () => {
    // a FIFO stands in for /dev/null: a rename over it would leave a regular file in its place
    const fifo = join(root, "key.fifo");
    sh("mkfifo", [fifo]);
    const reader = spawn("cat", [fifo], { stdio: ["ignore", "pipe", "inherit"] });
    let read = "";
    reader.stdout.on("data", (b: Buffer) => (read += b.toString()));
    const closed = new Promise((done) => reader.on("close", done));
    const r = spawnSync("node", [CLI, "build", "--runtime", "python3.12", "--write-key", fifo], { cwd: dir, encoding: "utf8" });
    // with the pipe replaced, nothing ever writes to it: stop the reader rather than wait forever
    const timer = setTimeout(() => reader.kill(), 5000);
    await closed;
    clearTimeout(timer);
    expect(r.status).toBe(0);
    expect(read).toMatch(/^[0-9a-f]{64}\n$/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it("exits 2 with one line on usage errors", () => {
    const cases: [string[], RegExp][] = [
      [["build", "--runtime", "python3.8"], /^sam-layer: Invalid values: Argument: runtime, Given: "python3\.8", Choices: /],
      [["build", "--architecture", "aarch64"], /^sam-layer: Invalid values: Argument: architecture, Given: "aarch64", Choices: /],
      [["build", "--max-unzipped-mb", "0"], /^sam-layer: --max-unzipped-mb must be a positive number, got: 0$/],
      [["build", "--runtime", "nodejs22.x", "--compile-bytecode"], /^sam-layer: --compile-bytecode is for Python runtimes, not nodejs22\.x$/],
      [["build", "--layer-dir", "."], /^sam-layer: --layer-dir \. holds the app folder; build replaces that folder, so point --layer-dir at its own folder$/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args, dir);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(/^[^\n]*\n$/);
      expect(r.stderr.trimEnd()).toMatch(message);
    }
  });
});
