import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import zlib from "node:zlib";
import yauzl from "yauzl";
import { describe, expect, it } from "vitest";
import { centralHeaderSize, endRecords, localHeader, writeCentralHeader, zipTimestamp, type EntryRecord } from "../../src/zip/format.js";
import { zipComment, zipLayer } from "../../src/zip/layer-zip.js";
import { writeZip } from "../../src/zip/write.js";
import { walkLayer, type Listing } from "../../src/layer/walk.js";
import { deflater, PIECE_BYTES, Preparer, WHOLE_FILE_MAX } from "../../src/zip/prepare.js";
import { usableCpus } from "../../src/usable-cpus.js";
import { copyInto } from "../../src/zip/ring.js";
import { bytesOf, tempDir, unzipTest } from "./support.js";

/** Every entry's raw (still compressed) data and method, read back with yauzl. */
async function rawEntries(zip: string): Promise<Map<string, { method: number; raw: Buffer; crc: number }>> {
  const z = await yauzl.openPromise(zip, { lazyEntries: true });
  const out = new Map<string, { method: number; raw: Buffer; crc: number }>();
  for await (const e of z.eachEntry()) {
    if (e.fileName.endsWith("/")) continue;
    const s = await z.openReadStreamPromise(e, { decodeFileData: false });
    const chunks: Buffer[] = [];
    for await (const c of s as AsyncIterable<Buffer>) chunks.push(c);
    out.set(e.fileName, { method: e.compressionMethod, raw: Buffer.concat(chunks), crc: e.crc32 });
  }
  z.close();
  return out;
}

function textOf(bytes: number, seed: number): Buffer {
  const parts: string[] = [];
  let x = seed;
  let n = 0;
  while (n < bytes) {
    x = (x * 1103515245 + 12345) >>> 0;
    const line = `value_${x % 1000} = compute(${x % 97}, "${(x >>> 10).toString(36)}")\n`;
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join("")).subarray(0, bytes);
}

