// Python's `json.dumps(value, sort_keys=True[, separators=...])`, byte for byte, for values parsed
// from TOML by smol-toml with `integersAsBigInt: true`. pipenv and poetry record a SHA-256 of
// exactly this text in their lockfiles, so matching it lets the build check a lock without them.
import { UserError } from "../errors.js";

export interface PyJsonOptions {
  /** json.dumps' `separators`: pipenv passes (",", ":"), poetry keeps the default (", ", ": ") */
  item: string;
  key: string;
}

export const PY_DEFAULT_SEPARATORS: PyJsonOptions = { item: ", ", key: ": " };
export const PY_COMPACT_SEPARATORS: PyJsonOptions = { item: ",", key: ":" };

/** `file` names the source in the error for a value JSON cannot hold (TOML dates: Python fails too). */
export function pyJsonDumps(value: unknown, sep: PyJsonOptions, file: string): string {
  const out: string[] = [];
  const write = (v: unknown): void => {
    if (v === null) out.push("null");
    else if (typeof v === "string") out.push(pyString(v));
    else if (typeof v === "bigint") out.push(v.toString());
    else if (typeof v === "number") out.push(pyFloat(v));
    else if (typeof v === "boolean") out.push(v ? "true" : "false");
    else if (Array.isArray(v)) {
      out.push("[");
      v.forEach((item, i) => {
        if (i) out.push(sep.item);
        write(item);
      });
      out.push("]");
    } else if (isPlainObject(v)) {
      const keys = Object.keys(v).sort(byCodePoint);
      out.push("{");
      keys.forEach((k, i) => {
        if (i) out.push(sep.item);
        out.push(pyString(k), sep.key);
        write((v as Record<string, unknown>)[k]);
      });
      out.push("}");
    } else {
      throw new UserError(`${file}: a date or time value (${String(v)}) cannot be part of the lock hash; quote it as a string`);
    }
  };
  write(value);
  return out.join("");
}

/** Python compares str by code point; JavaScript's default sort by UTF-16 unit (they differ past U+FFFF). */
export function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d) return d;
  }
  return x.length - y.length;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

/** ensure_ascii=True: everything outside space..~ is escaped, as \uXXXX per UTF-16 unit (so astral characters become surrogate pairs, as in Python). */
function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i);
    const code = s.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short) out += short;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** float.__repr__: the shortest round-trip digits (as JavaScript's), but "3.0" not "3", and exponent form below 1e-4 and from 1e16 ("1e-05", "1e+16"). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "Infinity";
  if (x === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa = "", exp = ""] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
  const frac = digits.slice(e + 1);
  return `${sign}${whole}.${frac || "0"}`;
}

/** A TOML table as smol-toml gives it (null prototype) or a literal object; not a date. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}
