#!/usr/bin/env bash
# Runs `sam-layer build` for the build-layer job. With PARAM_WRITE_KEY set it only writes the cache
# key file that restore_cache/save_cache checksum: one script for both steps, so the key is always
# computed from exactly the options the build uses.
# Reads: PARAM_HELPER PARAM_APP_DIR PARAM_PKG_MANAGER PARAM_LOCKFILE PARAM_LAYER_DIR PARAM_OUTPUT
#        PARAM_RUNTIME PARAM_ARCHITECTURE PARAM_COMPILE_BYTECODE PARAM_WRITE_KEY (optional)
set -euo pipefail

read -r -a helper <<<"${PARAM_HELPER:?build-layer: PARAM_HELPER is required}"
args=(
  build
  --app-dir "${PARAM_APP_DIR:?build-layer: PARAM_APP_DIR is required}"
  --pkg-manager "${PARAM_PKG_MANAGER:?build-layer: PARAM_PKG_MANAGER is required}"
  --layer-dir "${PARAM_LAYER_DIR:?build-layer: PARAM_LAYER_DIR is required}"
  --output "${PARAM_OUTPUT:?build-layer: PARAM_OUTPUT is required}"
  --runtime "${PARAM_RUNTIME:?build-layer: PARAM_RUNTIME is required}"
  --architecture "${PARAM_ARCHITECTURE:?build-layer: PARAM_ARCHITECTURE is required}"
)
if [[ -n "${PARAM_LOCKFILE:-}" ]]; then
  args+=(--lockfile "$PARAM_LOCKFILE")
fi
if [[ "${PARAM_COMPILE_BYTECODE:-false}" == "true" ]]; then
  args+=(--compile-bytecode)
fi
if [[ -n "${PARAM_WRITE_KEY:-}" ]]; then
  mkdir -p "$(dirname "$PARAM_WRITE_KEY")"
  args+=(--write-key "$PARAM_WRITE_KEY")
fi

"${helper[@]}" "${args[@]}"
