import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { bytesOf, CLI, runCli, sampleTree, spawnCli, tempDir, unzipTest, writeTree } from "./support.js";

/** A layer folder plus a good zip of it; every bad run below must leave that zip as it was. */
function withGoodZip(name: string): { work: string; dir: string; out: string; good: Buffer } {
  const work = tempDir();
  const dir = join(work, name);
  writeTree(dir, sampleTree());
  const out = join(work, `${name}.zip`);
  expect(runCli(["zip", dir, "-o", out]).status).toBe(0);
  return { work, dir, out, good: bytesOf(out) };
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith(".tmp"));
}

/** Text-like data that deflate has to work on: slow enough to be caught in the middle. */
function bulkyTree(dir: string, files: number, mb: number): void {
  mkdirSync(dir, { recursive: true });
  const words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split(" ");
  let x = 12345;
  for (let f = 0; f < files; f++) {
    const parts: string[] = [];
    let len = 0;
    while (len < mb * (1 << 20)) {
      x = (x * 1103515245 + 12345) >>> 0;
      const line = `${words[x % words.length]} ${x} ${words[(x >>> 8) % words.length]}\n`;
      parts.push(line);
      len += line.length;
    }
    writeFileSync(join(dir, `part${f}.txt`), parts.join(""));
  }
}

