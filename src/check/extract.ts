// Unpacks a layer zip into a temp folder for `sam-layer check`, as Lambda unpacks it into /opt:
// files with their Unix modes (symlinks as links); an entry whose path would leave the folder
// (absolute, or through "..") is refused rather than written.
import { createWriteStream } from "node:fs";
import { mkdir, symlink } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import { UserError } from "../errors.js";

const MADE_BY_UNIX = 3;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export async function extractZip(zipPath: string, into: string): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new UserError(`not found: ${zipPath}`);
    throw new UserError(`not a readable zip: ${zipPath} (${(err as Error).message})`);
  }
  const root = resolve(into);
  try {
    for await (const entry of zip.eachEntry()) {
      const target = resolve(root, entry.fileName);
      if (target !== root && !target.startsWith(root + sep)) throw new UserError(`${zipPath}: entry ${entry.fileName} points outside the layer`);
      if (entry.fileName.endsWith("/")) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      const unixMode = entry.versionMadeBy >> 8 === MADE_BY_UNIX ? entry.externalFileAttributes >>> 16 : 0;
      const stream = await zip.openReadStreamPromise(entry);
      if ((unixMode & S_IFMT) === S_IFLNK) {
        const chunks: Buffer[] = [];
        for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
        await symlink(Buffer.concat(chunks).toString("utf8"), target);
        continue;
      }
      await pipeline(stream, createWriteStream(target, { mode: unixMode & 0o111 ? 0o755 : 0o644 }));
    }
  } finally {
    zip.close();
  }
}
