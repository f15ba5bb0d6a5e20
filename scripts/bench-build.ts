// The cold-build part of `npm run bench`: `sam-layer build` of a committed 60-package lock (a typical
// data/API layer: requests, pydantic, cryptography, numpy, pandas, boto3, orjson, fastapi, sqlalchemy...
// and their dependencies, python3.12 x86_64) against the two ways people build such a layer today:
// `sam build` (SAM CLI, BuildMethod python3.12) plus a Python `zipfile` zip of its output, which is
// what `sam package` uploads, and `pip install --target` plus `zip -r`. Download caches are warmed by
// one untimed round first; every timed build starts from an empty layer folder. The fixture was made
// with `uv pip compile --python-platform x86_64-manylinux_2_34 --python-version 3.12 --generate-hashes
// requirements.in` (scripts/bench-fixtures/data-api-layer).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import type { Sample } from "./bench.js";

const RUNS = Number(process.env.BENCH_BUILD_RUNS ?? 2);
const FIXTURE = resolve("scripts/bench-fixtures/data-api-layer/requirements.txt");
const VENV_BIN = resolve(".venv/bin");

interface Tools {
  cli: string;
  node: string;
  measure: (cmd: string[], cwd: string, okCodes?: number[], env?: NodeJS.ProcessEnv) => Sample;
  median: (xs: number[]) => number;
}

// What `sam package` / `aws cloudformation package` do with a folder: zipfile, ZIP_DEFLATED at zlib's
// default level, os.walk order (aws-cli's make_zip; see shared packaging facts).
const ZIPFILE_SCRIPT = `
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
    for root, dirs, files in os.walk(src, followlinks=True):
        for name in files:
            full = os.path.join(root, name)
            zf.write(full, os.path.relpath(full, src))
`;

const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  DepsLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: deps/
      CompatibleRuntimes: [python3.12]
      CompatibleArchitectures: [x86_64]
    Metadata:
      BuildMethod: python3.12
      BuildArchitecture: x86_64
