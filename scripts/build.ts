// Bundles the CLI into one ESM file with no runtime dependencies.
import { build } from "esbuild";
import { BUNDLE_OPTIONS, REQUIRE_SHIM } from "./bundle-options.js";
import { chmod, readFile, writeFile } from "node:fs/promises";

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

/**
 * The package's command (package.json "bin"): Node's on-disk compile cache on, then the bundle.
 * The cache stores V8's compiled code of the bundle (in the OS temp folder, or NODE_COMPILE_CACHE;
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off), so a second run in the same job skips the ~30 ms
 * compile (Node >= 22.8; older Nodes have no enableCompileCache and run the same, uncached). It must
 * be on before the bundle is compiled, hence a file of its own; the bundle alone still works anywhere.
 */
const launcher = "dist/bin.mjs";
await writeFile(
  launcher,
  [
    "#!/usr/bin/env node",
    "// sam-layer's command: Node's compile cache on (Node >= 22.8), then the bundle next to this file.",
    'import module from "node:module";',
    "module.enableCompileCache?.();",
    'await import("./sam-layer.mjs");',
    "",
  ].join("\n"),
);
await chmod(launcher, 0o755);
console.log(`built ${outfile} and ${launcher} (sam-layer ${pkg.version})`);
