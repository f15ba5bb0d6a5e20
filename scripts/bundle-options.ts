// How every bundle of the helper is made, shared by the real build and the benchmark's variant.
// ESM, not CJS: yargs 18 calls createRequire(import.meta.url), which is empty in a CJS bundle.
import { isBuiltin } from "node:module";
import type { BuildOptions, Plugin } from "esbuild";

/**
 * Node's own modules, loaded when first used instead of at start-up. An ESM bundle hoists every
 * `import ... from "node:x"` of every module in it to the top, so `sam-layer zip` with nothing to do
 * used to load child_process, worker_threads, zlib, assert, fs/promises, vm and v8 (with net, dgram,
 * streams, readline...) before parsing its arguments: ~20 ms of CPU on a ~0.2 s floor. Each builtin
 * becomes a tiny CommonJS module that requires it; esbuild initializes such a module only when a
 * module that imports it is initialized, and modules behind `await import()` are initialized only
 * when that import runs.
 */
const lazyBuiltins: Plugin = {
  name: "lazy-builtins",
  setup(build) {
    build.onResolve({ filter: /^[a-z0-9_:/]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      return { path: args.path.replace(/^node:/, ""), namespace: "lazy-builtin" };
    });
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      contents: `module.exports = __samLayerRequire(${JSON.stringify(`node:${args.path}`)});`,
      loader: "js",
    }));
  },
};

export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
  plugins: [lazyBuiltins],
} satisfies BuildOptions;

/** Lets bundled CommonJS dependencies (and the lazy builtins above) call `require` inside the ESM bundle. */
export const REQUIRE_SHIM = [
  'import { createRequire as __samLayerCreateRequire } from "node:module";',
  "const require = __samLayerCreateRequire(import.meta.url);",
  "const __samLayerRequire = require;",
].join("\n");
