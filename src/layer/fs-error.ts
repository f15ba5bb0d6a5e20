// Turns a Node fs error into a one-line message that names the file the user must look at.
import { UserError } from "../errors.js";

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or folder",
  ENOTDIR: "not a folder",
  EISDIR: "is a folder",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large for this file system or ulimit",
  EROFS: "read-only file system",
  EIO: "input/output error",
  ELOOP: "too many levels of symbolic links",
  EMFILE: "too many open files",
};

export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === "string") return REASONS[e.code] ?? e.code;
  return err instanceof Error ? err.message.split("\n")[0]! : String(err);
}

/** Wraps an fs failure as `<verb> <file>: <reason>`; UserErrors pass through untouched. */
export function fsFailure(verb: string, file: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  return new UserError(`${verb} ${file}: ${fsReason(err)}`);
}
