// How every bundle of the helper is made, shared by the real build and the benchmark's variant.
// ESM, not CJS: yargs 18 calls createRequire(import.meta.url), which is empty in a CJS bundle.
import type { BuildOptions } from "esbuild";

export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
} satisfies BuildOptions;

/** Lets bundled CommonJS dependencies call `require` inside the ESM bundle. */
export const REQUIRE_SHIM = [
  'import { createRequire as __samLayerCreateRequire } from "node:module";',
  "const require = __samLayerCreateRequire(import.meta.url);",
].join("\n");
