// Facts about a built layer zip, read with independent tools (Node's crypto, Info-ZIP's unzip),
// never with the zipper under test.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";

/** The S3 key `sam package` and `aws cloudformation package` give a .zip artifact. */
export async function md5Hex(file: string): Promise<string> {
  return createHash("md5")
    .update(await readFile(file))
    .digest("hex");
}

/** Lambda's CodeSha256 of a zip. */
export async function sha256Base64(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("base64");
}

export function zipEntries(zip: string): string[] {
  const listed = spawnSync("unzip", ["-Z1", zip], { encoding: "utf8" });
  if (listed.status !== 0) throw new Error(`unzip -Z1 ${zip}: ${listed.stderr}`);
  return listed.stdout.split("\n").filter(Boolean);
}

export function zipMember(zip: string, member: string): Buffer {
  const read = spawnSync("unzip", ["-p", zip, member], { maxBuffer: 64 * 1024 * 1024 });
  if (read.status !== 0) throw new Error(`unzip -p ${zip} ${member}: ${read.stderr.toString()}`);
  return read.stdout;
}

const ELF_MACHINES: Record<number, string> = { 62: "x86_64", 183: "aarch64" };

/** The machine an ELF shared object was compiled for (e_machine, little-endian ELF). */
export function elfMachine(bytes: Buffer): string {
  if (bytes.subarray(0, 4).toString("latin1") !== "\x7fELF") throw new Error("not an ELF file");
  const machine = bytes.readUInt16LE(18);
  return ELF_MACHINES[machine] ?? `e_machine ${machine}`;
}
