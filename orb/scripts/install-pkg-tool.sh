#!/usr/bin/env bash
# Installs the tools `sam-layer build` will run, and only those. The helper says which, after the
# caches are restored (`build --needed-tools`, with the build's own options, so detection and the
# hit-or-miss decision live in one place): none when the restored layer is reused (the helper
# checks the lock against its manifest itself); on a miss, the package manager that exports the
# lockfile (pipenv, poetry or uv) and uv, the installer. pip and npm come with the image. A missing
# tool is installed at a pinned version into its own virtualenv; only its executable is linked
# into ~/.sam-layer/bin.
# With PARAM_TEMPLATE (build-layer's template parameter) it installs what the template's layers
# need, the same way: nothing for the layers whose restored folder is reused.
# Reads: PARAM_HELPER PARAM_APP_DIR PARAM_PKG_MANAGER PARAM_LOCKFILE PARAM_LAYER_DIR PARAM_OUTPUT
#        PARAM_RUNTIME PARAM_ARCHITECTURE PARAM_COMPILE_BYTECODE PARAM_TEMPLATE (optional)
#        PARAM_INCLUDE PARAM_EXTRAS PARAM_INSTALLER (optional: they are in the key, so in the hit)
set -euo pipefail

PIPENV_VERSION=2026.10.3
POETRY_VERSION=2.5.1
POETRY_PLUGIN_EXPORT_VERSION=1.10.1
UV_VERSION=0.13.8

read -r -a helper <<<"${PARAM_HELPER:?install-pkg-tool: PARAM_HELPER is required}"
app_dir=${PARAM_APP_DIR:?install-pkg-tool: PARAM_APP_DIR is required}
if [[ -n "${PARAM_TEMPLATE:-}" ]]; then
  # The same --out-dir as build-layer.sh: each layer is a hit when its folder there holds its key.
  args=(build --template "$app_dir/$PARAM_TEMPLATE" --out-dir "$(cd "$app_dir" && pwd)/.sam-layer" --needed-tools)
else
  args=(
    build
    --app-dir "$app_dir"
    --pkg-manager "${PARAM_PKG_MANAGER:?install-pkg-tool: PARAM_PKG_MANAGER is required}"
    --layer-dir "${PARAM_LAYER_DIR:?install-pkg-tool: PARAM_LAYER_DIR is required}"
    --output "${PARAM_OUTPUT:?install-pkg-tool: PARAM_OUTPUT is required}"
    --runtime "${PARAM_RUNTIME:?install-pkg-tool: PARAM_RUNTIME is required}"
    --architecture "${PARAM_ARCHITECTURE:?install-pkg-tool: PARAM_ARCHITECTURE is required}"
    --needed-tools
  )
  if [[ -n "${PARAM_LOCKFILE:-}" ]]; then
    args+=(--lockfile "$PARAM_LOCKFILE")
  fi
fi
# Space-separated lists; each item is one flag (DIR[:DEST] and extra names hold no spaces). With
# PARAM_TEMPLATE too: --extras applies to every poetry/uv layer, and the helper refuses --include
# in one line (a layer's own code is its folder's).
read -r -a includes <<<"${PARAM_INCLUDE:-}"
for item in ${includes[@]+"${includes[@]}"}; do
  args+=(--include "$item")
done
read -r -a extras <<<"${PARAM_EXTRAS:-}"
for item in ${extras[@]+"${extras[@]}"}; do
  args+=(--extras "$item")
done
if [[ "${PARAM_COMPILE_BYTECODE:-false}" == "true" ]]; then
  args+=(--compile-bytecode)
fi
if [[ -n "${PARAM_INSTALLER:-}" ]]; then
  args+=(--installer "$PARAM_INSTALLER")
fi
# An assignment, so a failing helper (a stale lock) fails the step.
needed=$("${helper[@]}" "${args[@]}")
read -r -a tools <<<"$needed"
if ((${#tools[@]} == 0)); then
  echo "install-pkg-tool: no tool needed"
  exit 0
fi

tools_dir="$HOME/.sam-layer"
for tool in "${tools[@]}"; do
  case "$tool" in
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
      echo "install-pkg-tool: the helper asked for an unknown tool '$tool'" >&2
      exit 2
      ;;
  esac
  if "${check[@]}" >/dev/null 2>&1; then
    echo "install-pkg-tool: using $(command -v "$tool")"
    continue
  fi
  if [[ ":$PATH:" != *":$tools_dir/bin:"* ]]; then
    # Later steps find the tool through CircleCI's BASH_ENV, sourced at the start of every step.
    : "${BASH_ENV:?install-pkg-tool: BASH_ENV must name a file to put $tools_dir/bin on PATH (CircleCI sets it)}"
    echo "export PATH=\"$tools_dir/bin:\$PATH\"" >>"$BASH_ENV"
    export PATH="$tools_dir/bin:$PATH"
  fi
  venv="$tools_dir/venvs/$tool"
  echo "install-pkg-tool: installing ${packages[*]}"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"
  mkdir -p "$tools_dir/bin"
  ln -sf "$venv/bin/$tool" "$tools_dir/bin/$tool"
  "${check[@]}" >/dev/null
  echo "install-pkg-tool: installed $(command -v "$tool")"
done
