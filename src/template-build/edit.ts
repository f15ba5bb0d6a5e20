// Edits a template's text in place, by the source ranges the YAML parser gives each node, so every
// byte outside the edited spans stays the user's: comments, quoting, short-form tags, blank lines,
// indentation, key order. (Re-serializing the parsed document would normalize all of those.) JSON
// templates are YAML flow collections to the parser, so the same edits work on them.
import { isMap, isScalar, type Node, type Pair, type YAMLMap } from "yaml";

export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits (any order). */
export function applyEdits(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let out = text;
  let limit = Number.POSITIVE_INFINITY;
  for (const e of sorted) {
    if (e.end > limit) throw new Error(`overlapping template edits at ${e.start}-${e.end}`);
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    limit = e.start;
  }
  return out;
}

/** A plain YAML scalar that reads back as the same string (a relative path of ordinary characters). */
const PLAIN_SAFE = /^[A-Za-z0-9_.][A-Za-z0-9_./-]*$/;

/** Replaces a scalar's value with a string, in the scalar's own style where that is safe. */
export function replaceScalar(node: Node, value: string): Edit {
  if (!isScalar(node) || !node.range) throw new Error("replaceScalar: not a scalar with a source range");
  const plain = node.type === "PLAIN" && PLAIN_SAFE.test(value);
  const quoted = node.type === "QUOTE_SINGLE" && !value.includes("'") ? `'${value}'` : JSON.stringify(value);
  return { start: node.range[0], end: node.range[1], text: plain ? value : quoted };
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf("\n", at - 1) + 1;
}

/**
 * Removes one key: value pair from a mapping. In a block mapping the pair's whole lines go (its
 * trailing comment with them); in a flow mapping (JSON included) the pair and one comma next to it.
 */
export function removePair(text: string, map: YAMLMap, pair: Pair): Edit {
  const key = pair.key as Node | null;
  const value = pair.value as Node | null;
  if (!key?.range) throw new Error("removePair: key without a source range");
  const valueEnd = value?.range ?? key.range;
  if (!map.flow) {
    const start = lineStart(text, key.range[0]);
    let end = valueEnd[2];
    if (end > 0 && text[end - 1] !== "\n") {
      const nl = text.indexOf("\n", end);
      end = nl < 0 ? text.length : nl + 1;
    }
    return { start, end, text: "" };
  }
  const start = key.range[0];
  const end = valueEnd[1];
  let after = end;
  while (after < text.length && /\s/.test(text[after]!)) after++;
  if (text[after] === ",") {
    after++;
    while (after < text.length && /\s/.test(text[after]!)) after++;
    return { start, end: after, text: "" };
  }
  // the last pair: take the comma before it (back to the end of the previous value)
  let before = start;
  while (before > 0 && /\s/.test(text[before - 1]!)) before--;
  if (text[before - 1] === ",") return { start: before - 1, end, text: "" };
  return { start, end, text: "" };
}

/** The pair of `key` in a mapping node, if it is there. */
export function pairOf(map: unknown, key: string): Pair | undefined {
  if (!isMap(map)) return undefined;
  return map.items.find((p) => isScalar(p.key) && p.key.value === key);
}
