// Bundles the CLI into one ESM file with no runtime dependencies.
import { build } from "esbuild";
import { BUNDLE_OPTIONS, REQUIRE_SHIM } from "./bundle-options.js";
import { chmod, readFile } from "node:fs/promises";

const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
const outfile = "dist/sam-layer.mjs";

await build({
  entryPoints: ["src/cli.ts"],
  outfile,
  ...BUNDLE_OPTIONS,
  define: { __SAM_LAYER_VERSION__: JSON.stringify(pkg.version) },
  banner: { js: `#!/usr/bin/env node\n${REQUIRE_SHIM}` },
});
await chmod(outfile, 0o755);
console.log(`built ${outfile} (sam-layer ${pkg.version})`);
