import type { ManagerName } from "../detect.js";
import type { PythonManager } from "./manager.js";
import { pip } from "./pip.js";
import { pipenv } from "./pipenv.js";
import { poetryManager } from "./poetry.js";
import { uvManager } from "./uv.js";

export function pythonManager(name: Exclude<ManagerName, "npm">): PythonManager {
  return { pip, pipenv, poetry: poetryManager, uv: uvManager }[name];
}
