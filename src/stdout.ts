// A command's result on stdout, without creating process.stdout: for a pipe (how CI runs the
// helper) that stream is a net.Socket and loads Node's net and stream modules, ~3 ms of a ~0.2 s
// "nothing to do" run. The write is synchronous, as process.stdout's is for pipes and files.
import { fstatSync, writeSync } from "node:fs";

export function writeOut(text: string): void {
  let buf = Buffer.from(text, "utf8");
  try {
    while (buf.length > 0) buf = buf.subarray(writeSync(1, buf));
  } catch (err) {
    // A non-blocking stdout (left so by a parent) can refuse a write for now: let Node's stream
    // queue the rest.
    if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    process.stdout.write(buf);
  }
}

/**
 * The terminal's width for help text, at most `max`. Pipes and files have no columns, so
 * process.stdout (and what it loads) is created only when stdout is a terminal (or /dev/null).
 */
export function terminalWidth(max: number): number {
  try {
    if (!fstatSync(1).isCharacterDevice()) return max;
  } catch {
    return max;
  }
  return Math.min(max, process.stdout.columns || max);
}
