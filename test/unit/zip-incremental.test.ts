import { chmodSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { zipLayer } from "../../src/zip/layer-zip.js";
import { bytesOf, mtimeNs, runCli, sampleTree, setAllMtimes, tempDir, unzipTest, writeTree, zipListing, zipNames } from "./support.js";

/** `<zip>.stat.json`: a line per file `[path, size, mtimeMs, hash]` in zip order, then the head (zip identity, listing, digest). */
function statCacheLines(out: string): { head: Record<string, unknown>; files: Record<string, unknown>; paths: string[]; headLine: string } {
  const lines = readFileSync(`${out}.stat.json`, "utf8").split("\n");
  expect(lines.pop()).toBe("");
  const headLine = lines.pop()!;
  const parsed = lines.map((l) => JSON.parse(l) as [string, number, number, string]);
  return { head: JSON.parse(headLine), files: Object.fromEntries(parsed.map(([p, ...rest]) => [p, rest])), paths: parsed.map(([p]) => p), headLine };
}

const ALL_FILES = Object.keys(sampleTree()).filter((p) => !p.endsWith("/"));

function fresh(name: string): { dir: string; out: string } {
  const work = tempDir();
  const dir = join(work, name);
  writeTree(dir, sampleTree());
  return { dir, out: join(work, `${name}.zip`) };
}

describe("incremental zip", () => {
  it("keeps every file's hash in the stat cache, a line each in zip order (4,097 files, one too fresh)", async () => {
    const work = tempDir();
    const dir = join(work, "parts");
    const tree: Record<string, string> = {};
    // Names JSON must escape, and ones that look like array indices (ordered first by JavaScript).
    for (let i = 0; i < 4095; i++) tree[`p${i % 50}/${i % 7 === 0 ? `q"${i}\\x` : i % 11 === 0 ? String(i) : `m${i}.py`}`] = `v = ${i}\n`;
    tree["123"] = "top\n";
    writeTree(dir, tree);
    setAllMtimes(dir, Object.keys(tree), new Date(Date.now() - 3_600_000));
    // Too fresh to trust: left out.
    tree["p0/fresh.py"] = "new\n";
    writeTree(dir, { "p0/fresh.py": "new\n" });
    const out = join(work, "parts.zip");
    expect((await zipLayer({ dir, output: out })).status).toBe("created");
    const expected: Record<string, unknown> = {};
    for (const [path, text] of Object.entries(tree)) {
      if (path === "p0/fresh.py") continue;
      const st = statSync(join(dir, path));
      expected[path] = [st.size, st.mtimeMs, createHash("sha256").update(text).digest("hex")];
    }
    expect(statCacheLines(out).files).toEqual(expected);
    expect((await zipLayer({ dir, output: out })).status).toBe("unchanged");
    // Once old enough, the fresh file is hashed beside the cached ones, and the cache written again.
    utimesSync(join(dir, "p0/fresh.py"), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    expect((await zipLayer({ dir, output: out })).status).toBe("unchanged");
    const saved = statCacheLines(out);
    const st = statSync(join(dir, "p0/fresh.py"));
    expect(saved.files).toEqual({ ...expected, "p0/fresh.py": [st.size, st.mtimeMs, createHash("sha256").update("new\n").digest("hex")] });
    // In zip order, which is how they are looked up: beside the walk, each line read once.
    expect(saved.paths).toEqual(zipNames(out).filter((n) => !n.endsWith("/")));
  });

  it("second run: nothing to do, exit 0, the zip's bytes and mtime untouched", async () => {
    const { dir, out } = fresh("again");
    // From the zip's folder its name alone; from elsewhere, the path to it from there.
    const first = runCli(["zip", dir, "-o", out], { cwd: dirname(out) });
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^again\.zip: created, 13 entries, .* md5 [0-9a-f]{32}, digest [0-9a-f]{64}\n$/);
    const bytes = bytesOf(out);
    const mtime = mtimeNs(out);
    await new Promise((r) => setTimeout(r, 20));
    const second = runCli(["zip", dir, "-o", out], { cwd: dir });
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/^\.\.\/again\.zip: unchanged \(nothing to do\), 13 entries/);
    expect(mtimeNs(out)).toBe(mtime);
    expect(bytesOf(out).equals(bytes)).toBe(true);
    const json = JSON.parse(runCli(["zip", dir, "-o", out, "--json"]).stdout);
    expect(json).toMatchObject({ output: out, status: "unchanged", entries: 13, bytes: bytes.length });
    expect(Object.keys(json).sort()).toEqual(["bytes", "digest", "entries", "md5", "output", "sha256", "status", "unzippedBytes"]);
  });

  it("rebuilds whole on delete, add, change and execute-bit flip; deleted files leave the zip", async () => {
    const { dir, out } = fresh("edits");
    expect((await zipLayer({ dir, output: out })).status).toBe("created");
    const steps: [string, () => void, (names: string[], listing: string[]) => void][] = [
      ["delete", () => rmSync(join(dir, "python/pkg/core.py")), (names) => expect(names).not.toContain("python/pkg/core.py")],
      ["add", () => writeFileSync(join(dir, "python/pkg/new.py"), "x = 1\n"), (names) => expect(names).toContain("python/pkg/new.py")],
      ["change", () => writeFileSync(join(dir, "python/pkg/new.py"), "x = 2\n"), () => {}],
      [
        "flip x",
        () => chmodSync(join(dir, "python/pkg/new.py"), 0o755),
        (_, l) => expect(l.find((x) => x.endsWith(" python/pkg/new.py"))).toMatch(/^-rwxr-xr-x/),
      ],
      ["empty folder", () => rmSync(join(dir, "empty"), { recursive: true }), (names) => expect(names).not.toContain("empty/")],
    ];
    for (const [what, edit, check] of steps) {
      const before = bytesOf(out);
      edit();
      const r = await zipLayer({ dir, output: out });
      expect(r.status, what).toBe("updated");
      expect(bytesOf(out).equals(before), what).toBe(false);
      unzipTest(out);
      check(zipNames(out), zipListing(out));
      expect((await zipLayer({ dir, output: out })).status, `${what}, then again`).toBe("unchanged");
    }
    // The rebuilt zip is the same as a cold zip of the final folder.
    const cold = join(dir, "..", "cold.zip");
    await zipLayer({ dir, output: cold });
    expect(bytesOf(cold).equals(bytesOf(out))).toBe(true);
  });

  it("rebuilds when a setting that shapes the bytes changes (level, SOURCE_DATE_EPOCH)", () => {
    const { dir, out } = fresh("settings");
    expect(runCli(["zip", dir, "-o", out]).stdout).toContain(": created");
    expect(runCli(["zip", dir, "-o", out, "--level", "9"]).stdout).toContain(": updated");
    expect(runCli(["zip", dir, "-o", out, "--level", "9"]).stdout).toContain(": unchanged");
    expect(runCli(["zip", dir, "-o", out, "--level", "9"], { env: { SOURCE_DATE_EPOCH: "1700000000" } }).stdout).toContain(": updated");
    expect(runCli(["zip", dir, "-o", out, "--level", "9"], { env: { SOURCE_DATE_EPOCH: "1700000000" } }).stdout).toContain(": unchanged");
  });

  it("trusts the stat cache for old files (only stat calls), re-reads files that are new or when the cache is gone", async () => {
    const { dir, out } = fresh("cache");
    const file = join(dir, "python/pkg/core.py");
    const old = new Date(Date.now() - 3600_000);
    setAllMtimes(dir, ["python/pkg/core.py", "python/pkg/__init__.py", "bin/tool"], old);
    await zipLayer({ dir, output: out });
    const files = statCacheLines(out).files;
    expect(files["python/pkg/core.py"]).toEqual([statSync(file).size, statSync(file).mtimeMs, expect.stringMatching(/^[0-9a-f]{64}$/)]);
    // Files written moments ago are not cached: a same-size rewrite in the same tick must be seen.
    expect(files["python/z-last.txt"]).toBeUndefined();
    // ...and a folder with such a file gets no whole-folder listing either.
    expect(statCacheLines(out).head.listing).toBeUndefined();

    // Same size, same mtime, different bytes: the cache vouches for the old content...
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.replace("42", "43"));
    utimesSync(file, old, old);
    expect((await zipLayer({ dir, output: out })).status).toBe("unchanged");
    // ...and without it the content is read and the change found.
    rmSync(`${out}.stat.json`);
    expect((await zipLayer({ dir, output: out })).status).toBe("updated");

    // The cache's lines are read beside the walk, in zip order: a file whose line comes after
    // files that changed, files without a line and names UTF-16 orders otherwise, is still
    // vouched for. Tampered with (same size and mtime) and found unchanged, it was not read.
    const late = join(dir, "zz/\u{1F600}/late.py");
    writeTree(dir, { "zz/\uFF21.py": "a = 1\n", "zz/\u{1F600}/late.py": "b = 2\n", "python/pkg/touched.py": "c = 3\n" });
    setAllMtimes(dir, ["zz/\uFF21.py", "zz/\u{1F600}/late.py", "python/pkg/touched.py"], old);
    await zipLayer({ dir, output: out });
    expect(statCacheLines(out).paths).toEqual(expect.arrayContaining(["zz/\uFF21.py", "zz/\u{1F600}/late.py"]));
    utimesSync(join(dir, "python/pkg/touched.py"), new Date(old.getTime() + 1000), new Date(old.getTime() + 1000));
    writeFileSync(late, "b = 9\n");
    utimesSync(late, old, old);
    expect((await zipLayer({ dir, output: out })).status).toBe("unchanged");

    // A fresh file is re-read every time: same size, mtime put back, still seen.
    const young = join(dir, "python/Ä-unicode.txt");
    const t = statSync(young).mtime;
    await zipLayer({ dir, output: out });
    writeFileSync(young, "NON-ascii name\n");
    utimesSync(young, t, t);
    expect((await zipLayer({ dir, output: out })).status).toBe("updated");
  });

  it("vouches for a folder of old files with one listing: no per-file hashes needed, every edit still seen", async () => {
    const { dir, out } = fresh("listing");
    const old = new Date(Date.now() - 3600_000);
    setAllMtimes(dir, ALL_FILES, old);
    const created = await zipLayer({ dir, output: out });
    expect(statCacheLines(out).head).toMatchObject({ version: 3, listing: expect.stringMatching(/^[0-9a-f]{64}$/), digest: created.digest });

    // The per-file hashes are not read at all when the listing matches: garbage there changes nothing.
    const { headLine } = statCacheLines(out);
    writeFileSync(`${out}.stat.json`, `{ not json\n${headLine}\n`);
    const again = await zipLayer({ dir, output: out });
    expect(again).toMatchObject({ status: "unchanged", digest: created.digest, md5: created.md5, sha256: created.sha256 });
    expect(readFileSync(`${out}.stat.json`, "utf8")).toBe(`{ not json\n${headLine}\n`);

    // A zip put back by a copy (another inode, same bytes) is not taken on the listing's word: its sums are recomputed.
    const bytes = bytesOf(out);
    rmSync(out);
    writeFileSync(out, bytes);
    expect(await zipLayer({ dir, output: out })).toMatchObject({ status: "unchanged", md5: created.md5, sha256: created.sha256 });

    // Any edit moves the listing: content with a new mtime, a new file, an execute bit, a removal.
    const edits: [string, () => void][] = [
      ["content", () => writeFileSync(join(dir, "python/pkg/core.py"), "x = 1\n")],
      ["added", () => writeFileSync(join(dir, "python/pkg/added.py"), "y = 2\n")],
      ["execute bit", () => chmodSync(join(dir, "python/pkg/added.py"), 0o755)],
      ["removed", () => rmSync(join(dir, "python/pkg/added.py"))],
    ];
    for (const [what, edit] of edits) {
      edit();
      for (const p of [...ALL_FILES, "python/pkg/added.py"]) {
        try {
          utimesSync(join(dir, p), old, old);
        } catch {
          // removed
        }
      }
      const before = bytesOf(out);
      expect((await zipLayer({ dir, output: out })).status, what).toBe("updated");
      expect(bytesOf(out).equals(before), what).toBe(false);
      const cold = join(tempDir(), "cold.zip");
      await zipLayer({ dir, output: cold });
      expect(bytesOf(out).equals(bytesOf(cold)), what).toBe(true);
    }
  });

  it("rebuilds over a corrupt zip, a foreign zip and a garbage stat cache instead of failing", async () => {
    const { dir, out } = fresh("foreign");
    writeFileSync(out, "this is not a zip at all");
    writeFileSync(`${out}.stat.json`, "{ not json");
    expect((await zipLayer({ dir, output: out })).status).toBe("updated");
    unzipTest(out);
    const good = bytesOf(out);

    // Truncated: the end record is gone.
    writeFileSync(out, good.subarray(0, good.length - 30));
    expect((await zipLayer({ dir, output: out })).status).toBe("updated");
    expect(bytesOf(out).equals(good)).toBe(true);

    // Bytes after our comment: the end record no longer reaches the end of the file.
    writeFileSync(out, Buffer.concat([good, Buffer.from("x")]));
    expect((await zipLayer({ dir, output: out })).status).toBe("updated");
    expect(bytesOf(out).equals(good)).toBe(true);

    // Info-ZIP's zip of the same folder: no sam-layer comment.
    rmSync(out);
    expect(spawnSync("zip", ["-q", "-r", "-X", out, "."], { cwd: dir }).status).toBe(0);
    expect((await zipLayer({ dir, output: out })).status).toBe("updated");
    expect(bytesOf(out).equals(good)).toBe(true);
  });
});
