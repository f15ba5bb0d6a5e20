// Reads existing zips (ours or anyone's) with yauzl: every entry's content hash for `hash` and
// `diff` (the "nothing to do" check reads only the comment, in comment.ts).
import { createHash } from "node:crypto";
import yauzl from "yauzl";
import { UserError } from "../errors.js";
import type { DigestEntry } from "../layer/digest.js";
import { normalizeMode, sortEntries } from "../layer/walk.js";

const MADE_BY_UNIX = 3;
const FLAG_UTF8 = 1 << 11;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Info-ZIP on Linux stores UTF-8 names without the UTF-8 flag, which readers then take for CP437.
 * A flagless name that is valid UTF-8 is read as UTF-8, as modern unzip tools do.
 */
function entryName(entry: yauzl.Entry): string {
  const unicodePathField = entry.extraFields.some((f) => f.id === 0x7075); // yauzl already used it
  if (entry.generalPurposeBitFlag & FLAG_UTF8 || unicodePathField || !entry.fileNameRaw) return entry.fileName;
  try {
    return utf8.decode(entry.fileNameRaw);
  } catch {
    return entry.fileName;
  }
}

export interface ZipContents {
  entries: DigestEntry[];
  /** UTF-8 text of the entries `keepText` asked for, by path */
  texts: Map<string, string>;
  comment: string;
}

/**
 * Lists a zip like walkLayer lists a folder: directories without their trailing slash, modes
 * normalized (from the Unix attributes when present), folders that only appear as a prefix of
 * other paths added, sorted in zip order. So a folder and its zip give the same digest.
 */
export async function readZipContents(path: string, keepText: (path: string) => boolean = () => false): Promise<ZipContents> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new UserError(`not found: ${path}`);
    throw new UserError(`not a readable zip: ${path} (${(err as Error).message})`);
  }
  const byPath = new Map<string, DigestEntry>();
  const texts = new Map<string, string>();
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entryName(entry);
      const isDir = name.endsWith("/");
      const rel = name.replace(/\/+$/, "");
      const unixMode = entry.versionMadeBy >> 8 === MADE_BY_UNIX ? entry.externalFileAttributes >>> 16 : 0;
      if (isDir) {
        byPath.set(rel, { path: rel, type: "directory", mode: normalizeMode("directory", unixMode), size: 0, hash: "" });
        continue;
      }
      const stream = await zip.openReadStreamPromise(entry);
      const h = createHash("sha256");
      const keep = keepText(rel);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        h.update(chunk);
        size += chunk.length;
        if (keep) chunks.push(chunk);
      }
      if (keep) texts.set(rel, Buffer.concat(chunks).toString("utf8"));
      byPath.set(rel, { path: rel, type: "file", mode: normalizeMode("file", unixMode), size, hash: h.digest("hex") });
    }
  } catch (err) {
    throw new UserError(`cannot read zip ${path}: ${(err as Error).message.split("\n")[0]}`);
  } finally {
    zip.close();
  }
  for (const p of [...byPath.keys()]) {
    for (let i = p.indexOf("/"); i > 0; i = p.indexOf("/", i + 1)) {
      const parent = p.slice(0, i);
      if (!byPath.has(parent)) byPath.set(parent, { path: parent, type: "directory", mode: normalizeMode("directory", 0), size: 0, hash: "" });
    }
  }
  return { entries: sortEntries([...byPath.values()]), texts, comment: zip.comment };
}
