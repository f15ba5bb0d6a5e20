// The README's main-job command, `npm run example`, run as the README gives it (set-up already
// done by the test command): the example's layer is built three times through the orb's build
// script, and only the first and the cache-miss build write the zip, with one MD5 throughout.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("npm run example", () => {
  it("builds examples/classic-app: created (and imports on python3.12), then unchanged, then the same MD5 after a cache miss", () => {
    const r = spawnSync("bash", ["scripts/example.sh"], {
      encoding: "utf8",
      env: { ...process.env, SAM_LAYER_SETUP_DONE: "1" },
    });
    expect(r.status, r.stderr).toBe(0);
    const statuses = [...r.stdout.matchAll(/^examples\/classic-app\/layer\.zip: (\w+)/gm)].map((m) => m[1]);
    expect(statuses).toEqual(["created", "unchanged", "created"]);
    const md5s = new Set([...r.stdout.matchAll(/^md5 ([0-9a-f]{32}) \(the S3 key\)/gm)].map((m) => m[1]));
    expect(md5s.size).toBe(1);
    expect(r.stdout).toContain("layer folder and zip already built for this key; skipping install");
    expect(r.stdout).toMatch(/^import check: \d+ modules of \d+ distributions import on python3\.12 /m);
    expect(r.stdout).toContain("example: the layer imports on python3.12, the runtime template.yaml declares");
  });
});
