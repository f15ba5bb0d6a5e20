#!/usr/bin/env bash
# The layer plan before `sam deploy`: fetches the deployed stack's original template (a stack that
# does not exist yet means "first deploy") and lets `sam-layer plan` say, per layer, whether the
# packaged template publishes a new layer version.
# Reads: PARAM_HELPER PARAM_STACK_NAME PARAM_PACKAGED_TEMPLATE PARAM_REGION
set -euo pipefail

read -r -a helper <<<"${PARAM_HELPER:?layer-plan: PARAM_HELPER is required}"
stack=${PARAM_STACK_NAME:?layer-plan: PARAM_STACK_NAME is required}
packaged=${PARAM_PACKAGED_TEMPLATE:?layer-plan: PARAM_PACKAGED_TEMPLATE is required}
region_args=()
if [[ -n "${PARAM_REGION:-}" ]]; then
  region_args=(--region "$PARAM_REGION")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# TemplateBody is a string for YAML templates and an object for JSON ones; JSON is valid YAML.
if aws cloudformation get-template --stack-name "$stack" --template-stage Original \
  --query TemplateBody --output json "${region_args[@]}" >"$work/body.json" 2>"$work/error.txt"; then
  python3 -c 'import json, sys
body = json.load(sys.stdin)
sys.stdout.write(body if isinstance(body, str) else json.dumps(body, indent=2))' <"$work/body.json" >"$work/deployed.template"
  "${helper[@]}" plan "$packaged" --deployed "$work/deployed.template"
elif grep -q "does not exist" "$work/error.txt"; then
  echo "layer-plan: stack $stack does not exist yet: first deploy"
  "${helper[@]}" plan "$packaged"
else
  echo "layer-plan: could not read the template of stack $stack:" >&2
  cat "$work/error.txt" >&2
  exit 1
fi
