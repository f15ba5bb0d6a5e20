#!/usr/bin/env bash
# `sam build` for deploy-sam: builds the functions (a prebuilt layer zip passes through: SAM skips a
# .zip ContentUri and the built template points back at it). `sam-layer build-tools` checks first
# that each function's build tools are here (python3.X of each Python runtime: it fails naming the
# function and what to do) and names what to install: esbuild, at a pinned version, when a function
# uses BuildMethod: esbuild and none is on PATH. Cached and parallel by default; build-args are
# split as shell words (quotes respected, nothing expanded), so several flags pass.
# Builds the rewritten copy of the template when build-layer wrote one (`sam-layer deploy-template`).
# PARAM_WRITE_KEY mode writes the build cache's key (the templates and the functions' manifests and
# lockfiles) and builds nothing.
# Reads: PARAM_HELPER PARAM_APP_DIR PARAM_TEMPLATE PARAM_BUILD_ARGS PARAM_CONFIG_FILE PARAM_CONFIG_ENV
#        PARAM_WRITE_KEY (optional)
set -euo pipefail

ESBUILD_VERSION=0.28.2

read -r -a helper <<<"${PARAM_HELPER:?sam-build: PARAM_HELPER is required}"
template=${PARAM_TEMPLATE:?sam-build: PARAM_TEMPLATE is required}
if [[ -n "${PARAM_WRITE_KEY:-}" ]]; then
  key=$PARAM_WRITE_KEY
  [[ "$key" == /* ]] || key="$PWD/$key"
fi
cd "${PARAM_APP_DIR:?sam-build: PARAM_APP_DIR is required}"
# The copy build-layer's `template` build wrote beside the template (its layers point at the built
# zips) when there is one; the helper says which and why, and refuses a stale copy. The cache key
# is then of the template actually built.
template=$("${helper[@]}" deploy-template "$template")

if [[ -n "${PARAM_WRITE_KEY:-}" ]]; then
  "${helper[@]}" build-tools "$template" --write-key "$key" >/dev/null
  echo "sam-build: build cache key written to $key"
  exit 0
fi

install=$("${helper[@]}" build-tools "$template")
if [[ "$install" == *esbuild* ]]; then
  prefix="$HOME/.sam-layer/esbuild-$ESBUILD_VERSION"
  echo "sam-build: no esbuild on PATH; installing esbuild@$ESBUILD_VERSION"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "esbuild@$ESBUILD_VERSION"
  export PATH="$prefix/node_modules/.bin:$PATH"
fi

config=()
if [[ -f "${PARAM_CONFIG_FILE:-samconfig.toml}" ]]; then
  config=(--config-file "$PWD/${PARAM_CONFIG_FILE:-samconfig.toml}" --config-env "${PARAM_CONFIG_ENV:-default}")
fi
extra=()
if [[ -n "${PARAM_BUILD_ARGS:-}" ]]; then
  # xargs splits like the shell (quotes, backslashes) without expanding anything.
  words=$(mktemp)
  if ! xargs -r printf '%s\0' <<<"$PARAM_BUILD_ARGS" >"$words"; then
    echo "sam-build: build-args is not a list of shell words (an unmatched quote?): $PARAM_BUILD_ARGS" >&2
    exit 2
  fi
  mapfile -d '' extra <"$words"
  rm -f "$words"
fi

sam build --template-file "$template" --cached --parallel "${config[@]}" "${extra[@]}"
