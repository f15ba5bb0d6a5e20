// Which `sam-layer` command the orb's steps run. The default is the helper released together with
// this orb version (the generator stamps it from package.json), so orb N always runs helper N.
import type { ParameterList } from "./sdk-gaps.js";

export function defaultHelperCommand(version: string): string {
  return `npx --yes sam-layer@${version}`;
}

export function defineHelperParameter(list: ParameterList, version: string): void {
  list.define(
    "helper",
    "string",
    defaultHelperCommand(version),
    "The sam-layer command the steps run. Defaults to the helper released with this orb version; " +
      "point it at another command (a bundle in the repository: `node tools/sam-layer.mjs`, a mirror) if needed.",
  );
}
