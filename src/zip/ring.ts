// Where prepared files wait for the zip writer: one buffer shared by every thread, used first in,
// first out, and the copy into and out of it.

/**
 * The buffer the Preparer's batches are prepared into (prepare.ts), by a worker or by the main
 * thread, and the writer reads their data from: no buffer per batch. Per-batch buffers, allocated
 * by the threads that filled them and freed by the main thread's collections, left glibc holding
 * 10-14 MB more than the read-ahead at the end of a cold zip of the data/API layer
 * (MALLOC_MMAP_THRESHOLD_=65536, which gives every freed buffer back at once, showed the same
 * drop). Batches are handed out and written in entry order, so the ring is first in, first out: a
 * batch takes the space after the newest one, or from the start when the end is too short, and
 * frees it once written.
 */
export class Ring {
  readonly buffer: SharedArrayBuffer;
  /** each batch in the ring, oldest first; `lap` counts the times the ring started over from 0 */
  private readonly held: Array<{ at: number; bytes: number; lap: number }> = [];

  constructor(private readonly size: number) {
    this.buffer = new SharedArrayBuffer(size);
  }

  /** Where a batch of `bytes` goes, or -1 when there is no room until older batches are freed. */
  take(bytes: number): number {
    if (bytes > this.size) throw new Error(`internal: a batch of ${bytes} bytes in a ring of ${this.size}`);
    const first = this.held[0];
    const last = this.held[this.held.length - 1];
    let at = 0;
    let lap = 0;
    if (first && last) {
      const end = last.at + last.bytes;
      lap = last.lap;
      // Newest and oldest on the same lap: after the newest, else from the start up to the oldest.
      // On different laps (wrapped), only between the newest and the oldest.
      if (last.lap === first.lap && end + bytes <= this.size) at = end;
      else if (last.lap === first.lap && bytes <= first.at) lap++;
      else if (last.lap !== first.lap && end + bytes <= first.at) at = end;
      else return -1;
    }
    this.held.push({ at, bytes, lap });
    return at;
  }

  /** Frees the oldest batch. */
  free(): void {
    this.held.shift();
  }
}

/**
 * Copies `src` into dest at `at`, where one of them is in the ring (a SharedArrayBuffer). V8
 * copies to or from one (Buffer#copy, TypedArray#set) with relaxed atomics, a byte at a time
 * unless source and target are equally aligned: 20 times slower than memcpy, 1.2-1.5 % of a cold
 * zip's CPU in perf. Buffer#fill with a buffer as long as the range is one memcpy in Node's C++;
 * it costs more per call, so small copies still take Buffer#copy. Self-contained: it is part of
 * the worker's source too.
 */
export function copyInto(dest: Buffer, at: number, src: Buffer): void {
  if (src.length >= 1024) dest.fill(src, at, at + src.length);
  else src.copy(dest, at);
}
