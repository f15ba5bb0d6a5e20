#!/usr/bin/env bash
# Installs the pinned AWS SAM CLI for deploy-sam into its own virtualenv (~/.sam-layer/venvs/sam,
# which the install-sam command caches), and links only `sam` into ~/.sam-layer/bin, so `python3`
# and `pip` on PATH stay the image's own. A venv restored from the cache is used when its `sam`
# runs and is the pinned version; the cache key (PARAM_WRITE_KEY mode) holds the SAM version, the
# exact Python build the venv was made with, and the machine, so a venv never meets another Python.
# No AWS CLI: the layer plan reads the stack with the SAM CLI's own boto3.
# Reads: PARAM_SAM_VERSION PARAM_WRITE_KEY (optional)
set -euo pipefail

sam_version=${PARAM_SAM_VERSION:?install-sam: PARAM_SAM_VERSION is required}
tools_dir="$HOME/.sam-layer"
venv="$tools_dir/venvs/sam"

if [[ -n "${PARAM_WRITE_KEY:-}" ]]; then
  mkdir -p "$(dirname "$PARAM_WRITE_KEY")"
  {
    echo "aws-sam-cli==$sam_version"
    python3 -c 'import os, platform, sys; print(sys.version); print(os.path.realpath(sys.executable)); print(platform.machine())'
  } >"$PARAM_WRITE_KEY"
  echo "install-sam: cache key inputs in $PARAM_WRITE_KEY:"
  cat "$PARAM_WRITE_KEY"
  exit 0
fi

on_path() {
  if [[ ":$PATH:" != *":$tools_dir/bin:"* ]]; then
    # Later steps find the tool through CircleCI's BASH_ENV, sourced at the start of every step.
    : "${BASH_ENV:?install-sam: BASH_ENV must name a file to put $tools_dir/bin on PATH (CircleCI sets it)}"
    echo "export PATH=\"$tools_dir/bin:\$PATH\"" >>"$BASH_ENV"
    export PATH="$tools_dir/bin:$PATH"
  fi
  mkdir -p "$tools_dir/bin"
  ln -sf "$venv/bin/sam" "$tools_dir/bin/sam"
}

installed=$(sam --version 2>/dev/null || true)
cached=$("$venv/bin/sam" --version 2>/dev/null || true)
if [[ "$installed" == *" $sam_version" ]]; then
  echo "install-sam: using $(command -v sam) ($installed)"
elif [[ "$cached" == *" $sam_version" ]]; then
  echo "install-sam: using the cached $venv ($cached)"
  on_path
else
  echo "install-sam: installing aws-sam-cli==$sam_version${installed:+ (found: $installed)}"
  on_path
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "aws-sam-cli==$sam_version"
fi
sam --version
