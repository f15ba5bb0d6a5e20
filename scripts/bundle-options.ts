// How every bundle of the helper is made, shared by the real build and the benchmark's variant.
// ESM, not CJS: yargs 18 calls createRequire(import.meta.url), which is empty in a CJS bundle.
import { createRequire, isBuiltin } from "node:module";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
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
      contents: lazyBuiltinModule(`node:${args.path}`),
      loader: "js",
    }));
  },
};

/**
 * A builtin's exports as getters that load it on first use: importing a module no longer loads the
 * builtins it only needs on some paths (yargs imports `assert`, the build imports `child_process`,
 * which brings net, dgram, streams and readline). The names are the bundling Node's, so a bundle is
 * made with Node >= the oldest it supports (engines).
 */
function lazyBuiltinModule(id: string): string {
  const names = Object.keys(createRequire(import.meta.url)(id) as object).filter((n) => n !== "default");
  const getters = names.map((n) => `${JSON.stringify(n)}: { get: () => load()[${JSON.stringify(n)}], enumerable: true }`);
  return [
    "let m;",
    `const load = () => (m ??= __samLayerRequire(${JSON.stringify(id)}));`,
    `Object.defineProperties(module.exports, { ${getters.join(", ")} });`,
  ].join("\n");
}

const LAZY_PACKAGE = Symbol("lazy-package");

/**
 * string-width (yargs' and cliui's copies) builds Unicode property regexes and an Intl.Segmenter at
 * its top level: ~35 ms at every start, though only help and usage text measure strings. Each
 * import of it gets a stand-in that loads the real module on the first call (esbuild initializes
 * a module reached by `require` only when that `require` runs).
 */
const lazyStringWidth: Plugin = {
  name: "lazy-string-width",
  setup(build) {
    build.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === LAZY_PACKAGE) return undefined;
      const real = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: LAZY_PACKAGE });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: "lazy-string-width" };
    });
    build.onLoad({ filter: /.*/, namespace: "lazy-string-width" }, (args) => ({
      contents: `module.exports = (...a) => require(${JSON.stringify(args.path)}).default(...a);`,
      loader: "js",
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * Four places in yargs changed, each costing every run for nothing this CLI uses. The build fails
 * if yargs no longer has one of them exactly once (so a yargs update is looked at, not silently
 * slower or broken).
 * - `cacheHelpMessage()`: yargs renders the whole help text after every command handler starts, so
 *   that a later `showHelp()` from inside the handler shows the command's help. The CLI never calls
 *   showHelp after parsing (its `fail` prints one line): ~40 ms of string measuring per run.
 * - the factory's default `yargs.version()`: it guesses the version by walking up from the script
 *   for a package.json (a readdir per folder, then reading and parsing it), and the CLI sets its
 *   own `.version(VERSION)` right after, which replaces the guess: ~5 ms per run.
 * - its platform shim takes `notStrictEqual` and `strictEqual` from Node's `assert` when the bundle
 *   is loaded, and loading `assert` costs ~5 ms (Node 24; it brings its diff and error modules).
 *   yargs calls them only as internal sanity checks, so each becomes a function that calls the
 *   real one, loaded then, only when the check fails: the same errors, no load otherwise.
 * - the same shim reads `process.stdout.columns` when the bundle is loaded, which creates
 *   `process.stdout` (for a pipe: a net.Socket, with Node's stream modules) before any command
 *   runs; it becomes a getter, read only when help text is laid out.
 */
const YARGS_EDITS: Array<{ file: RegExp; text: string; by: string }> = [
  {
    file: /[\\/]yargs[\\/]build[\\/]lib[\\/]command\.js$/,
    text: "yargs.getInternalMethods().getUsageInstance().cacheHelpMessage();",
    by: "/* help not rendered after the handler: see scripts/bundle-options.ts */",
  },
  {
    file: /[\\/]yargs[\\/]build[\\/]lib[\\/]yargs-factory\.js$/,
    text: "yargs.version();",
    by: "/* no version guess, the CLI sets .version(VERSION): see scripts/bundle-options.ts */",
  },
  {
    file: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/,
    text: "  assert: {\n    notStrictEqual,\n    strictEqual\n  },",
    by: [
      "  assert: { // assert loaded only when a check fails: see scripts/bundle-options.ts",
      "    notStrictEqual: (a, b, m) => { if (Object.is(a, b)) notStrictEqual(a, b, m) },",
      "    strictEqual: (a, b, m) => { if (!Object.is(a, b)) strictEqual(a, b, m) }",
      "  },",
    ].join("\n"),
  },
  {
    file: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/,
    text: "    stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null",
    by: "    get stdColumns() { return typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null }",
  },
];
const yargsEdits: Plugin = {
  name: "yargs-edits",
  setup(build) {
    // One onLoad per file (esbuild takes the first that matches), applying all of its edits.
    for (const source of new Set(YARGS_EDITS.map((e) => e.file.source))) {
      build.onLoad({ filter: new RegExp(source) }, async (args) => {
        let text = await readFile(args.path, "utf8");
        for (const edit of YARGS_EDITS.filter((e) => e.file.source === source)) {
          if (text.split(edit.text).length !== 2)
            throw new Error(`${args.path}: yargs no longer has \`${edit.text}\` exactly once; review YARGS_EDITS in scripts/bundle-options.ts`);
          text = text.replace(edit.text, edit.by);
        }
        return { contents: text, loader: "js" };
      });
    }
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
  plugins: [lazyBuiltins, lazyStringWidth, yargsEdits],
} satisfies BuildOptions;

/** Lets bundled CommonJS dependencies (and the lazy builtins above) call `require` inside the ESM bundle. */
export const REQUIRE_SHIM = [
  'import { createRequire as __samLayerCreateRequire } from "node:module";',
  "const require = __samLayerCreateRequire(import.meta.url);",
  "const __samLayerRequire = require;",
].join("\n");
