// A positioned, buffered file writer: few large writes, plus the two moves a zip writer needs
// (patch a header written earlier, rewind over data that turned out not to be worth keeping).
import type { FileHandle } from "node:fs/promises";

const STAGE = 1 << 20;

export class Output {
  private readonly stage = Buffer.allocUnsafe(STAGE);
  private staged = 0;
  /** file offset of stage[0] */
  private flushedTo = 0;
  private end = 0;

  constructor(private readonly fh: FileHandle) {}

  get position(): number {
    return this.flushedTo + this.staged;
  }

  async append(data: Buffer): Promise<void> {
    if (this.staged + data.length > STAGE) await this.flush();
    if (data.length >= STAGE) {
      await this.writeFully(data, this.flushedTo);
      this.flushedTo += data.length;
    } else {
      data.copy(this.stage, this.staged);
      this.staged += data.length;
    }
  }

  async flush(): Promise<void> {
    if (this.staged === 0) return;
    await this.writeFully(this.stage.subarray(0, this.staged), this.flushedTo);
    this.flushedTo += this.staged;
    this.staged = 0;
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

  /** Flushes, cuts anything past the position (left by a rewind), and syncs to disk. */
  async finish(): Promise<number> {
    await this.flush();
    if (this.end > this.flushedTo) await this.fh.truncate(this.flushedTo);
    await this.fh.sync();
    return this.flushedTo;
  }

  private async writeFully(data: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
    this.end = Math.max(this.end, position + data.length);
  }
}
