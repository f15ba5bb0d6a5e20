// CloudFormation templates in and out: YAML with the short-form intrinsic tags (!Ref, !Sub,
// !GetAtt...) or JSON, read into the long form ({"Ref": x}, {"Fn::Sub": x}) so YAML and JSON
// templates compare alike, and written back with the short tags.
import { readFile } from "node:fs/promises";
import { Document, isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, visit, type Node, type Tags } from "yaml";
import { UserError } from "../errors.js";
import { fsFailure } from "../layer/fs-error.js";

export type Template = Record<string, unknown>;

/** Short tag name -> long-form key. `Ref` and `Condition` keep their names; the rest are Fn::. */
const INTRINSICS = [
  "Ref",
  "Condition",
  "And",
  "Base64",
  "Cidr",
  "Equals",
  "FindInMap",
  "ForEach",
  "GetAtt",
  "GetAZs",
  "If",
  "ImportValue",
  "Join",
  "Length",
  "Not",
  "Or",
  "Select",
  "Split",
  "Sub",
  "ToJsonString",
  "Transform",
];

function longName(short: string): string {
  return short === "Ref" || short === "Condition" ? short : `Fn::${short}`;
}

/** The short tag name of a long-form intrinsic key ("Fn::Sub" -> "Sub"), if it is one. */
function shortName(key: string | undefined): string | undefined {
  const short = key === "Ref" || key === "Condition" ? key : key?.startsWith("Fn::") ? key.slice(4) : undefined;
  return short !== undefined && INTRINSICS.includes(short) ? short : undefined;
}

// Identity resolvers: the node keeps its tag, and toValue() below turns it into the long form.
export const TAGS: Tags = INTRINSICS.flatMap((name) => [
  { tag: `!${name}`, resolve: (s: string) => s },
  { tag: `!${name}`, collection: "seq" as const, resolve: (n: unknown) => n },
  { tag: `!${name}`, collection: "map" as const, resolve: (n: unknown) => n },
]);

export function parseTemplate(text: string, shown: string): Template {
  let value: unknown;
  if (/^\s*[{[]/.test(text)) {
    try {
      value = JSON.parse(text);
    } catch {
      // not JSON after all: a YAML flow mapping; the YAML parser says what is wrong
    }
  }
  if (value === undefined) {
    const doc = parseDocument(text, { customTags: TAGS, uniqueKeys: false });
    const error = doc.errors[0];
    if (error) throw new UserError(`cannot parse ${shown}: ${error.message.split("\n")[0]}`);
    value = toValue(doc.contents, doc);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new UserError(`${shown} is not a template (no mapping at the top)`);
  return value as Template;
}

export async function readTemplate(path: string, shown = path): Promise<Template> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw fsFailure("cannot read", shown, err);
  }
  if (text.trim() === "") throw new UserError(`${shown} is empty`);
  return parseTemplate(text, shown);
}

function toValue(node: unknown, doc: Document): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return toValue(node.resolve(doc), doc);
  let value: unknown;
  if (isMap(node)) {
    const obj: Record<string, unknown> = {};
    for (const pair of node.items) obj[String(toValue(pair.key, doc))] = toValue(pair.value, doc);
    value = obj;
  } else if (isSeq(node)) {
    value = node.items.map((item) => toValue(item, doc));
  } else if (isScalar(node)) {
    value = node.value;
  } else {
    return node;
  }
  const tag = (node as Node).tag;
  const short = tag?.startsWith("!") ? tag.slice(1) : undefined;
  if (short === undefined || !INTRINSICS.includes(short)) return value;
  // !GetAtt Resource.Attribute is the short form of ["Resource", "Attribute"] (the attribute may hold dots)
  if (short === "GetAtt" && typeof value === "string") {
    const dot = value.indexOf(".");
    value = dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
  }
  return { [longName(short)]: value };
}

/** The intrinsic a one-key object stands for, if any: ["Sub", argument]. */
export function intrinsic(value: unknown): [string, unknown] | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const key = keys[0]!;
  const short = shortName(key);
  return short === undefined ? undefined : [short, (value as Record<string, unknown>)[key]];
}

/** YAML with the short tags, as people write templates. */
export function stringifyTemplate(template: Template): string {
  // YAML 1.1 rules for quoting: CloudFormation reads 2010-09-09 or `yes` unquoted as a date or a boolean.
  const doc = new Document(template, { customTags: TAGS, version: "1.1" });
  visit(doc, {
    Map(_, map) {
      if (map.tag || map.items.length !== 1) return undefined;
      const pair = map.items[0]!;
      const short = shortName(isScalar(pair.key) ? String(pair.key.value) : undefined);
      if (short === undefined) return undefined;
      let inner = pair.value as Node;
      if (short === "GetAtt" && isSeq(inner) && inner.items.length === 2 && inner.items.every((i) => isScalar(i) && typeof i.value === "string")) {
        inner = new Scalar(inner.items.map((i) => (i as Scalar).value).join("."));
      }
      if (isScalar(inner) && inner.value === "") inner.type = "QUOTE_DOUBLE";
      inner.tag = `!${short}`;
      return inner;
    },
  });
  return doc.toString({ lineWidth: 0 });
}
