#!/usr/bin/env bash
# Idempotent set-up shared by `npm test` and `npm run example`: system tools, npm packages,
# the pinned Python test tools in .venv, and the bundled helper. Re-running does only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Set by test.sh for what it runs: tests that call set-up scripts must not rebuild dist/ under
# the other tests' feet.
if [[ "${SAM_LAYER_SETUP_DONE:-}" == 1 ]]; then
  exit 0
fi

DEBIAN_PACKAGES=(zip unzip shellcheck)
missing=()
for tool in "${DEBIAN_PACKAGES[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages first: ${missing[*]}" >&2
    exit 1
  fi
fi

# npm ci only when the lockfile changed since the last install.
if [[ ! -f node_modules/.package-lock.json ]] || ! cmp -s <(sha256sum package-lock.json) node_modules/.sam-layer-lock.sha256 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json >node_modules/.sam-layer-lock.sha256
fi

bash scripts/setup-python.sh
npm run --silent build
