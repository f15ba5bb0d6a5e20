// Makes an installed python/ folder a function of the wheels alone, whichever installer (uv or pip,
// any version) unpacked them: what installers add on top of a wheel goes, and every RECORD is
// rewritten in one canonical form from the files that remain.
//   - INSTALLER ("uv" or "pip"), REQUESTED, direct_url.json (an absolute file:// URL for local
//     packages, so another folder gave other bytes), uv_build.json (uv's cache note on wheels it
//     built), uv's python/.lock, and python/bin/ (shebangs name the build machine's interpreter).
//   - empty folders: uv creates the folder entries a wheel's zip holds (charset_normalizer.libs/),
//     pip only the folders of files; RECORD never lists folders.
//   - RECORD: uv and pip list the same files in different orders and with their own INSTALLER
//     hashes; the canonical RECORD lists the remaining files of the original RECORD, sorted by
//     path, each with its sha256 (urlsafe base64, no padding) and size recomputed, and itself as
//     `<name>.dist-info/RECORD,,` (the wheel spec's form).
import { createHash } from "node:crypto";
import { lstatSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { posix } from "node:path";
import { join } from "node:path";
import { readChunksSync } from "../layer/file-hash.js";
import { fsFailure } from "../layer/fs-error.js";

const INSTALLER_FILES = ["INSTALLER", "REQUESTED", "direct_url.json", "uv_build.json", "uv_cache.json"];
const TOP_LEVEL = ["bin", ".lock"];

export async function normalizeInstalled(pythonDir: string): Promise<void> {
  for (const name of TOP_LEVEL) await rm(join(pythonDir, name), { recursive: true, force: true });
  const names = await readdir(pythonDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith(".dist-info")).sort()) {
    const distInfo = join(pythonDir, name);
    for (const file of INSTALLER_FILES) await rm(join(distInfo, file), { force: true });
    await rewriteRecord(pythonDir, name);
  }
  await removeEmptyFolders(pythonDir);
}

/** Removes empty folders below `dir` (not `dir` itself); true when `dir` ends up empty. */
async function removeEmptyFolders(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true });
  let left = entries.length;
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const sub = join(dir, e.name);
    if (await removeEmptyFolders(sub)) {
      await rm(sub, { recursive: true, force: true });
      left--;
    }
  }
  return left === 0;
}

async function rewriteRecord(pythonDir: string, distInfo: string): Promise<void> {
  const recordPath = join(pythonDir, distInfo, "RECORD");
  let text: string;
  try {
    text = await readFile(recordPath, "utf8");
  } catch {
    return; // no RECORD: nothing to make canonical
  }
  const self = `${distInfo}/RECORD`;
  const paths = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const path = posix.normalize(parseCsvFirst(line));
    if (path.startsWith("../") || path.startsWith("/") || path === self) continue;
    paths.add(path);
  }
  const rows: string[] = [];
  for (const path of paths) {
    // Synchronous, in chunks through one buffer: a layer's every file is read here (183 MB in
    // 8,646 files for the bench lock), and an awaited readFile per file took 1.9 s of it, a
    // thread-pool round trip and a whole-file buffer each.
    const file = join(pythonDir, ...path.split("/"));
    if (!lstatSync(file, { throwIfNoEntry: false })?.isFile()) continue;
    const h = createHash("sha256");
    const size = readChunksSync(file, path, (chunk) => h.update(chunk));
    rows.push(`${csvField(path)},sha256=${h.digest("base64url")},${size}`);
  }
  rows.push(`${csvField(self)},,`);
  rows.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  try {
    // Unlinked first: an installer may have hard-linked the file from its cache.
    await rm(recordPath, { force: true });
    await writeFile(recordPath, `${rows.join("\n")}\n`);
  } catch (err) {
    throw fsFailure("cannot write", recordPath, err);
  }
}

/** The first field of a CSV line (RECORD quotes paths holding a comma or a quote). */
function parseCsvFirst(line: string): string {
  if (!line.startsWith('"')) return line.split(",", 1)[0] ?? "";
  let out = "";
  for (let i = 1; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      if (line[i + 1] === '"') {
        out += '"';
        i++;
      } else break;
    } else out += c;
  }
  return out;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
