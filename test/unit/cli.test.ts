import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const BIN = "dist/sam-layer.mjs";

describe("bundled cli", () => {
  it("prints help with every command", () => {
    const out = execFileSync("node", [BIN, "--help"], { encoding: "utf8" });
    for (const c of ["zip", "hash", "diff", "key", "build", "plan"]) expect(out).toContain(`sam-layer ${c}`);
  });

  it("exits 2 on a usage error", () => {
    const r = spawnSync("node", [BIN, "--no-such-flag"], { encoding: "utf8" });
    expect(r.status).toBe(2);
  });
});
