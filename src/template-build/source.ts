// What a rewritten copy records about the templates it was written from: its first line (YAML
// copies) names the source template and a digest of it and its local nested templates, so a deploy
// can tell a copy written from the templates as they are now from a stale one.
import { createHash } from "node:crypto";
import { dirname, relative, sep } from "node:path";
import { allTemplates, type TemplateTree } from "./find.js";

/**
 * A digest of the root template and every local nested template (each named by its path from the
 * root's folder, so the same checkout anywhere gives the same digest).
 */
export function sourceDigest(tree: TemplateTree): string {
  const root = dirname(tree.file.path);
  const h = createHash("sha256");
  h.update("sam-layer-template-source/1\n");
  for (const t of allTemplates(tree)) {
    const text = Buffer.from(t.file.text, "utf8");
    h.update(`${relative(root, t.file.path).split(sep).join("/")}\n${text.length}\n`);
    h.update(text);
  }
  return h.digest("hex");
}

const HEADER = /^# Written by `sam-layer build --template` from (.+) \(source sha256 ([0-9a-f]{64})\)\./;

/** A JSON template cannot hold a comment: its copy stays plain JSON, with no header. */
export function isJson(text: string): boolean {
  return text.trimStart().startsWith("{");
}

/** The copy's first line (YAML only): which template it was written from and that template tree's digest. */
export function sourceHeader(copyPath: string, tree: TemplateTree): string {
  const source = relative(dirname(copyPath), tree.file.path).split(sep).join("/");
  return `# Written by \`sam-layer build --template\` from ${source} (source sha256 ${sourceDigest(tree)}). Rewritten on every build; do not edit.\n`;
}

export function readHeader(text: string): { source: string; digest: string } | undefined {
  const m = HEADER.exec(text.replace(/^\uFEFF/, ""));
  return m ? { source: m[1]!, digest: m[2]! } : undefined;
}