`;

/** The folder holding `python3.12`: on PATH already, or pyenv's newest 3.12 (its shims run only the global version). */
function python312Dir(): string | undefined {
  const which = spawnSync("sh", ["-c", "python3.12 -c 'import sys; print(sys.executable)'"], { encoding: "utf8" });
  if (which.status === 0) return dirname(which.stdout.trim());
  const versions = spawnSync("pyenv", ["versions", "--bare"], { encoding: "utf8" });
  const v = versions.stdout
    ?.split("\n")
    .filter((l) => /^3\.12\.\d+$/.test(l.trim()))
    .sort((a, b) => Number(a.split(".")[2]) - Number(b.split(".")[2]))
    .pop();
  if (!v) return undefined;
  const prefix = spawnSync("pyenv", ["prefix", v.trim()], { encoding: "utf8" }).stdout.trim();
  return prefix ? join(prefix, "bin") : undefined;
}

function sum(a: Sample, b: Sample): Sample {
  return { seconds: a.seconds + b.seconds, cpu: a.cpu + b.cpu, maxRssKb: Math.max(a.maxRssKb, b.maxRssKb), status: 0, stdout: "" };
}

export async function buildBench(t: Tools): Promise<void> {
  const pyDir = python312Dir();
  const haveSam = existsSync(join(VENV_BIN, "sam"));
  if (!pyDir) console.log("\nbuild part: python3.12 not found; the sam build and pip rows are left out");
  if (!haveSam) console.log("\nbuild part: no SAM CLI in .venv (npm test's setup installs it); the sam build row is left out");
  const env = { PATH: [pyDir, VENV_BIN, process.env.PATH].filter(Boolean).join(delimiter), SAM_CLI_TELEMETRY: "0" };
  const work = mkdtempSync(join(tmpdir(), "sam-layer-bench-build-"));
  try {
    const app = join(work, "app");
    const sam = join(work, "sam");
    const pip = join(work, "pip");
    mkdirSync(app);
    mkdirSync(join(sam, "deps"), { recursive: true });
    mkdirSync(pip);
    copyFileSync(FIXTURE, join(app, "requirements.txt"));
    copyFileSync(FIXTURE, join(sam, "deps", "requirements.txt"));
    writeFileSync(join(sam, "template.yaml"), TEMPLATE);
    writeFileSync(join(work, "zipfile_zip.py"), ZIPFILE_SCRIPT);

    const buildCmd = [t.node, t.cli, "build", "--app-dir", app, "--runtime", "python3.12", "--architecture", "x86_64", "--json"];
    const emptyApp = () => {
      for (const p of ["layer", "layer.zip", "layer.zip.key", "layer.zip.stat.json"]) rmSync(join(app, p), { recursive: true, force: true });
    };
    const runs = {
      cold: [] as Sample[],
      hit: [] as Sample[],
      samBuild: [] as Sample[],
      samZip: [] as Sample[],
      pipInstall: [] as Sample[],
      pipZip: [] as Sample[],
    };
    let cold: Record<string, unknown> = {};
    // Round 0 warms the download caches (uv's or pip's, and the one sam build's pip uses); not timed.
    for (let i = 0; i <= RUNS; i++) {
      const timed = i > 0;
      emptyApp();
      const c = t.measure(buildCmd, work, [0], env);
      cold = JSON.parse(c.stdout) as Record<string, unknown>;
      const h = t.measure(buildCmd, work, [0], env);
      if (timed) {
        runs.cold.push(c);
        runs.hit.push(h);
      }
      if (pyDir && haveSam) {
        rmSync(join(sam, ".aws-sam"), { recursive: true, force: true });
        rmSync(join(sam, "layer.zip"), { force: true });
        const b = t.measure([join(VENV_BIN, "sam"), "build", "--template", "template.yaml"], sam, [0], env);
        const z = t.measure(
          [join(pyDir, "python3.12"), join(work, "zipfile_zip.py"), join(sam, ".aws-sam", "build", "DepsLayer"), join(sam, "layer.zip")],
          sam,
          [0],
          env,
        );
        if (timed) {
          runs.samBuild.push(b);
          runs.samZip.push(z);
        }
      }
      if (pyDir) {
        rmSync(join(pip, "python"), { recursive: true, force: true });
        rmSync(join(pip, "layer.zip"), { force: true });
        const p = t.measure(
          [join(pyDir, "python3.12"), "-m", "pip", "install", "--disable-pip-version-check", "-q", "--target", join(pip, "python"), "-r", FIXTURE],
          pip,
          [0],
          env,
        );
        const z = t.measure(["zip", "-r", "-q", "-X", "layer.zip", "python"], pip, [0], env);
        if (timed) {
          runs.pipInstall.push(p);
          runs.pipZip.push(z);
        }
      }
    }

    const med = (xs: Sample[]) => t.median(xs.map((x) => x.seconds));
    const cpu = (xs: Sample[]) => t.median(xs.map((x) => x.cpu));
    const rss = (xs: Sample[]) => Math.max(...xs.map((x) => x.maxRssKb)) / 1024;
    const samTotal = runs.samBuild.map((b, i) => sum(b, runs.samZip[i]!));
    const pipTotal = runs.pipInstall.map((p, i) => sum(p, runs.pipZip[i]!));
    const ratio = (xs: Sample[], peer: Sample[]) => (peer.length ? `${(med(xs) / med(peer)).toFixed(2)}x` : "");
    type Row = [name: string, xs: Sample[]];
    const rows: Row[] = [
      ["`sam build` + `zipfile` zip of its output (what `sam package` uploads)", samTotal],
      ["  of which `sam build` (BuildMethod python3.12)", runs.samBuild],
      ["  of which the `zipfile` zip", runs.samZip],
      ["`pip install --target` + `zip -r`", pipTotal],
      ["  of which `pip install --target`", runs.pipInstall],
      ["  of which `zip -r -X`", runs.pipZip],
      ["**sam-layer build, empty layer folder** (goals <= 0.35x, <= 0.5x)", runs.cold],
      ["sam-layer build, cache hit (folder, zip and key restored)", runs.hit],
    ];
    console.log(
      `\nbuild: ${FIXTURE.replace(`${resolve(".")}/`, "")} (${countPackages(cold)}), python3.12 x86_64; ${RUNS} timed runs after a warm-up round; medians; ` +
        `sam-layer used ${String(cold.pkgManager)} (installer: ${String(cold.installer ?? "see README")}); layer ${mb(cold.unzippedBytes)} unzipped, ${String(cold.entries)} entries, zip ${mb(cold.bytes)}, md5 ${String(cold.md5)}\n`,
    );
    console.log("| run | wall s | CPU s | peak RSS | vs sam build + zipfile | vs pip -t + zip -r |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const [name, xs] of rows) {
      if (!xs.length) continue;
      console.log(`| ${name} | ${med(xs).toFixed(2)} | ${cpu(xs).toFixed(2)} | ${rss(xs).toFixed(0)} MB | ${ratio(xs, samTotal)} | ${ratio(xs, pipTotal)} |`);
    }
    // The import check (when the build has one) reports its own time in the JSON result.
    const check = (cold.importCheck ?? (cold.timings as Record<string, unknown> | undefined)?.importCheck) as { seconds?: number } | number | undefined;
    const checkSeconds = typeof check === "number" ? check : check?.seconds;
    if (typeof checkSeconds === "number") console.log(`| &nbsp;&nbsp;of which the import check | ${checkSeconds.toFixed(2)} | | | | |`);
  } finally {
    if (process.env.BENCH_KEEP !== "1") rmSync(work, { recursive: true, force: true });
  }
}

function mb(bytes: unknown): string {
  return typeof bytes === "number" ? `${(bytes / 1e6).toFixed(0)} MB` : "?";
}

function countPackages(result: Record<string, unknown>): string {
  const n = (result.packages as unknown[] | undefined)?.length;
  return n ? `${n} packages` : "60 packages";
}
