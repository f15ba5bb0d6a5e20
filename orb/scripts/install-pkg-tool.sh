#!/usr/bin/env bash
# Makes sure the package manager that exports the lockfile, and uv for Python layers, are on PATH
# for `sam-layer build` (pip and npm come with the cimg/python:*-node image). With pkg-manager auto the helper itself
# says which one it detected, so detection lives in one place. A missing tool is installed at a
# pinned version into its own virtualenv; only its executable is linked into ~/.sam-layer/bin.
# With PARAM_TEMPLATE (build-layer's template parameter) it installs what every layer of that
# template needs, as the helper detects them.
# Reads: PARAM_HELPER PARAM_APP_DIR PARAM_PKG_MANAGER PARAM_LOCKFILE PARAM_RUNTIME
#        PARAM_TEMPLATE (optional)
set -euo pipefail

PIPENV_VERSION=2026.10.3
POETRY_VERSION=2.5.1
POETRY_PLUGIN_EXPORT_VERSION=1.10.1
UV_VERSION=0.13.8

key_file=$(mktemp)
trap 'rm -f "$key_file"' EXIT
managers=("${PARAM_PKG_MANAGER:?install-pkg-tool: PARAM_PKG_MANAGER is required}")
if [[ -n "${PARAM_TEMPLATE:-}" ]]; then
  read -r -a helper <<<"${PARAM_HELPER:?install-pkg-tool: PARAM_HELPER is required}"
  report=$("${helper[@]}" build --template "${PARAM_APP_DIR:?install-pkg-tool: PARAM_APP_DIR is required}/$PARAM_TEMPLATE" \
    --json --write-key "$key_file")
  read -r -a managers <<<"$(node -e 'const r = JSON.parse(process.argv[1]); process.stdout.write([...new Set(r.layers.map((l) => l.pkgManager))].join(" "))' "$report")"
  echo "install-pkg-tool: the template's layers use: ${managers[*]:-no package manager}"
elif [[ "${managers[0]}" == "auto" ]]; then
  read -r -a helper <<<"${PARAM_HELPER:?install-pkg-tool: PARAM_HELPER is required}"
  # The runtime too: it decides which language's lockfiles count, exactly as in the build step.
  args=(
    build
    --app-dir "${PARAM_APP_DIR:?install-pkg-tool: PARAM_APP_DIR is required}"
    --pkg-manager auto
    --runtime "${PARAM_RUNTIME:?install-pkg-tool: PARAM_RUNTIME is required}"
    --json
  )
  if [[ -n "${PARAM_LOCKFILE:-}" ]]; then
    args+=(--lockfile "$PARAM_LOCKFILE")
  fi
  report=$("${helper[@]}" "${args[@]}" --write-key "$key_file")
  managers=("$(node -e 'process.stdout.write(String(JSON.parse(process.argv[1]).pkgManager ?? ""))' "$report")")
  echo "install-pkg-tool: the helper detected ${managers[0]}"
fi

# `sam-layer build` installs Python packages with uv (its default installer), whatever manager
# exports the lockfile: a Python layer needs uv too.
if [[ " ${managers[*]:-} " =~ \ (pip|pipenv|poetry)\  && " ${managers[*]} " != *" uv "* ]]; then
  managers+=(uv)
fi

install_tool() {
  local manager=$1 check packages
  case "$manager" in
    pip | npm)
      echo "install-pkg-tool: $manager comes with the image"
      return 0
      ;;
    pipenv)
      check=(pipenv --version)
      packages=("pipenv==$PIPENV_VERSION")
      ;;
    poetry)
      # Poetry 2 exports only with its plugin.
      check=(poetry export --help)
      packages=("poetry==$POETRY_VERSION" "poetry-plugin-export==$POETRY_PLUGIN_EXPORT_VERSION")
      ;;
    uv)
      check=(uv --version)
      packages=("uv==$UV_VERSION")
      ;;
    *)
      echo "install-pkg-tool: unknown package manager '$manager'" >&2
      exit 2
      ;;
  esac

  if "${check[@]}" >/dev/null 2>&1; then
    echo "install-pkg-tool: using $(command -v "$manager")"
    return 0
  fi

  tools_dir="$HOME/.sam-layer"
  if [[ ":$PATH:" != *":$tools_dir/bin:"* ]]; then
    # Later steps find the tool through CircleCI's BASH_ENV, sourced at the start of every step.
    : "${BASH_ENV:?install-pkg-tool: BASH_ENV must name a file to put $tools_dir/bin on PATH (CircleCI sets it)}"
    echo "export PATH=\"$tools_dir/bin:\$PATH\"" >>"$BASH_ENV"
    export PATH="$tools_dir/bin:$PATH"
  fi
  venv="$tools_dir/venvs/$manager"
  echo "install-pkg-tool: installing ${packages[*]}"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"
  mkdir -p "$tools_dir/bin"
  ln -sf "$venv/bin/$manager" "$tools_dir/bin/$manager"
  "${check[@]}" >/dev/null
  echo "install-pkg-tool: installed $(command -v "$manager")"
}

for manager in "${managers[@]}"; do
  install_tool "$manager"
done
