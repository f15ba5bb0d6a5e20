import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashLayer } from "../../src/hash.js";
import { computeKey } from "../../src/key.js";
import { zipLayer } from "../../src/zip/layer-zip.js";
import { runCli, sampleTree, tempDir, writeTree } from "./support.js";

describe("hash", () => {
  const work = tempDir();
  const dir = join(work, "layer");
  writeTree(dir, { ...sampleTree(), "python/pkg/__pycache__/x.pyc": "noise" });
  const out = join(work, "layer.zip");

  it("gives a folder and its zip the same digest; for the zip also MD5 hex and base64 SHA-256", async () => {
    const z = await zipLayer({ dir, output: out });
    const ofDir = await hashLayer(dir);
    const ofZip = await hashLayer(out);
    expect(ofDir).toMatchObject({ kind: "folder", digest: z.digest, entries: 13 });
    expect(ofDir.md5).toBeUndefined();
    const bytes = readFileSync(out);
    expect(ofZip).toMatchObject({
      kind: "zip",
      digest: z.digest,
      entries: 13,
      md5: createHash("md5").update(bytes).digest("hex"),
      sha256: createHash("sha256").update(bytes).digest("base64"),
    });
    expect(spawnSync("md5sum", [out], { encoding: "utf8" }).stdout.split(" ")[0]).toBe(ofZip.md5);
  });

  it("gives Info-ZIP's zip of the same folder the same content digest (different bytes)", async () => {
    const info = join(work, "infozip.zip");
    expect(spawnSync("zip", ["-q", "-r", info, ".", "-x", "*__pycache__*"], { cwd: dir }).status).toBe(0);
    const a = await hashLayer(info);
    const b = await hashLayer(out);
    expect(a.digest).toBe(b.digest);
    expect(a.md5).not.toBe(b.md5);
  });

  it("prints three lines, or JSON; names what it cannot read", () => {
    const r = runCli(["hash", out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^digest {2}[0-9a-f]{64} {2}\(13 entries\)\nmd5 {5}[0-9a-f]{32}\nsha256 {2}[A-Za-z0-9+/]{43}=\n$/);
    expect(JSON.parse(runCli(["hash", dir, "--json"]).stdout)).toMatchObject({ kind: "folder", entries: 13 });
    const junk = join(work, "junk.zip");
    writeFileSync(junk, "not a zip");
    const bad = runCli(["hash", junk]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^sam-layer: not a readable zip: .*junk\.zip \(.*\)\n$/);
    expect(runCli(["hash", join(work, "missing")]).stderr).toMatch(/^sam-layer: not found: .*missing\n$/);
  });
});

describe("key", () => {
  const work = tempDir();
  const lock = join(work, "Pipfile.lock");
  writeFileSync(lock, '{"default": {"requests": {"version": "==2.32.3"}}}\n');

  it("is stable, follows content and extras, not the lockfile's path", async () => {
    const k = await computeKey([lock], ["python3.12", "x86_64"]);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(await computeKey([lock], ["python3.12", "x86_64"])).toBe(k);
    const elsewhere = join(work, "elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, "Pipfile.lock"), readFileSync(lock));
    expect(await computeKey([join(elsewhere, "Pipfile.lock")], ["python3.12", "x86_64"])).toBe(k);
    expect(await computeKey([lock], ["python3.12", "arm64"])).not.toBe(k);
    expect(await computeKey([lock], ["x86_64", "python3.12"])).not.toBe(k);
    expect(await computeKey([lock], ["python3.12x", "86_64"])).not.toBe(k);
    writeFileSync(join(elsewhere, "Pipfile.lock"), '{"default": {"requests": {"version": "==2.32.4"}}}\n');
    expect(await computeKey([join(elsewhere, "Pipfile.lock")], ["python3.12", "x86_64"])).not.toBe(k);
  });

  it("CLI prints the key, writes it with --write, and names a missing lockfile", () => {
    const file = join(work, "out", "layer.key");
    mkdirSync(join(work, "out"));
    const r = runCli(["key", lock, "--extra", "python3.12", "--write", file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(readFileSync(file, "utf8")).toBe(r.stdout);
    const missing = runCli(["key", lock, join(work, "poetry.lock")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`sam-layer: lockfile not found: ${join(work, "poetry.lock")}\n`);
    expect(runCli(["key"]).status).toBe(2);
    // A device is written to, not replaced (as root a rename would swap out /dev/null itself).
    const devNull = statSync("/dev/null");
    expect(runCli(["key", lock, "--write", "/dev/null"]).status).toBe(0);
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true);
    expect(statSync("/dev/null").ino).toBe(devNull.ino);
    expect(runCli(["key", work]).stderr).toBe(`sam-layer: lockfile is a folder, not a file: ${work}\n`);
  });

  it("--write makes the file's folder, as build --write-key does, and refuses a folder (exit 2)", () => {
    const nested = join(work, "new", "deeper", "layer.key");
    const r = runCli(["key", lock, "--write", nested]);
    expect(r.status).toBe(0);
    expect(readFileSync(nested, "utf8")).toBe(r.stdout);
    const folder = runCli(["key", lock, "--write", work]);
    expect(folder.status).toBe(2);
    expect(folder.stderr).toBe(`sam-layer: --write names a folder: ${work}\n`);
  });
});
