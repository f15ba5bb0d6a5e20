import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { walkLayer, walkSegments } from "../../src/layer/walk.js";
import { tempDir, writeTree } from "./support.js";

describe("walkLayer", () => {
  it("lists folders and files in byte order of their UTF-8 zip names, not JS string order", async () => {
    const root = join(tempDir(), "layer");
    // U+FF21 (fullwidth A) sorts after U+1F600 in UTF-16 code units but before it in UTF-8 bytes.
    writeTree(root, { "a-b": "x", "a/b": "x", B: "x", "\u{1F600}": "x", "\uFF21": "x", "a/a/": null });
    const paths = [...(await walkLayer(root))].map((e) => e.path + (e.type === "directory" ? "/" : ""));
    expect(paths).toEqual(["B", "a-b", "a/", "a/a/", "a/b", "\uFF21", "\u{1F600}"]);
  });

  it("walks in segments of at most N entries, together the one listing's entries in its order", async () => {
    const root = join(tempDir(), "layer");
    // Names where a folder's "/" sorts against its siblings' next characters, and where UTF-16
    // and UTF-8 order differ, at several depths.
    const tree: Record<string, string | null> = { "a-b": "x", "a/b": "x", "a/a/": null, B: "x", "\u{1F600}/\uFF21": "x", "\uFF21/x": "x" };
    for (let i = 0; i < 40; i++) tree[`p${i % 4}/${i % 3 ? "q/" : ""}m${i}${i % 5 ? ".py" : ""}`] = "x";
    tree["p1.py"] = "x";
    tree["p1/q.py"] = "x";
    writeTree(root, tree);
    const one = [...(await walkLayer(root))].map((e) => [e.path, e.type, e.mode, e.size]);
    expect(one.length).toBeGreaterThan(50);
    for (const n of [1, 3, 16, 1000]) {
      const segments = [...walkSegments(root, {}, n)];
      expect(segments.every((s) => s.length <= n)).toBe(true);
      expect(segments.flatMap((s) => [...s].map((e) => [e.path, e.type, e.mode, e.size]))).toEqual(one);
    }
    // Byte order of the whole zip names, as one sort of them gives (zip readers list them so).
    const names = one.map(([p, type]) => `${p}${type === "directory" ? "/" : ""}`);
    expect(names).toEqual([...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
  });

  it("normalizes modes from the execute bits only", async () => {
    const root = join(tempDir(), "layer");
    writeTree(root, {
      plain: { content: "x", mode: 0o600 },
      groupx: { content: "x", mode: 0o710 },
      otherx: { content: "x", mode: 0o641 },
      "dir/": null,
    });
    const modes = Object.fromEntries([...(await walkLayer(root))].map((e) => [e.path, e.mode.toString(8)]));
    expect(modes).toEqual({ plain: "644", groupx: "755", otherx: "755", dir: "755" });
  });

  it("leaves out __pycache__, *.pyc and .DS_Store by default; --include-pycache keeps the first two", async () => {
    const root = join(tempDir(), "layer");
    writeTree(root, {
      "pkg/mod.py": "x",
      "pkg/__pycache__/mod.cpython-312.pyc": "x",
      "pkg/old.pyc": "x",
      ".DS_Store": "x",
      "pkg/.DS_Store": "x",
    });
    expect([...(await walkLayer(root))].map((e) => e.path)).toEqual(["pkg", "pkg/mod.py"]);
    expect([...(await walkLayer(root, { includePycache: true }))].map((e) => e.path)).toEqual([
      "pkg",
      "pkg/__pycache__",
      "pkg/__pycache__/mod.cpython-312.pyc",
      "pkg/mod.py",
      "pkg/old.pyc",
    ]);
  });

  it("applies --exclude globs: a name at any depth, a path from the root, folders only with a trailing slash", async () => {
    const root = join(tempDir(), "layer");
    writeTree(root, {
      "python/bin/tool": "x",
      "python/pkg/tests/test_a.py": "x",
      "python/pkg/a.so": "x",
      "python/pkg/keep.py": "x",
      "python/tests": "a file named like the folder pattern",
    });
    const got = [...(await walkLayer(root, { exclude: ["python/bin", "*.so", "tests/"] }))].map((e) => e.path);
    expect(got).toEqual(["python", "python/pkg", "python/pkg/keep.py", "python/tests"]);
  });

  it("stores a symlink that stays inside as what it points to (files and folders)", async () => {
    const root = join(tempDir(), "layer");
    writeTree(root, { "real/file.sh": { content: "#!/bin/sh\n", mode: 0o755 }, "real/sub/x.txt": "x" });
    mkdirSync(join(root, "node_modules/.bin"), { recursive: true });
    symlinkSync("../../real/file.sh", join(root, "node_modules/.bin/tool"));
    symlinkSync("real/sub", join(root, "linked"));
    const entries = [...(await walkLayer(root))];
    const tool = entries.find((e) => e.path === "node_modules/.bin/tool")!;
    expect(tool).toMatchObject({ type: "file", mode: 0o755, size: 10 });
    expect(entries.find((e) => e.path === "linked")).toMatchObject({ type: "directory" });
    expect(entries.find((e) => e.path === "linked/x.txt")).toMatchObject({ type: "file", size: 1 });
  });

  it("refuses dangling, escaping and looping symlinks, naming them", async () => {
    const dir = tempDir();
    const root = join(dir, "layer");
    writeTree(root, { "ok.txt": "x" });
    writeFileSync(join(dir, "outside.txt"), "secret");

    symlinkSync("nowhere.txt", join(root, "dangling"));
    await expect(walkLayer(root)).rejects.toThrow("dangling symlink in layer: dangling");
    await expect(walkLayer(root, { exclude: ["dangling"] })).resolves.toHaveLength(1);

    const root2 = join(dir, "layer2");
    writeTree(root2, { "ok.txt": "x" });
    symlinkSync("../outside.txt", join(root2, "escape"));
    await expect(walkLayer(root2)).rejects.toThrow(/symlink escapes the layer folder: escape -> .*outside\.txt/);

    const root3 = join(dir, "layer3");
    writeTree(root3, { "a/x.txt": "x" });
    symlinkSync("..", join(root3, "a/up"));
    await expect(walkLayer(root3)).rejects.toThrow("symlink loop in layer: a/up");
  });

  it("refuses special files and a missing folder", async () => {
    const root = join(tempDir(), "layer");
    writeTree(root, { "ok.txt": "x" });
    execFileSync("mkfifo", [join(root, "pipe")]);
    await expect(walkLayer(root)).rejects.toThrow("cannot zip pipe: not a regular file, folder or symlink (named pipe)");
    await expect(walkLayer(join(root, "nope"))).rejects.toThrow(/layer folder not found: .*nope/);
  });
});

describe("exclude patterns", () => {
  it("answer like picomatch for the shortcut forms (plain names, *.ext)", async () => {
    const { excludeMatcher } = await import("../../src/layer/excludes.js");
    const picomatch = (await import("picomatch")).default;
    const names = ["x.pyc", ".pyc", "a.pyc.bak", "pyc", "__pycache__", "__pycache__x", ".DS_Store", "DS_Store", "a.so", "tests", "test"];
    for (const pattern of ["*.pyc", "__pycache__", ".DS_Store", "*.so", "tests", "te?t", "*.{so,pyc}"]) {
      const ours = excludeMatcher([pattern]);
      const theirs = picomatch(pattern, { dot: true });
      for (const n of names) expect(ours(`dir/${n}`, false), `${pattern} vs ${n}`).toBe(theirs(n));
    }
  });
});