describe("bad input: one-line error naming the culprit, previous zip byte-identical", () => {
  it("refuses an output path inside the layer folder (exit 2)", () => {
    const { dir, out, good } = withGoodZip("inside");
    const inner = join(dir, "python", "layer.zip");
    writeFileSync(inner, "previous");
    const r = runCli(["zip", dir, "-o", inner]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`sam-layer: output is inside the layer folder: ${inner} (put the zip next to the folder)\n`);
    expect(bytesOf(inner).toString()).toBe("previous");
    // Also through a symlinked parent folder.
    const alias = join(dir, "..", "alias");
    symlinkSync(dir, alias);
    expect(runCli(["zip", dir, "-o", join(alias, "x.zip")]).status).toBe(2);
    expect(existsSync(join(dir, "x.zip"))).toBe(false);
    expect(bytesOf(out).equals(good)).toBe(true);
  });

  it("names a missing layer folder, a bad --level and a bad SOURCE_DATE_EPOCH", () => {
    const { work, out, good, dir } = withGoodZip("args");
    const missing = runCli(["zip", join(work, "nope"), "-o", out]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^sam-layer: layer folder not found: .*nope\n$/);
    const level = runCli(["zip", dir, "-o", out, "--level", "11"]);
    expect(level.status).toBe(2);
    expect(level.stderr).toBe("sam-layer: --level must be a whole number from 0 to 9, got: 11\n");
    const sde = runCli(["zip", dir, "-o", out], { env: { SOURCE_DATE_EPOCH: "yesterday" } });
    expect(sde.status).toBe(2);
    expect(sde.stderr).toBe("sam-layer: SOURCE_DATE_EPOCH must be whole seconds since 1970, got: yesterday\n");
    const noOut = runCli(["zip", dir]);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toContain("Missing required argument: output");
    expect(bytesOf(out).equals(good)).toBe(true);
  });

  it("names a file whose name is not UTF-8 (no zip can store it), unless it is excluded", () => {
    const { dir, out, good } = withGoodZip("latin1");
    const bad = Buffer.concat([Buffer.from(join(dir, "python/caf")), Buffer.from([0xe9]), Buffer.from(".txt")]);
    writeFileSync(bad, "x");
    const r = runCli(["zip", dir, "-o", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("sam-layer: file name is not valid UTF-8: python/caf\\xe9.txt (zip entry names are UTF-8; rename it)\n");
    expect(bytesOf(out).equals(good)).toBe(true);
    expect(runCli(["hash", dir]).stderr).toBe(r.stderr);
    expect(runCli(["zip", dir, "-o", out, "--exclude", "*.txt"]).status).toBe(0);
  });

  it("names a dangling symlink", () => {
    const { dir, out, good } = withGoodZip("links");
    symlinkSync("../gone.py", join(dir, "python/pkg/gone.py"));
    const r = runCli(["zip", dir, "-o", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("sam-layer: dangling symlink in layer: python/pkg/gone.py\n");
    expect(bytesOf(out).equals(good)).toBe(true);
  });

  it("names an unreadable file", (ctx) => {
    const { work, dir, out, good } = withGoodZip("unreadable");
    const secret = join(dir, "python/pkg/secret.py");
    writeFileSync(secret, "token = 1\n");
    let zip = (args: string[]) => runCli(args);
    if (process.getuid?.() !== 0) {
      chmodSync(secret, 0o000);
    } else {
      // Root reads any file, so the zip runs as "nobody", from a copy of the bundle next to the
      // layer: the checkout may sit under a folder that nobody cannot enter (a 0700 home).
      const bundle = join(work, "sam-layer.mjs");
      copyFileSync(CLI, bundle);
      spawnSync("chmod", ["-R", "a+rX", dir, bundle]);
      chmodSync(work, 0o777);
      chmodSync(secret, 0o600);
      const asNobody = (args: string[]) => {
        const r = spawnSync(process.execPath, [bundle, ...args], { cwd: work, uid: 65534, gid: 65534, encoding: "utf8" });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr || String(r.error ?? "") };
      };
      const probe = asNobody(["--version"]);
      if (probe.status !== 0) {
        const why = probe.stderr.split("\n").find((line) => /Error/.test(line)) ?? probe.stderr.trim();
        const reason = `uid 65534 cannot run ${process.execPath} ${bundle} (${why}): TMPDIR or node is out of its reach`;
        console.warn(`skipped "names an unreadable file": ${reason}`);
        ctx.skip(reason);
      }
      zip = asNobody;
    }
    // Found while checking for changes, and (another level: no check) while writing.
    for (const level of ["6", "9"]) {
      const r = zip(["zip", dir, "-o", out, "--level", level]);
      expect(r.stderr).toBe("sam-layer: cannot read python/pkg/secret.py: permission denied\n");
      expect(r.status).toBe(1);
      expect(bytesOf(out).equals(good)).toBe(true);
      expect(tempFiles(work)).toEqual([]);
    }
    // Past 4 MiB the files are read on worker threads (on a machine with 2+ cores): the same line.
    mkdirSync(join(dir, "python/zz"));
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `python/zz/fill${i}.txt`), "x".repeat(1 << 20));
    spawnSync("chmod", ["-R", "a+rX", join(dir, "python/zz")]);
    const r = zip(["zip", dir, "-o", out, "--level", "9"]);
    expect(r.stderr).toBe("sam-layer: cannot read python/pkg/secret.py: permission denied\n");
    expect(r.status).toBe(1);
    expect(bytesOf(out).equals(good)).toBe(true);
    expect(tempFiles(work)).toEqual([]);
  });

  it("reports a full disk (file size limit) as a write error and keeps the old zip", () => {
    const { work, dir, out, good } = withGoodZip("full");
    writeFileSync(join(dir, "python/pkg/big.bin"), randomBytes(300_000));
    // SIGXFSZ ignored: the write fails with EFBIG, as a full disk fails with ENOSPC.
    const r = spawnSync("bash", ["-c", 'trap "" XFSZ; ulimit -f 100; exec node "$0" zip "$1" -o "$2"', CLI, dir, out], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`sam-layer: cannot write ${out}: file too large for this file system or ulimit\n`);
    expect(bytesOf(out).equals(good)).toBe(true);
    expect(tempFiles(work)).toEqual([]);
  });

  it("stops its threads when a first write fails after the walk (the process ends by itself)", () => {
    // A first write hands the files to the worker threads as soon as they are listed; a failure
    // before the zip is opened must stop them, or a caller in the same process (the build, a
    // test) would never exit. The CLI's process.exit would hide that, so the module runs here,
    // from a script file: `node -e` ends the process when the script is done, threads or not.
    const work = tempDir();
    const dir = join(work, "layer");
    bulkyTree(dir, 3, 2); // over PARALLEL_MIN_BYTES, so there are threads to stop
    writeFileSync(join(work, "blocker"), "a file where the output's folder should be\n");
    const output = join(work, "blocker", "sub", "layer.zip");
    const script = join(work, "first-write.mjs");
    writeFileSync(
      script,
      [
        `import { zipLayer } from ${JSON.stringify(resolve("src/zip/layer-zip.ts"))};`,
        `try { await zipLayer({ dir: ${JSON.stringify(dir)}, output: ${JSON.stringify(output)} }); console.log("written"); }`,
        `catch (err) { console.log("rejected: " + err.message); }`,
        "",
      ].join("\n"),
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: resolve("."), encoding: "utf8", timeout: 30_000 });
    expect(r.error, "the process did not end by itself").toBeUndefined();
    expect(r.stdout).toBe(`rejected: cannot create the folder of ${output}: not a folder\n`);
    expect(r.status).toBe(0);
  });

  it("keeps a signal that came while a temp file was tracked during a synchronous stretch (the check's hashing)", () => {
    // The signal is delivered at the event loop's next poll, after the temp file is no longer
    // tracked: its listener must still be there (a new user's SIGINT during an update's check ran
    // on and replaced the zip, exit 0).
    const work = tempDir();
    const temp = join(work, "cache.tmp");
    const script = join(work, "signal.mjs");
    writeFileSync(
      script,
      [
        `import { removedOnSignal } from ${JSON.stringify(resolve("src/zip/atomic.ts"))};`,
        `const forget = removedOnSignal(${JSON.stringify(temp)});`,
        `process.kill(process.pid, "SIGTERM");`,
        "const until = Date.now() + 200;",
        "while (Date.now() < until) {}",
        "forget();",
        `setTimeout(() => console.log("ran on"), 300);`,
      ].join("\n"),
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: resolve("."), encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("sam-layer: interrupted (SIGTERM); previous output left as it was\n");
    expect(r.status).toBe(143);
  });

  for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
    it(`survives ${signal} in the middle of writing: old zip intact${signal === "SIGKILL" ? ", temp file cleaned on the next run" : ", no temp file left"}`, async () => {
      const work = tempDir();
      const dir = join(work, "bulky");
      bulkyTree(dir, 4, 12);
      const out = join(work, "bulky.zip");
      writeFileSync(join(dir, "small.txt"), "v1\n");
      expect(runCli(["zip", dir, "-o", out, "--level", "1"]).status).toBe(0);
      const good = bytesOf(out);

      writeFileSync(join(dir, "small.txt"), "v2\n");
      const child = spawnCli(["zip", dir, "-o", out, "--level", "9"]);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on("exit", (code, sig) => res({ code, signal: sig })));
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      // Wait until the zip's temp file holds data: the writer is mid-way. (Beside it: the stat
      // cache's, and for a moment each the files big files are deflated into, unlinked at once.)
      const deadline = Date.now() + 60_000;
      const zipTemp = (n: string) => n.startsWith(".bulky.zip.sam-layer-") && !n.includes(".tmp-");
      for (;;) {
        const temp = tempFiles(work).find(zipTemp);
        if (temp && (statSync(join(work, temp), { throwIfNoEntry: false })?.size ?? 0) > 0) break;
        if (Date.now() > deadline) throw new Error("the writer never started");
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill(signal);
      const end = await exited;
      expect(bytesOf(out).equals(good)).toBe(true);
      unzipTest(out);
      if (signal === "SIGKILL") {
        expect(end.signal).toBe("SIGKILL");
        expect(tempFiles(work).filter(zipTemp)).toHaveLength(1);
        expect(runCli(["zip", dir, "-o", out, "--level", "1"]).stdout).toContain(": updated");
        expect(tempFiles(work)).toEqual([]);
      } else {
        expect(end.code).toBe(signal === "SIGINT" ? 130 : 143);
        expect(stderr).toBe(`sam-layer: interrupted (${signal}); previous output left as it was\n`);
        expect(tempFiles(work)).toEqual([]);
      }
    });
  }
});
