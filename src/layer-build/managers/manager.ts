// What build needs from a Python package manager: is the lockfile current with its manifest, and
// the locked packages as a pip requirements file (with hashes when the lockfile has them).
import type { ManagerName } from "../detect.js";

export interface LockContext {
  /** absolute */
  lockfile: string;
  /** where the manifest is; the tool runs here */
  projectDir: string;
  /** the lockfile as the user named it, for messages */
  shown: string;
}

export interface PythonManager {
  name: Exclude<ManagerName, "npm">;
  /** fails with a one-line error naming the lockfile when it is out of date with its manifest */
  checkLock(ctx: LockContext): Promise<void>;
  /** the locked default (non-dev) packages as requirements.txt text */
  exportRequirements(ctx: LockContext): Promise<string>;
}
