#!/usr/bin/env bash
# The layer plan before `sam deploy`: fetches the deployed stack's original template (a stack that
# does not exist yet means "first deploy") and lets `sam-layer plan` say, per layer, whether the
# packaged template publishes a new layer version. The helper reads get-template's output as is.
# Reads: PARAM_HELPER PARAM_STACK_NAME PARAM_PACKAGED_TEMPLATE PARAM_SOURCE_TEMPLATE PARAM_REGION
set -euo pipefail

read -r -a helper <<<"${PARAM_HELPER:?layer-plan: PARAM_HELPER is required}"
stack=${PARAM_STACK_NAME:?layer-plan: PARAM_STACK_NAME is required}
args=(plan "${PARAM_PACKAGED_TEMPLATE:?layer-plan: PARAM_PACKAGED_TEMPLATE is required}")
if [[ -n "${PARAM_SOURCE_TEMPLATE:-}" ]]; then
  args+=(--template "$PARAM_SOURCE_TEMPLATE")
fi
region_args=()
if [[ -n "${PARAM_REGION:-}" ]]; then
  region_args=(--region "$PARAM_REGION")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if aws cloudformation get-template --stack-name "$stack" --template-stage Original --output json \
  "${region_args[@]}" >"$work/deployed.json" 2>"$work/error.txt"; then
  "${helper[@]}" "${args[@]}" --deployed "$work/deployed.json"
elif grep -q "does not exist" "$work/error.txt"; then
  echo "layer-plan: stack $stack does not exist yet: first deploy"
  "${helper[@]}" "${args[@]}"
else
  echo "layer-plan: could not read the template of stack $stack:" >&2
  cat "$work/error.txt" >&2
  exit 1
fi
