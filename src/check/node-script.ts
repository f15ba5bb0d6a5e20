// The Node.js side of the import check, an ES module run as `node SCRIPT <node_modules> <result
// file> <skip,list>` from a temp folder whose node_modules links to the layer's, so bare names
// resolve as Lambda resolves them from NODE_PATH. Every top-level package (scoped ones too) is
// require()d; one that only ESM can load (ERR_REQUIRE_ESM, or "exports" without a require
// condition) is import()ed. Packages with no entry point at all (@types/*) are left out. A package
// whose "exports" names only subpaths (@aws-sdk/nested-clients: "./sts", "./sso", ...) has no root
// to load: each subpath without a wildcard is loaded instead, as its users load it.
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
  const exp = pkg.exports;
  const keys = exp && typeof exp === "object" && !Array.isArray(exp) ? Object.keys(exp) : [];
  const subpathsOnly = keys.length > 0 && keys.every((k) => k.startsWith("./"));
  const targets = subpathsOnly ? keys.filter((k) => !k.includes("*") && !k.endsWith(".json")).map((k) => name + k.slice(1)) : [name];
  if (targets.length === 0) continue;
  if (skip.has(name)) {
    skipped.push(name);
    continue;
  }
  for (const target of targets) {
    console.error("sam-layer-check: importing " + name + " " + (pkg.version ?? "") + " " + target);
    try {
      try {
        require(target);
      } catch (e) {
        if (!["ERR_REQUIRE_ESM", "ERR_REQUIRE_ASYNC_MODULE", "ERR_PACKAGE_PATH_NOT_EXPORTED"].includes(e?.code)) throw e;
        await import(target);
      }
      modules++;
    } catch (e) {
      const message = String(e?.message ?? e).split("\n")[0];
      failures.push({ dist: name, version: pkg.version ?? "", module: target, error: (e?.name ?? "Error") + ": " + message });
    }
  }
}
writeFileSync(resultFile, JSON.stringify({ node: process.versions.node, machine: process.arch, distributions: names.length, modules, skipped, failures }));
process.exit(0);
`;
