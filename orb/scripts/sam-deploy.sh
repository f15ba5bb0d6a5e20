#!/usr/bin/env bash
# `sam deploy` of the packaged template for deploy-sam, with the app's samconfig.toml (config-env)
# and deploy-args split as shell words (quotes respected, nothing expanded) after the orb's flags.
# Reads: PARAM_APP_DIR PARAM_PACKAGED_TEMPLATE PARAM_STACK_NAME PARAM_S3_BUCKET PARAM_RESOLVE_S3
#        PARAM_S3_PREFIX PARAM_REGION PARAM_CAPABILITIES PARAM_PARAMETER_OVERRIDES PARAM_TAGS
#        PARAM_NO_FAIL_ON_EMPTY_CHANGESET PARAM_DEPLOY_ARGS (optional) PARAM_CONFIG_FILE (optional)
#        PARAM_CONFIG_ENV (optional)
set -euo pipefail

packaged=${PARAM_PACKAGED_TEMPLATE:?sam-deploy: PARAM_PACKAGED_TEMPLATE is required}
packaged="$(cd "$(dirname "$packaged")" && pwd)/$(basename "$packaged")"
cd "${PARAM_APP_DIR:?sam-deploy: PARAM_APP_DIR is required}"

args=(
  deploy
  --template-file "$packaged"
  --stack-name "${PARAM_STACK_NAME:?sam-deploy: PARAM_STACK_NAME is required}"
  --no-confirm-changeset
  --no-progressbar
)
if [[ -n "${PARAM_S3_BUCKET:-}" ]]; then
  args+=(--s3-bucket "$PARAM_S3_BUCKET")
elif [[ "${PARAM_RESOLVE_S3:-false}" == "true" ]]; then
  args+=(--resolve-s3)
fi
if [[ -n "${PARAM_S3_PREFIX:-}" ]]; then
  args+=(--s3-prefix "$PARAM_S3_PREFIX")
fi
if [[ -n "${PARAM_REGION:-}" ]]; then
  args+=(--region "$PARAM_REGION")
fi
if [[ -n "${PARAM_CAPABILITIES:-}" ]]; then
  read -r -a capabilities <<<"$PARAM_CAPABILITIES"
  args+=(--capabilities "${capabilities[@]}")
fi
# SAM parses these two itself ("Key=Value Key2=Value2"): pass each as one argument.
if [[ -n "${PARAM_PARAMETER_OVERRIDES:-}" ]]; then
  args+=(--parameter-overrides "$PARAM_PARAMETER_OVERRIDES")
fi
if [[ -n "${PARAM_TAGS:-}" ]]; then
  args+=(--tags "$PARAM_TAGS")
fi
if [[ "${PARAM_NO_FAIL_ON_EMPTY_CHANGESET:-true}" == "true" ]]; then
  args+=(--no-fail-on-empty-changeset)
fi
config_file=${PARAM_CONFIG_FILE:-samconfig.toml}
if [[ -f "$config_file" ]]; then
  args+=(--config-file "$PWD/$config_file" --config-env "${PARAM_CONFIG_ENV:-default}")
fi
if [[ -n "${PARAM_DEPLOY_ARGS:-}" ]]; then
  # xargs splits like the shell (quotes, backslashes) without expanding anything.
  words=$(mktemp)
  if ! xargs -r printf '%s\0' <<<"$PARAM_DEPLOY_ARGS" >"$words"; then
    echo "sam-deploy: deploy-args is not a list of shell words (an unmatched quote?): $PARAM_DEPLOY_ARGS" >&2
    exit 2
  fi
  mapfile -d '' extra <"$words"
  rm -f "$words"
  args+=("${extra[@]}")
fi

sam "${args[@]}"
