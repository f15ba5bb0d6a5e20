// Which tools a build will run, so CI installs them only when they are needed
// (`sam-layer build --needed-tools`, read by the orb's install-pkg-tool.sh). A build that reuses a
// restored layer runs none: the lock check reads the files itself (lock-current.ts). An install
// runs the package manager (its export) and the Python installer (uv, unless --installer pip).
import type { ManagerName } from "./detect.js";
import type { Installer } from "./install.js";
import type { LockVerdict } from "./lock-current.js";

/** Tools that exist as their manager's name; pip and npm come with the image. */
const MANAGER_TOOLS: ReadonlySet<ManagerName> = new Set(["pipenv", "poetry", "uv"]);

export function neededTools(manager: ManagerName, restored: boolean, lock: LockVerdict, installer: Installer): string[] {
  const tools: string[] = [];
  const tool = MANAGER_TOOLS.has(manager) ? [manager] : [];
  // pip comes with the image too
  if (!restored) tools.push(...tool, ...(manager !== "npm" && installer === "uv" ? ["uv"] : []));
  else if (lock === "undecided") tools.push(...tool);
  return [...new Set(tools)];
}
