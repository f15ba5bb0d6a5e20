// Bundles the CLI into one ESM file with no runtime dependencies.
// ESM, not CJS: yargs 18 calls createRequire(import.meta.url), which is empty in a CJS bundle.
import { build } from "esbuild";
import { chmod, readFile } from "node:fs/promises";

const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
const outfile = "dist/sam-layer.mjs";

await build({
  entryPoints: ["src/cli.ts"],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  legalComments: "none",
  define: { __SAM_LAYER_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: [
      "#!/usr/bin/env node",
      'import { createRequire as __samLayerCreateRequire } from "node:module";',
      "const require = __samLayerCreateRequire(import.meta.url);",
    ].join("\n"),
  },
});
await chmod(outfile, 0o755);
console.log(`built ${outfile} (sam-layer ${pkg.version})`);
