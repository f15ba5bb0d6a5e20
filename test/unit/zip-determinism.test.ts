import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync as chmod, cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { zipLayer } from "../../src/zip/layer-zip.js";
import { bytesOf, runCli, sampleTree, setAllMtimes, tempDir, unzipTest, writeTree, zipListing, zipNames } from "./support.js";

async function zipOf(dir: string, out: string, extra: { level?: number } = {}): Promise<Buffer> {
  await zipLayer({ dir, output: out, ...extra });
  return bytesOf(out);
}

describe("zip bytes are a pure function of the folder's content", () => {
  const work = tempDir();
  const tree = sampleTree();
  const base = join(work, "base");
  writeTree(base, tree);

  it("writes a valid zip: sorted entries with folders, fixed dates, normalized modes, no extra fields", async () => {
    const out = join(work, "base.zip");
    await zipOf(base, out);
    expect(unzipTest(out)).toContain("No errors detected");
    expect(zipNames(out)).toEqual([
      "bin/",
      "bin/tool",
      "empty/",
      "python/",
      "python/pkg-1.0.dist-info/",
      "python/pkg-1.0.dist-info/METADATA",
      "python/pkg-1.0.dist-info/RECORD",
      "python/pkg/",
      "python/pkg/__init__.py",
      "python/pkg/core.py",
      "python/pkg/data.bin",
      "python/z-last.txt",
      "python/Ä-unicode.txt",
    ]);
    const listing = zipListing(out);
    for (const line of listing) {
      expect(line).toContain("unx");
      expect(line).toContain("80-Jan-01 00:00");
    }
    const byName = Object.fromEntries(listing.map((l) => [l.split(/\s+/).pop(), l]));
    expect(byName["bin/tool"]).toMatch(/^-rwxr-xr-x/);
    expect(byName["python/pkg/core.py"]).toMatch(/^-rw-r--r--.* defN /);
    expect(byName["python/z-last.txt"]).toMatch(/ stor /); // empty: stored
    expect(byName["empty/"]).toMatch(/^drwxr-xr-x/);
    // No extra fields anywhere (no UT timestamps, no uid/gid).
    const verbose = spawnSync("zipinfo", ["-v", out], { encoding: "utf8" }).stdout;
    const extras = [...verbose.matchAll(/length of extra field:\s+(\d+) bytes/g)].map((m) => Number(m[1]));
    expect(extras).toHaveLength(13);
    expect(extras.every((n) => n === 0)).toBe(true);
    expect(verbose).toMatch(/zipfile comment[\s\S]*sam-layer zip\/1 level=6 date=1980-01-01T00:00:00Z digest=[0-9a-f]{64}/);
    // Round trip: what comes out is what went in.
    const unpacked = join(work, "unpacked");
    expect(spawnSync("unzip", ["-q", out, "-d", unpacked]).status).toBe(0);
    expect(spawnSync("diff", ["-r", base, unpacked]).status).toBe(0);
  });

  it("does not depend on mtimes", async () => {
    const a = await zipOf(base, join(work, "m1.zip"));
    const copy = join(work, "mtimes");
    writeTree(copy, tree);
    setAllMtimes(copy, Object.keys(tree), new Date("2031-07-04T12:34:56Z"));
    expect((await zipOf(copy, join(work, "m2.zip"))).equals(a)).toBe(true);
  });

  it("does not depend on umask or permission bits beyond execute", async () => {
    const a = await zipOf(base, join(work, "p1.zip"));
    const copy = join(work, "perms");
    writeTree(copy, tree);
    chmod(join(copy, "python/pkg/core.py"), 0o600);
    chmod(join(copy, "python/pkg/data.bin"), 0o664);
    chmod(join(copy, "bin/tool"), 0o700);
    chmod(join(copy, "python/pkg"), 0o700);
    chmod(join(copy, "empty"), 0o777);
    expect((await zipOf(copy, join(work, "p2.zip"))).equals(a)).toBe(true);
  });

  it("does not depend on the order files were created in", async () => {
    const a = await zipOf(base, join(work, "o1.zip"));
    const copy = join(work, "order");
    writeTree(copy, tree, Object.keys(tree).reverse());
    expect((await zipOf(copy, join(work, "o2.zip"))).equals(a)).toBe(true);
  });

  it("does not depend on the time zone (bundled CLI under TZ=UTC and TZ=Asia/Tokyo)", () => {
    for (const env of [{}, { SOURCE_DATE_EPOCH: "1700000000" }]) {
      const utc = join(work, "tz-utc.zip");
      const tokyo = join(work, "tz-tokyo.zip");
      expect(runCli(["zip", base, "-o", utc], { env: { ...env, TZ: "UTC" } }).status).toBe(0);
      expect(runCli(["zip", base, "-o", tokyo], { env: { ...env, TZ: "Asia/Tokyo" } }).status).toBe(0);
      expect(bytesOf(tokyo).equals(bytesOf(utc))).toBe(true);
    }
    // SOURCE_DATE_EPOCH 1700000000 is 2023-11-14 22:13:20 UTC: written from the UTC fields.
    expect(zipListing(join(work, "tz-tokyo.zip"))[0]).toContain("23-Nov-14 22:13");
  });

  it("is the same for two fresh copies, and for the same copy zipped twice into new files", async () => {
    const one = join(work, "fresh1");
    const two = join(work, "fresh2");
    writeTree(one, tree);
    cpSync(base, two, { recursive: true });
    const a = await zipOf(one, join(work, "f1.zip"));
    const b = await zipOf(two, join(work, "f2.zip"));
    const c = await zipOf(one, join(work, "f3.zip"));
    expect(b.equals(a)).toBe(true);
    expect(c.equals(a)).toBe(true);
  });

  it("changes when one byte of one file changes", async () => {
    const a = await zipOf(base, join(work, "b1.zip"));
    const copy = join(work, "onebyte");
    writeTree(copy, tree);
    const f = join(copy, "python/pkg/data.bin");
    const data = readFileSync(f);
    data[1234] = (data[1234]! + 1) % 256;
    writeFileSync(f, data);
    expect((await zipOf(copy, join(work, "b2.zip"))).equals(a)).toBe(false);
  });

  it("follows the level, and stores what deflate cannot shrink", async () => {
    const dir = join(work, "levels");
    writeTree(dir, { "text.txt": "hello world\n".repeat(2000), "random.bin": randomBytes(40_000), "tiny.txt": "a" });
    const l1 = await zipOf(dir, join(work, "l1.zip"), { level: 1 });
    const l9 = await zipOf(dir, join(work, "l9.zip"), { level: 9 });
    const l0 = await zipOf(dir, join(work, "l0.zip"), { level: 0 });
    expect(l1.equals(l9)).toBe(false);
    const methods = (zip: string) => Object.fromEntries(zipListing(zip).map((l) => [l.split(/\s+/).pop(), l.split(/\s+/)[6]]));
    expect(methods(join(work, "l9.zip"))).toEqual({ "random.bin": "stor", "text.txt": "defN", "tiny.txt": "stor" });
    expect(methods(join(work, "l0.zip"))).toEqual({ "random.bin": "stor", "text.txt": "stor", "tiny.txt": "stor" });
    expect(l0.length).toBeGreaterThan(42_000);
    for (const z of ["l0.zip", "l1.zip", "l9.zip"]) unzipTest(join(work, z));
  });
});
