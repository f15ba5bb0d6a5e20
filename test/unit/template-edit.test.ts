// Text edits on templates by source range: what changes is only the edited span.
import { describe, expect, it } from "vitest";
import { isMap, parseDocument, type YAMLMap } from "yaml";
import { applyEdits, pairOf, removePair, replaceScalar } from "../../src/template-build/edit.js";
import { TAGS } from "../../src/plan/template.js";

function mapAt(text: string, path: string[]): YAMLMap {
  const doc = parseDocument(text, { customTags: TAGS });
  const node = doc.getIn(path, true);
  if (!isMap(node)) throw new Error(`no map at ${path.join(".")}`);
  return node;
}

function remove(text: string, path: string[], key: string): string {
  const map = mapAt(text, path);
  return applyEdits(text, [removePair(text, map, pairOf(map, key)!)]);
}

describe("template edits", () => {
  it("removes a block pair with its comment, keeping the lines around it", () => {
    const t = "R:\n  # keep\n  A: 1 # a\n  B: !Ref X\n\n  C: 3";
    expect(remove(t, ["R"], "A")).toBe("R:\n  # keep\n  B: !Ref X\n\n  C: 3");
    expect(remove(t, ["R"], "C")).toBe("R:\n  # keep\n  A: 1 # a\n  B: !Ref X\n\n");
  });

  it("removes a nested block mapping whole", () => {
    const t = "R:\n  M:\n    X: 1\n    Y: 2\n  N: 3\n";
    expect(remove(t, ["R"], "M")).toBe("R:\n  N: 3\n");
  });

  it("removes a pair from a flow mapping or JSON object with one comma", () => {
    expect(remove("M: {A: 1, B: 2}\n", ["M"], "A")).toBe("M: {B: 2}\n");
    expect(remove("M: {A: 1, B: 2}\n", ["M"], "B")).toBe("M: {A: 1}\n");
    expect(remove("M: {A: 1}\n", ["M"], "A")).toBe("M: {}\n");
    const json = '{\n  "M": {\n    "A": "1",\n    "B": "2",\n    "C": "3"\n  }\n}\n';
    expect(remove(json, ["M"], "A")).toBe('{\n  "M": {\n    "B": "2",\n    "C": "3"\n  }\n}\n');
    expect(remove(json, ["M"], "B")).toBe('{\n  "M": {\n    "A": "1",\n    "C": "3"\n  }\n}\n');
    expect(remove(json, ["M"], "C")).toBe('{\n  "M": {\n    "A": "1",\n    "B": "2"\n  }\n}\n');
  });

  it("replaces a scalar in its own style, quoting what a plain scalar cannot hold", () => {
    const t = "A: a/b # c\nB: 'x'\nC: \"y\"\n";
    const doc = parseDocument(t);
    const at = (k: string) => doc.get(k, true) as never;
    expect(applyEdits(t, [replaceScalar(at("A"), "../z.zip"), replaceScalar(at("B"), "p.zip"), replaceScalar(at("C"), "q.zip")])).toBe(
      "A: ../z.zip # c\nB: 'p.zip'\nC: \"q.zip\"\n",
    );
    expect(applyEdits(t, [replaceScalar(at("A"), "a b: c")])).toBe('A: "a b: c" # c\nB: \'x\'\nC: "y"\n');
  });
});
