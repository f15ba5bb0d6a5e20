// The project's own shell (set-up, test entry, CI entry, test support) keeps the same rules as the
// orb's scripts: bash, `set -euo pipefail`, shellcheck-clean.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const FILES = [
  ...readdirSync(".ci").map((f) => `.ci/${f}`),
  ...readdirSync("scripts")
    .filter((f) => f.endsWith(".sh"))
    .map((f) => `scripts/${f}`),
  ...readdirSync("test/support")
    .filter((f) => f.endsWith(".sh"))
    .map((f) => `test/support/${f}`),
];

describe("the project's own shell scripts", () => {
  it("are bash with `set -euo pipefail`", () => {
    expect(FILES).toContain("scripts/setup.sh");
    for (const file of FILES) {
      const text = readFileSync(file, "utf8");
      expect(text.startsWith("#!/usr/bin/env bash\n"), file).toBe(true);
      expect(text, file).toMatch(/^set -euo pipefail$/m);
    }
  });

  it("are shellcheck-clean (and shellcheck does flag a bad one)", () => {
    execFileSync("shellcheck", ["--shell=bash", ...FILES], { stdio: "pipe" });
    const bad = join(mkdtempSync(join(tmpdir(), "sam-layer-sh-")), "bad.sh");
    writeFileSync(bad, "#!/usr/bin/env bash\nset -euo pipefail\nrm -rf $1/*\n");
    expect(spawnSync("shellcheck", [bad]).status).toBe(1);
  });
});