describe("zip format", () => {
  it("keeps its bytes: a fixed tree zips to a pinned md5 (the compatibility promise)", async () => {
    // Every size class (inline, workers, streamed, stored), a non-ASCII name, an executable, an
    // empty file and folders. A change of the md5 means every user's layer is published again: it
    // may only come with a new format number (see "Compatibility promise" in the README).
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const words = ["def", "return", "self", "import", "value", "class", "None", "for", "in", "if", "lambda", "yield", "data", "layer"];
    const text = (n: number): Buffer => {
      const parts: string[] = [];
      let len = 0;
      while (len < n) {
        const w = `${words[next() % words.length]}${next() % 7 === 0 ? "\n    " : " "}`;
        parts.push(w);
        len += w.length;
      }
      return Buffer.from(parts.join("").slice(0, n));
    };
    const noise = (n: number): Buffer => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i += 4) b.writeUInt32LE(next(), i);
      return b;
    };
    const dir = join(tempDir(), "golden");
    const files: Record<string, Buffer> = {
      "bin/tool": Buffer.from("#!/bin/sh\necho tool\n"),
      "python/pkg/__init__.py": Buffer.alloc(0),
      "python/pkg/\u00c4\u00d6-unicode.py": text(700),
      "python/pkg/_native.so": noise(300_000),
      "python/big/data.txt": text(5_000_000),
      "python/big/noise.bin": noise(4_500_000),
    };
    for (let i = 0; i < 300; i++) files[`python/mods/m${String(i).padStart(3, "0")}.py`] = text(1_000 + (next() % 40_000));
    for (const [name, data] of Object.entries(files)) {
      mkdirSync(join(dir, name, ".."), { recursive: true });
      writeFileSync(join(dir, name), data, { mode: name === "bin/tool" ? 0o755 : 0o644 });
    }
    mkdirSync(join(dir, "python/empty"));
    const out = join(tempDir(), "golden.zip");
    const r = await zipLayer({ dir, output: out });
    expect(unzipTest(out)).toContain("No errors detected");
    expect(r.md5).toBe("d9e42aaf36df558425198c9d248a47e8");
  });

  it("deflates every size class (inline, thread pool, streamed) to exactly zlib's one-shot output", async () => {
    const work = tempDir();
    const dir = join(work, "sizes");
    mkdirSync(dir);
    const files: Record<string, Buffer> = {
      "inline.py": textOf(9_000, 1),
      "pool.py": textOf(900_000, 2),
      "streamed.py": textOf(9_000_000, 3),
      "streamed-random.so": randomBytes(5_000_000),
      "pool-random.so": randomBytes(200_000),
    };
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    const out = join(work, "sizes.zip");
    for (const level of [1, 6, 9]) {
      await zipLayer({ dir, output: out, level });
      unzipTest(out);
      const entries = await rawEntries(out);
      for (const [name, data] of Object.entries(files)) {
        const e = entries.get(name)!;
        expect(e.crc, name).toBe(zlib.crc32(data));
        const deflated = zlib.deflateRawSync(data, { level });
        if (deflated.length < data.length) {
          expect(e.method, name).toBe(8);
          expect(e.raw.equals(deflated), `${name} at level ${level}`).toBe(true);
        } else {
          expect(e.method, name).toBe(0);
          expect(e.raw.equals(data), name).toBe(true);
        }
      }
    }
    // The md5 the result reports is the md5 of the file, also when a streamed header was patched.
    const r = await zipLayer({ dir, output: join(work, "again.zip") });
    const md5 = spawnSync("md5sum", [join(work, "again.zip")], { encoding: "utf8" }).stdout.split(" ")[0];
    expect(r.md5).toBe(md5);
    expect(r.sha256).toBe(
      createHash("sha256")
        .update(bytesOf(join(work, "again.zip")))
        .digest("base64"),
    );
  });

  it("deflates files over WHOLE_FILE_MAX ahead (on a worker and on the main thread) into files without a name: zlib's one-shot bytes, the bytes of streaming them, nothing left", async (ctx) => {
    if (usableCpus() < 2) ctx.skip(); // no worker: the writer streams them, as the comparison below does
    const work = tempDir();
    const dir = join(work, "layer");
    mkdirSync(dir);
    // Big files only: the worker takes the first, and the writer, waiting for it with no batch to
    // prepare, deflates the next ones itself. One of noise, stored. Then small files after them.
    const big: Record<string, Buffer> = {
      "a1.so": textOf(WHOLE_FILE_MAX + 1, 11),
      "a2.so": randomBytes(WHOLE_FILE_MAX + 5),
      "a3.so": textOf(9_000_000, 13),
      "a4.so": textOf(5_000_000, 14),
    };
    for (const [name, data] of Object.entries(big)) writeFileSync(join(dir, name), data);
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, `m${i}.py`), textOf(20_000 + i, i));
    const out = join(work, "ahead.zip");
    await zipLayer({ dir, output: out });
    unzipTest(out);
    const entries = await rawEntries(out);
    for (const [name, data] of Object.entries(big)) {
      const e = entries.get(name)!;
      const deflated = zlib.deflateRawSync(data, { level: 6 });
      expect(e.crc, name).toBe(zlib.crc32(data));
      expect(e.method, name).toBe(deflated.length < data.length ? 8 : 0);
      expect(e.raw.equals(deflated.length < data.length ? deflated : data), name).toBe(true);
    }
    expect(readdirSync(work).sort()).toEqual(["ahead.zip", "ahead.zip.stat.json", "layer"]);
    // The same zip with every big file streamed by the writer (a Preparer with nowhere to put them).
    const time = zipTimestamp();
    const listing = await walkLayer(dir);
    const streamed = join(work, "streamed.zip");
    const fh = await open(streamed, "w+");
    try {
      await writeZip(fh, new Preparer([listing], 6), { level: 6, dos: time.dos, comment: (digest) => zipComment(6, time.seconds, digest) });
    } finally {
      await fh.close();
    }
    expect(bytesOf(streamed).equals(bytesOf(out))).toBe(true);
    // A big file that grew since the walk is named, and nothing is left.
    appendFileSync(join(dir, "a3.so"), "x");
    const failed = join(work, "failed.zip");
    const fh2 = await open(failed, "w+");
    try {
      const spillPath = join(work, ".failed.zip.spill.tmp");
      const params = { level: 6, dos: time.dos, comment: (digest: string) => zipComment(6, time.seconds, digest), spillPath };
      await expect(writeZip(fh2, new Preparer([listing], 6, spillPath), params)).rejects.toThrow("file changed while zipping: a3.so");
    } finally {
      await fh2.close();
    }
    expect(readdirSync(work).sort()).toEqual(["ahead.zip", "ahead.zip.stat.json", "failed.zip", "layer", "streamed.zip"]);
  });

  it("keeps every file's bytes while batches go round the shared ring (src/zip/ring.ts) many times", async () => {
    // 24 MB in files of 0 bytes to just under 4 MiB (the largest read whole) in a mixed order, so
    // the 4 MiB ring wraps, big batches wait for room, and the workers (2+ cores) fill it while
    // the writer still reads from it: a batch freed too early, or placed over one not written
    // yet, changes some entry's bytes.
    const work = tempDir();
    const dir = join(work, "ring");
    mkdirSync(dir);
    const files = new Map<string, Buffer>();
    const sizes = [0, 0, 3, 900, 40_000, 300_000, 1_500_000, 4_000_000, 2_900_000, 70_000, 0, 260_000, 3_500_000];
    let total = 0;
    for (let i = 0; total < 24_000_000; i++) {
      const size = sizes[i % sizes.length]! + (i % 7) * 1_000;
      const name = `f${String(i).padStart(4, "0")}.py`;
      files.set(name, textOf(Math.min(size, (4 << 20) - 1), i + 1));
      total += size;
    }
    for (const [name, data] of files) writeFileSync(join(dir, name), data);
    const out = join(work, "ring.zip");
    await zipLayer({ dir, output: out, level: 1 });
    expect(unzipTest(out)).toContain("No errors detected");
    const entries = await rawEntries(out);
    let differ = 0;
    for (const [name, data] of files) {
      const e = entries.get(name)!;
      const deflated = zlib.deflateRawSync(data, { level: 1 });
      const expected = deflated.length < data.length ? deflated : data;
      if (!e.raw.equals(expected)) differ++;
    }
    expect(differ).toBe(0);
  });

  it("spills the central directory to a file without a name and reads it back: the bytes of one kept in memory", async () => {
    // 3,000 entries with 100-byte names: ~440 KB of central directory, more than one 256 KiB buffer.
    const work = tempDir();
    const dir = join(work, "long");
    for (let i = 0; i < 3000; i++) {
      const sub = join(dir, `d${i % 30}`);
      mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `${"n".repeat(90)}${String(i).padStart(5, "0")}.py`), `v = ${i}\n`);
    }
    const out = join(work, "long.zip");
    await zipLayer({ dir, output: out });
    // Nothing of the spill file is left beside the zip.
    expect(readdirSync(work).sort()).toEqual(["long", "long.zip", "long.zip.stat.json"]);
    expect(unzipTest(out)).toContain("No errors detected");
    // The same write with the central directory in memory (no spill path, or one that cannot be made).
    const time = zipTimestamp();
    const entries = await walkLayer(dir);
    for (const spillPath of [undefined, join(work, "no-such-folder", "spill")]) {
      const other = join(work, "other.zip");
      const fh = await open(other, "w+");
      try {
        await writeZip(fh, [entries], { level: 6, dos: time.dos, comment: (digest) => zipComment(6, time.seconds, digest), spillPath });
      } finally {
        await fh.close();
      }
      expect(bytesOf(other).equals(bytesOf(out))).toBe(true);
    }
  });

  it("reads files over PIECE_BYTES in pieces: zlib's one-shot bytes, or stored when deflate does not shrink them", async () => {
    // Sizes around the piece size and up to the largest file read by the preparer, text and noise,
    // in an order where a big noise file (stored, read again) comes between deflated ones: a stream
    // left half-way by it, or output that depended on where the pieces are cut, changes the bytes.
    const work = tempDir();
    const dir = join(work, "pieces");
    mkdirSync(dir);
    const files = new Map<string, Buffer>();
    const sizes = [PIECE_BYTES - 1, PIECE_BYTES, PIECE_BYTES + 1, PIECE_BYTES + 70_000, 2 * PIECE_BYTES, 2 * PIECE_BYTES + 1, 4 * PIECE_BYTES - 5];
    sizes.forEach((size, i) => {
      files.set(`t${i}.py`, textOf(size, i + 3));
      files.set(`t${i}r.bin`, randomBytes(size));
      // Noise with a compressible end: deflate runs out of room only near the end, or not at all.
      files.set(`t${i}m.bin`, Buffer.concat([randomBytes(size - 300_000), textOf(300_000, i)]));
    });
    for (const [name, data] of files) writeFileSync(join(dir, name), data);
    for (const level of [1, 6, 9]) {
      const out = join(work, `pieces-${level}.zip`);
      await zipLayer({ dir, output: out, level });
      const entries = await rawEntries(out);
      for (const [name, data] of files) {
        const e = entries.get(name)!;
        const deflated = zlib.deflateRawSync(data, { level });
        const stored = deflated.length >= data.length;
        expect(e.method, `${name} at level ${level}`).toBe(stored ? 0 : 8);
        expect(e.raw.equals(stored ? data : deflated), `${name} at level ${level}`).toBe(true);
      }
    }
  });

  it("notices a file read in pieces that grew or shrank since the walk", async () => {
    const work = tempDir();
    const dir = join(work, "layer");
    mkdirSync(dir);
    const big = PIECE_BYTES * 2 + 5;
    writeFileSync(join(dir, "grew.py"), textOf(big, 1));
    writeFileSync(join(dir, "noise.bin"), randomBytes(big));
    writeFileSync(join(dir, "ok.py"), textOf(big, 2));
    writeFileSync(join(dir, "shrank.py"), textOf(big, 3));
    // One file per Preparer (a walk that leaves out the others): it is taken first, as the writer
    // takes files in entry order.
    const names = ["grew.py", "noise.bin", "ok.py", "shrank.py"];
    const only = new Map<string, Listing>();
    for (const name of names) only.set(name, await walkLayer(dir, { exclude: names.filter((n) => n !== name) }));
    appendFileSync(join(dir, "grew.py"), "x");
    truncateSync(join(dir, "shrank.py"), big - 1);
    const outcome = async (name: string) => {
      const p = new Preparer([only.get(name)!], 6);
      try {
        const t = p.take(0);
        const got = t instanceof Promise ? await t : t;
        return `${got.method}:${got.data.length}`;
      } catch (err) {
        return (err as Error).message;
      } finally {
        await p.close();
      }
    };
    expect(await outcome("grew.py")).toBe("file changed while zipping: grew.py");
    expect(await outcome("shrank.py")).toBe("file changed while zipping: shrank.py");
    expect(await outcome("ok.py")).toMatch(/^8:\d+$/);
    // Stored, so read twice: the second read must give the same bytes as the first.
    expect(await outcome("noise.bin")).toBe(`0:${big}`);
  });

  it("gives every file a fresh stream's bytes though it reuses zlib streams (src/zip/prepare.ts, deflater)", async () => {
    // Files that are prefixes of one text, of every size below and above zlib's 64 KiB window, in an
    // order that puts longer files before shorter ones in and across batches: a stream reused for a
    // shorter file after a longer one has that text's continuation past the shorter file's end,
    // which is where zlib reads past the data and a fresh stream has zeros.
    const work = tempDir();
    const dir = join(work, "prefixes");
    mkdirSync(dir);
    const text = textOf(200_000, 7);
    const files: Record<string, Buffer> = {};
    let x = 99;
    for (let i = 0; i < 400; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const size = i % 10 === 0 ? 65_536 + (x % 120_000) : 50 + (x % 30_000);
      files[`f${String(i).padStart(3, "0")}.py`] = text.subarray(0, size);
    }
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    const out = join(work, "prefixes.zip");
    for (const level of [1, 6, 9]) {
      await zipLayer({ dir, output: out, level });
      const entries = await rawEntries(out);
      let differ = 0;
      for (const [name, data] of Object.entries(files)) {
        const e = entries.get(name)!;
        const deflated = zlib.deflateRawSync(data, { level });
        const want = deflated.length < data.length ? deflated : data;
        if (!e.raw.equals(want) || e.method !== (want === data ? 0 : 8)) differ++;
      }
      expect(differ, `files whose bytes differ from a fresh stream's at level ${level}`).toBe(0);
    }
  });

  it("falls back to a fresh zlib object per file when Node's internals do not behave as the reuse expects", () => {
    // The reuse writes through the stream's native handle, a Node internal: a Node whose handle
    // writes elsewhere, reports differently or is missing must still get zlib's bytes.
    type Handle = { writeSync(...args: unknown[]): void; reset(): void; close(): void };
    type Stream = { _handle?: Handle };
    const tampered = (tamper: (h: Handle) => Partial<Handle> | undefined): typeof zlib =>
      ({
        ...zlib,
        createDeflateRaw: (opts?: zlib.ZlibOptions) => {
          const s = zlib.createDeflateRaw(opts) as unknown as Stream;
          const h = s._handle!;
          const t = tamper(h);
          s._handle = t && { writeSync: t.writeSync ?? ((...a) => h.writeSync(...a)), reset: () => h.reset(), close: () => h.close() };
          return s;
        },
      }) as unknown as typeof zlib;
    const variants: Array<[string, typeof zlib]> = [
      ["as Node has it", zlib],
      ["output one byte off", tampered((h) => ({ writeSync: (...a) => h.writeSync(...a.map((v, i) => (i === 5 ? (v as number) + 1 : v))) }))],
      ["no handle", tampered(() => undefined)],
      // zlib's own way of failing a write: the handle calls back, and the stream is destroyed.
      [
        "a failing write",
        tampered((h) => ({ writeSync: () => (h as unknown as { onerror(m: string, e: number, c: string): void }).onerror("zlib boom", -2, "Z_STREAM_ERROR") })),
      ],
    ];
    for (const [name, z] of variants) {
      const deflate = deflater(z, copyInto);
      for (const n of [500, 5_000, 70_000, 3_000]) {
        const raw = textOf(n, n);
        const dest = Buffer.alloc(n + 10);
        const length = deflate(raw, 6, dest, 10);
        expect(dest.subarray(10, 10 + length).equals(zlib.deflateRawSync(raw, { level: 6 })), `${name}, ${n} bytes`).toBe(true);
      }
      // In pieces: the reused stream's exact bytes, or none (the caller then reads the file whole).
      const raw = textOf(300_000, 5);
      const dest = Buffer.alloc(raw.length);
      const p = deflate.pieces(6, dest, 0, raw.length);
      expect(p === undefined, name).toBe(name !== "as Node has it");
      if (p) {
        expect(p.feed(raw.subarray(0, 100_000)) && p.feed(raw.subarray(100_000))).toBe(true);
        const length = p.finish();
        expect(dest.subarray(0, length).equals(zlib.deflateRawSync(raw, { level: 6 })), name).toBe(true);
      }
      // Through a sink (files over WHOLE_FILE_MAX): the same, or none (the writer streams the file).
      const drained: Buffer[] = [];
      const q = deflate.sink(6, Buffer.alloc(1000 + 64), (chunk) => drained.push(Buffer.from(chunk)));
      expect(q === undefined, name).toBe(name !== "as Node has it");
      if (q) {
        q.feed(raw.subarray(0, 100_000));
        q.feed(raw.subarray(100_000));
        const length = q.finish();
        expect(Buffer.concat(drained).equals(zlib.deflateRawSync(raw, { level: 6 })) && length === Buffer.concat(drained).length, name).toBe(true);
      }
    }
  });

  it("leaves nothing of a file given up half-way in the stream the next file is deflated on", () => {
    // A file in pieces is given up half-way when a read fails, or when deflate runs out of room
    // (noise: its output passes the file's length near the end). Whatever comes next must not see
    // its bytes: a whole file of over 64 KiB, which goes through the same stream, or one in pieces.
    const deflate = deflater(zlib, copyInto);
    const noise = randomBytes(3 * PIECE_BYTES);
    const text = textOf(2 * PIECE_BYTES, 9);
    const want = zlib.deflateRawSync(text, { level: 6 });
    const dest = Buffer.alloc(noise.length);
    deflate.pieces(6, dest, 0, noise.length)!.feed(noise.subarray(0, PIECE_BYTES));
    expect(dest.subarray(0, deflate(text, 6, dest, 0)).equals(want)).toBe(true);
    deflate.pieces(6, dest, 0, text.length)!.feed(text.subarray(0, PIECE_BYTES));
    const p = deflate.pieces(6, dest, 0, text.length)!;
    expect(p.feed(text.subarray(0, PIECE_BYTES)) && p.feed(text.subarray(PIECE_BYTES))).toBe(true);
    expect(dest.subarray(0, p.finish()).equals(want)).toBe(true);
  });

  it("tries deflate on noise-like files too: stored only when deflate does not shrink them, else zlib's exact bytes", async () => {
    // A shortcut that stores noise-like files without trying deflate (a flat byte histogram) would
    // change bytes users' S3 keys are made of: botocore's service-2.json.gz files look like noise
    // yet deflate shrinks 68 of the 436 such files in the bench's data/API layer by 0.01-2.2 %.
    const work = tempDir();
    const dir = join(work, "flat");
    mkdirSync(dir);
    const files: Record<string, Buffer> = {
      "random.so": randomBytes(300_000),
      "text.gz": zlib.gzipSync(textOf(400_000, 5), { level: 9 }),
      "small-random.bin": randomBytes(3_000),
      // Every byte value about equally common, yet LZ77 halves it: a histogram test would store it.
      "long-repeats.bin": Buffer.concat(Array(4).fill(randomBytes(20_480))),
    };
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    const out = join(work, "flat.zip");
    await zipLayer({ dir, output: out, level: 6 });
    unzipTest(out);
    const entries = await rawEntries(out);
    for (const [name, data] of Object.entries(files)) {
      const e = entries.get(name)!;
      const deflated = zlib.deflateRawSync(data, { level: 6 });
      if (deflated.length < data.length) {
        expect(e.method, name).toBe(8);
        expect(e.raw.equals(deflated), name).toBe(true);
      } else {
        expect(e.method, name).toBe(0);
        expect(e.raw.equals(data), name).toBe(true);
      }
    }
    expect(entries.get("long-repeats.bin")!.method).toBe(8);
    expect(entries.get("random.so")!.method).toBe(0);
  });

  it("switches to ZIP64 past 65,535 entries, and still says nothing to do the second time", async () => {
    const work = tempDir();
    const dir = join(work, "many");
    for (let d = 0; d < 256; d++) {
      mkdirSync(join(dir, `d${d}`), { recursive: true });
      for (let f = 0; f < 256; f++) writeFileSync(join(dir, `d${d}`, `f${f}`), d % 2 ? "" : `${d}/${f}`);
    }
    const out = join(work, "many.zip");
    const r = await zipLayer({ dir, output: out });
    expect(r.entries).toBe(256 + 256 * 256);
    const bytes = readFileSync(out);
    const eocd64 = Buffer.from([0x50, 0x4b, 0x06, 0x06]);
    expect(bytes.lastIndexOf(eocd64)).toBeGreaterThan(bytes.length - 300);
    const t = spawnSync("unzip", ["-tq", out], { encoding: "utf8" });
    expect(t.stdout).toContain("No errors detected");
    const info = spawnSync("zipinfo", ["-h", out], { encoding: "utf8" }).stdout;
    expect(info).toContain("number of entries: 65792");
    expect((await zipLayer({ dir, output: out })).status).toBe("unchanged");
  });

  it("writes ZIP64 fields for sizes and offsets past 4 GiB (records checked field by field)", () => {
    // The writer puts central headers into its own buffers; here each gets one of its exact size.
    const centralHeader = (e: EntryRecord, dos: number): Buffer => {
      const b = Buffer.alloc(centralHeaderSize(e));
      expect(writeCentralHeader(b, 0, e, dos)).toBe(b.length);
      return b;
    };
    const name = Buffer.from("big.bin");
    const big = 5 * 2 ** 30;
    const rec = { name, directory: false, mode: 0o644, method: 8, crc: 0x12345678, compressedSize: big - 10, size: big, offset: 2 ** 32 + 7 };
    const local = localHeader(rec, zipTimestamp({}).dos);
    expect(local.readUInt16LE(4)).toBe(45);
    expect(local.readUInt32LE(18)).toBe(0xffffffff);
    expect(local.readUInt32LE(22)).toBe(0xffffffff);
    expect(local.readUInt16LE(28)).toBe(20);
    expect(local.readUInt16LE(30 + name.length)).toBe(1);
    expect(Number(local.readBigUInt64LE(34 + name.length))).toBe(big);
    expect(Number(local.readBigUInt64LE(42 + name.length))).toBe(big - 10);

    const central = centralHeader(rec, zipTimestamp({}).dos);
    expect(central.readUInt16LE(4)).toBe(0x0300 | 45);
    expect(central.readUInt32LE(42)).toBe(0xffffffff);
    expect(central.readUInt16LE(30)).toBe(28);
    expect(Number(central.readBigUInt64LE(50 + name.length))).toBe(big);
    expect(Number(central.readBigUInt64LE(58 + name.length))).toBe(big - 10);
    expect(Number(central.readBigUInt64LE(66 + name.length))).toBe(2 ** 32 + 7);

    const small = centralHeader({ ...rec, size: 10, compressedSize: 5, offset: 100 }, zipTimestamp({}).dos);
    expect(small.readUInt16LE(30)).toBe(0);
    expect(small.readUInt16LE(4)).toBe(0x0300 | 20);

    const end = endRecords(3, 2 ** 32 + 100, 500, Buffer.from("c"));
    expect(end.readUInt32LE(0)).toBe(0x06064b50);
    expect(end.readUInt32LE(56)).toBe(0x07064b50);
    expect(Number(end.readBigUInt64LE(64))).toBe(2 ** 32 + 600);
    expect(end.readUInt32LE(76 + 16)).toBe(0xffffffff);
  });

  it("dates: 1980-01-01 by default, SOURCE_DATE_EPOCH from UTC fields, clamped to the DOS range", () => {
    expect(zipTimestamp({}).dos).toBe(((0 << 9) | (1 << 5) | 1) << 16);
    const t = zipTimestamp({ SOURCE_DATE_EPOCH: "1700000001" }); // 2023-11-14 22:13:21 UTC, odd second
    expect(t.seconds).toBe(1700000000);
    expect(t.dos >>> 16).toBe((43 << 9) | (11 << 5) | 14);
    expect(t.dos & 0xffff).toBe((22 << 11) | (13 << 5) | 10);
    expect(zipTimestamp({ SOURCE_DATE_EPOCH: "0" }).dos).toBe(zipTimestamp({}).dos);
    expect(zipTimestamp({ SOURCE_DATE_EPOCH: "99999999999" }).dos >>> 16).toBe((127 << 9) | (12 << 5) | 31);
  });
});
