#!/usr/bin/env bash
# `sam package` for deploy-sam: uploads the artifacts (a prebuilt layer zip is keyed by the MD5 of
# its bytes, so an unchanged layer.zip keeps its S3 key) and writes the packaged template. After
# `sam build` (PARAM_SAM_BUILD true) it packages the built template, .aws-sam/build/template.yaml,
# whose layer still points at the zip; without it, the template, or the copy build-layer's
# `template` build wrote of it. The app's samconfig.toml is passed explicitly: SAM looks for it
# next to the template it is given, which is not the app folder here.
# Reads: PARAM_APP_DIR PARAM_TEMPLATE PARAM_PACKAGED_TEMPLATE PARAM_S3_BUCKET PARAM_RESOLVE_S3
#        PARAM_S3_PREFIX PARAM_REGION PARAM_SAM_BUILD (optional) PARAM_CONFIG_FILE (optional)
#        PARAM_CONFIG_ENV (optional) PARAM_HELPER (without sam build)
set -euo pipefail

packaged=${PARAM_PACKAGED_TEMPLATE:?sam-package: PARAM_PACKAGED_TEMPLATE is required}
mkdir -p "$(dirname "$packaged")"
packaged="$(cd "$(dirname "$packaged")" && pwd)/$(basename "$packaged")"
cd "${PARAM_APP_DIR:?sam-package: PARAM_APP_DIR is required}"

template=${PARAM_TEMPLATE:?sam-package: PARAM_TEMPLATE is required}
config_file=${PARAM_CONFIG_FILE:-samconfig.toml}
args=()
if [[ -f "$config_file" ]]; then
  args+=(--config-file "$PWD/$config_file" --config-env "${PARAM_CONFIG_ENV:-default}")
fi
if [[ -n "${PARAM_S3_BUCKET:-}" && "${PARAM_RESOLVE_S3:-false}" == "true" ]]; then
  echo "sam-package: set either s3-bucket or resolve-s3, not both" >&2
  exit 2
elif [[ -n "${PARAM_S3_BUCKET:-}" ]]; then
  args+=(--s3-bucket "$PARAM_S3_BUCKET")
elif [[ "${PARAM_RESOLVE_S3:-false}" == "true" ]]; then
  args+=(--resolve-s3)
elif [[ ! -f "$config_file" ]]; then
  echo "sam-package: set s3-bucket, or resolve-s3: true to let SAM manage a bucket" >&2
  exit 2
fi
if [[ "${PARAM_SAM_BUILD:-false}" == "true" ]]; then
  template=.aws-sam/build/template.yaml
else
  # Without sam build: the copy build-layer's `template` build wrote, when there is one (the helper
  # says which and why, and refuses a stale copy).
  read -r -a helper <<<"${PARAM_HELPER:?sam-package: PARAM_HELPER is required}"
  template=$("${helper[@]}" deploy-template "$template")
fi
args=(package --template-file "$template" --output-template-file "$packaged" ${args[@]+"${args[@]}"})
if [[ -n "${PARAM_S3_PREFIX:-}" ]]; then
  args+=(--s3-prefix "$PARAM_S3_PREFIX")
fi
if [[ -n "${PARAM_REGION:-}" ]]; then
  args+=(--region "$PARAM_REGION")
fi

sam "${args[@]}"
echo "sam-package: wrote $packaged"
