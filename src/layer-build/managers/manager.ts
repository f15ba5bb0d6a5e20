// What build needs from a Python package manager: is the lockfile current with its manifest, and
// the locked packages as a pip requirements file (with hashes when the lockfile has them).
import type { ManagerName } from "../detect.js";
import type { LockVerdict } from "../lock-current.js";

export interface LockContext {
  /** absolute */
  lockfile: string;
  /** where the manifest is; the tool runs here */
  projectDir: string;
  /** the lockfile as the user named it, for messages */
  shown: string;
  /** optional-dependency groups to include (poetry --extras, uv --extra) */
  extras?: string[];
}

export interface PythonManager {
  name: Exclude<ManagerName, "npm">;
  /**
   * Is the lockfile current with its manifest, from the two files alone (no tool, so a restored
   * layer needs none): throws a one-line error naming the lockfile and the command that re-locks
   * when it is not; "undecided" when only the tool can tell.
   */
  lockCurrent(ctx: LockContext): Promise<LockVerdict>;
  /** The tool's own check, for a manager whose lockCurrent can be undecided: run then, and on every install. */
  checkLockWithTool?(ctx: LockContext): Promise<void>;
  /** the locked default (non-dev) packages as requirements.txt text */
  exportRequirements(ctx: LockContext): Promise<string>;
}
