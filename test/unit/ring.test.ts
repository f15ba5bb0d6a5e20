import { describe, expect, it } from "vitest";
import { Ring } from "../../src/zip/ring.js";

// The Preparer's ring (src/zip/ring.ts): batches taken and freed in order must never share a byte,
// whatever their sizes, empty batches included. A model of who holds each byte checks every take.
describe("Ring", () => {
  it("never hands out a byte that an unfreed batch holds, and always has room when empty", () => {
    const size = 64;
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const ring = new Ring(size);
      const owner = new Int32Array(size).fill(-1);
      const live: Array<{ id: number; at: number; bytes: number }> = [];
      let id = 0;
      for (let step = 0; step < 300; step++) {
        if (live.length > 0 && rand(3) === 0) {
          const b = live.shift()!;
          owner.fill(-1, b.at, b.at + b.bytes);
          ring.free();
          continue;
        }
        // Empty batches (only empty files) are common enough to be one in five here.
        const bytes = rand(5) === 0 ? 0 : 1 + rand(size);
        const at = ring.take(bytes);
        if (live.length === 0) expect(at, "an empty ring takes any batch").toBe(0);
        if (at < 0) continue;
        expect(at + bytes).toBeLessThanOrEqual(size);
        for (let k = at; k < at + bytes; k++) expect(owner[k], `byte ${k} of batch ${id}`).toBe(-1);
        owner.fill(id, at, at + bytes);
        live.push({ id: id++, at, bytes });
      }
    }
  });

  it("wraps to the start when the end is too short, and waits when neither fits", () => {
    const ring = new Ring(10);
    expect(ring.take(4)).toBe(0);
    expect(ring.take(4)).toBe(4);
    expect(ring.take(3)).toBe(-1);
    ring.free();
    expect(ring.take(3)).toBe(0);
    expect(ring.take(0)).toBe(3);
    // Between the newest (ends at 3) and the oldest (starts at 4): one byte.
    expect(ring.take(2)).toBe(-1);
    expect(ring.take(1)).toBe(3);
    expect(() => ring.take(11)).toThrow(/internal/);
  });
});
