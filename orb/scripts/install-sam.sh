#!/usr/bin/env bash
# Installs the pinned AWS SAM CLI for deploy-sam, and the AWS CLI when no `aws` is on PATH (the
# layer plan reads the deployed template with it; aws-cli/setup usually brings v2 already).
# Each tool gets its own virtualenv so their botocore pins never meet; only the tool's executable
# is linked into ~/.sam-layer/bin, so `python3` and `pip` on PATH stay the image's own.
# Reads: PARAM_SAM_VERSION
set -euo pipefail

AWSCLI_VERSION=1.46.2
sam_version=${PARAM_SAM_VERSION:?install-sam: PARAM_SAM_VERSION is required}
tools_dir="$HOME/.sam-layer"

install_tool() { # install_tool <executable> <pip requirement>...
  local exe=$1
  shift
  if [[ ":$PATH:" != *":$tools_dir/bin:"* ]]; then
    # Later steps find the tool through CircleCI's BASH_ENV, sourced at the start of every step.
    : "${BASH_ENV:?install-sam: BASH_ENV must name a file to put $tools_dir/bin on PATH (CircleCI sets it)}"
    echo "export PATH=\"$tools_dir/bin:\$PATH\"" >>"$BASH_ENV"
    export PATH="$tools_dir/bin:$PATH"
  fi
  local venv="$tools_dir/venvs/$exe"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  mkdir -p "$tools_dir/bin"
  ln -sf "$venv/bin/$exe" "$tools_dir/bin/$exe"
}

installed=$(sam --version 2>/dev/null || true)
if [[ "$installed" == *" $sam_version" ]]; then
  echo "install-sam: using $(command -v sam) ($installed)"
else
  echo "install-sam: installing aws-sam-cli==$sam_version${installed:+ (found: $installed)}"
  install_tool sam "aws-sam-cli==$sam_version"
fi
sam --version

if command -v aws >/dev/null 2>&1; then
  echo "install-sam: using $(command -v aws) ($(aws --version 2>&1))"
else
  echo "install-sam: no aws on PATH; installing awscli==$AWSCLI_VERSION"
  install_tool aws "awscli==$AWSCLI_VERSION"
  aws --version
fi
