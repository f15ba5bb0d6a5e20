// The Node.js side of the import check, an ES module run as `node SCRIPT <node_modules> <result
// file> <skip,list>` from a temp folder whose node_modules links to the layer's, so bare names
// resolve as Lambda resolves them from NODE_PATH. Every top-level package (scoped ones too) is
// require()d; one that only ESM can load (ERR_REQUIRE_ESM, or "exports" without a require
// condition) is import()ed. Packages with no entry point at all (@types/*) are left out.
export const NODE_IMPORT_CHECK = String.raw`
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
const [nodeModules, resultFile, skipArg] = process.argv.slice(2);
const skip = new Set(skipArg.split(",").filter(Boolean));
const require = createRequire(join(process.cwd(), "check.cjs"));
const names = [];
for (const entry of readdirSync(nodeModules).sort()) {
  if (entry.startsWith(".")) continue;
  if (entry.startsWith("@")) for (const sub of readdirSync(join(nodeModules, entry)).sort()) names.push(entry + "/" + sub);
  else names.push(entry);
}
const failures = [];
const skipped = [];
let modules = 0;
for (const name of names) {
  let pkg = {};
  try {
    pkg = JSON.parse(readFileSync(join(nodeModules, name, "package.json"), "utf8"));
  } catch {}
  const hasEntry = pkg.main || pkg.exports || existsSync(join(nodeModules, name, "index.js")) || existsSync(join(nodeModules, name, "index.json"));
  if (!hasEntry) continue;
  if (skip.has(name)) {
    skipped.push(name);
    continue;
  }
  console.error("sam-layer-check: importing " + name + " " + (pkg.version ?? "") + " " + name);
  try {
    try {
      require(name);
    } catch (e) {
      if (!["ERR_REQUIRE_ESM", "ERR_REQUIRE_ASYNC_MODULE", "ERR_PACKAGE_PATH_NOT_EXPORTED"].includes(e?.code)) throw e;
      await import(name);
    }
    modules++;
  } catch (e) {
    const message = String(e?.message ?? e).split("\n")[0];
    failures.push({ dist: name, version: pkg.version ?? "", module: name, error: (e?.name ?? "Error") + ": " + message });
  }
}
writeFileSync(resultFile, JSON.stringify({ node: process.versions.node, machine: process.arch, distributions: names.length, modules, skipped, failures }));
process.exit(0);
`;
