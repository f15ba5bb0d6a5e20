// A positioned, buffered file writer: few large writes, plus the two moves a zip writer needs
// (patch a header written earlier, rewind over data that turned out not to be worth keeping).
// It also hashes the file as it goes (MD5 and SHA-256, the names AWS gives a zip), so the zip
// is not read again at the end.
import { createHash, type Hash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { copyInto } from "./ring.js";

const STAGE = 1 << 20;
/**
 * Written bytes between two background syncs. The final sync (the zip must be on disk before the
 * rename) then finds little left to write, instead of the whole zip at the end: ~130 ms of a cold
 * 65 MB zip's wall time moved to the I/O threads while deflating goes on.
 */
const SYNC_EVERY = 16 << 20;

export class Output {
  private readonly stage = Buffer.allocUnsafe(STAGE);
  private staged = 0;
  /** file offset of stage[0] */
  private flushedTo = 0;
  private end = 0;
  private readonly md5: Hash = createHash("md5");
  private readonly sha256: Hash = createHash("sha256");
  /** bytes before this offset are final and hashed */
  private hashedTo = 0;
  /** bytes from this offset on may still be patched or rewound: not hashed yet */
  private heldAt: number | null = null;
  private syncedTo = 0;
  private syncing: Promise<void> | null = null;
  private syncFailed: unknown = null;
  /** for reading held bytes back: one for the whole zip, not one per held file left to the allocator */
  private readBack?: Buffer;

  constructor(private readonly fh: FileHandle) {}

  get position(): number {
    return this.flushedTo + this.staged;
  }

  /**
   * Copies `data` in. Returns a promise only when the stage had to be written out first, so the
   * writer's loop, which appends two or three times per entry, awaits only then.
   */
  append(data: Buffer): Promise<void> | undefined {
    if (this.staged + data.length > STAGE || data.length >= STAGE) return this.appendWritingOut(data);
    copyInto(this.stage, this.staged, data);
    this.staged += data.length;
    return undefined;
  }

  private async appendWritingOut(data: Buffer): Promise<void> {
    if (this.staged + data.length > STAGE) await this.flush();
    if (data.length >= STAGE) {
      await this.writeFully(data, this.flushedTo);
      this.hashFlushed(data, this.flushedTo);
      this.flushedTo += data.length;
    } else {
      copyInto(this.stage, this.staged, data);
      this.staged += data.length;
    }
  }

  async flush(): Promise<void> {
    if (this.staged === 0) return;
    const data = this.stage.subarray(0, this.staged);
    await this.writeFully(data, this.flushedTo);
    this.hashFlushed(data, this.flushedTo);
    this.flushedTo += this.staged;
    this.staged = 0;
    this.syncInBackground();
  }

  private syncInBackground(): void {
    if (this.syncing || this.flushedTo - this.syncedTo < SYNC_EVERY) return;
    const upTo = this.flushedTo;
    this.syncing = this.fh.datasync().then(
      () => {
        this.syncedTo = upTo;
        this.syncing = null;
      },
      (err: unknown) => {
        this.syncFailed ??= err;
        this.syncing = null;
      },
    );
  }

  /** From the current position on, bytes may be patched or rewound until release(). */
  hold(): void {
    this.heldAt = this.position;
  }

  /** The held bytes are final: hash what was already written past the hold point. */
  async release(): Promise<void> {
    this.heldAt = null;
    this.readBack ??= Buffer.allocUnsafe(256 << 10);
    const buf = this.readBack;
    while (this.hashedTo < this.flushedTo) {
      const want = Math.min(buf.length, this.flushedTo - this.hashedTo);
      const { bytesRead } = await this.fh.read(buf, 0, want, this.hashedTo);
      if (bytesRead === 0) throw new Error("output file shrank while writing");
      this.hashUpdate(buf.subarray(0, bytesRead));
    }
  }

  private hashFlushed(data: Buffer, at: number): void {
    if (at !== this.hashedTo) return;
    const limit = this.heldAt === null ? data.length : Math.max(0, Math.min(data.length, this.heldAt - at));
    if (limit > 0) this.hashUpdate(data.subarray(0, limit));
  }

  private hashUpdate(data: Buffer): void {
    this.md5.update(data);
    this.sha256.update(data);
    this.hashedTo += data.length;
  }

  /** Overwrites bytes at `offset` (before the current position) without moving it. */
  async patch(offset: number, data: Buffer): Promise<void> {
    const inFile = Math.max(0, Math.min(data.length, this.flushedTo - offset));
    if (inFile > 0) await this.writeFully(data.subarray(0, inFile), offset);
    if (inFile < data.length) data.copy(this.stage, offset + inFile - this.flushedTo, inFile);
  }

  /** Moves the position back to `offset`; later appends overwrite, finish() truncates the rest. */
  rewind(offset: number): void {
    if (offset >= this.flushedTo) {
      this.staged = offset - this.flushedTo;
    } else {
      this.staged = 0;
      this.flushedTo = offset;
    }
  }

  /**
   * Flushes, cuts anything past the position (left by a rewind) and waits for the background
   * syncs. The last sync is the caller's (replaceAtomically, before its rename).
   */
  async finish(): Promise<{ bytes: number; md5: string; sha256: string }> {
    await this.flush();
    if (this.heldAt !== null || this.hashedTo !== this.flushedTo) throw new Error("internal: output finished while held");
    if (this.end > this.flushedTo) await this.fh.truncate(this.flushedTo);
    await this.syncing;
    if (this.syncFailed) throw this.syncFailed;
    return { bytes: this.flushedTo, md5: this.md5.digest("hex"), sha256: this.sha256.digest("base64") };
  }

  private async writeFully(data: Buffer, position: number): Promise<void> {
    await writeAll(this.fh, data, position);
    this.end = Math.max(this.end, position + data.length);
  }
}

/** Writes all of `data` at `position`: a write may take less than it was given. */
export async function writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
