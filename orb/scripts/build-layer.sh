#!/usr/bin/env bash
# Runs `sam-layer build` for the build-layer job. With PARAM_WRITE_KEY set it only writes the cache
# key file that restore_cache/save_cache checksum: one script for both steps, so the key is always
# computed from exactly the options the build uses.
# With PARAM_TEMPLATE it builds every layer of that SAM template instead (`--template`, zips under
# <app-dir>/.sam-layer, a rewritten copy of each template beside it; the one-layer parameters are
# not used), and has the helper copy the zips and the rewritten templates into PARAM_STAGE_DIR at
# their paths from the checkout root, for persist_to_workspace.
# Reads: PARAM_HELPER PARAM_APP_DIR PARAM_PKG_MANAGER PARAM_LOCKFILE PARAM_LAYER_DIR PARAM_OUTPUT
#        PARAM_RUNTIME PARAM_ARCHITECTURE PARAM_COMPILE_BYTECODE PARAM_WRITE_KEY (optional)
#        PARAM_INCLUDE PARAM_EXTRAS PARAM_INSTALLER (optional) PARAM_ALLOW_NATIVE_SDIST (default false)
#        PARAM_IMPORT_CHECK (default true)
#        PARAM_SKIP_IMPORTS (space-separated module names)
#        PARAM_TEMPLATE (optional) PARAM_STAGE_DIR (optional)
set -euo pipefail

read -r -a helper <<<"${PARAM_HELPER:?build-layer: PARAM_HELPER is required}"
app_dir=${PARAM_APP_DIR:?build-layer: PARAM_APP_DIR is required}
if [[ -n "${PARAM_TEMPLATE:-}" ]]; then
  out_dir="$(cd "$app_dir" && pwd)/.sam-layer"
  args=(build --template "$app_dir/$PARAM_TEMPLATE" --out-dir "$out_dir")
else
  args=(
    build
    --app-dir "$app_dir"
    --pkg-manager "${PARAM_PKG_MANAGER:?build-layer: PARAM_PKG_MANAGER is required}"
    --layer-dir "${PARAM_LAYER_DIR:?build-layer: PARAM_LAYER_DIR is required}"
    --output "${PARAM_OUTPUT:?build-layer: PARAM_OUTPUT is required}"
    --runtime "${PARAM_RUNTIME:?build-layer: PARAM_RUNTIME is required}"
    --architecture "${PARAM_ARCHITECTURE:?build-layer: PARAM_ARCHITECTURE is required}"
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
if [[ "${PARAM_ALLOW_NATIVE_SDIST:-false}" == "true" ]]; then
  args+=(--allow-native-sdist)
fi
if [[ "${PARAM_IMPORT_CHECK:-true}" == "false" ]]; then
  args+=(--no-import-check)
fi
read -r -a skip_imports <<<"${PARAM_SKIP_IMPORTS:-}"
for module in "${skip_imports[@]}"; do
  args+=(--skip-import "$module")
done
if [[ -n "${PARAM_WRITE_KEY:-}" ]]; then
  mkdir -p "$(dirname "$PARAM_WRITE_KEY")"
  args+=(--write-key "$PARAM_WRITE_KEY")
elif [[ -n "${PARAM_TEMPLATE:-}" && -n "${PARAM_STAGE_DIR:-}" ]]; then
  # The helper copies exactly this build's zips and rewritten templates (nested ones outside
  # app-dir too) into the stage folder at their paths from the checkout root.
  args+=(--stage-dir "$PARAM_STAGE_DIR")
fi

"${helper[@]}" "${args[@]}"

