#!/usr/bin/env bash
# The README's test command (`npm test`): set up everything, then run every test once.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export SAM_LAYER_SETUP_DONE=1
export PATH="$PWD/.venv/bin:$PATH"
status=0
# Types, formatting and lint first: quick, and a failure still lets the tests run.
if [[ $# -eq 0 ]]; then
  npx tsc --noEmit || status=$?
  npx biome ci . || status=$?
fi
npx vitest run "$@" || status=$?
# One plain closing line that any CI can read.
# shellcheck disable=SC2016 # ${...} below is JavaScript, not shell
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-results/results.json", "utf8"));
  // A file whose hook or import failed fails no test of its own: name it as a failed file.
  const failedFiles = r.testResults.filter((file) => file.status === "failed").length;
  const files = failedFiles ? `; ${failedFiles} test file(s) failed` : "";
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped${files}`);
' || true
exit "$status"
