#!/usr/bin/env bash
# The layer plan before `sam deploy`. Reads the stack with the SAM CLI's own Python and boto3 (no
# second, 184 MB AWS CLI just for this): its status, its original template, and for each nested
# stack of the packaged template the packaged nested template (from S3) and the nested stack's
# deployed template (found through the parent's resources). `sam-layer stack-state` decides what
# the stack's state allows (first deploy, deploy, wait for a running operation, delete a
# ROLLBACK_COMPLETE stack when allowed, or fail naming what to do); this script only carries it out.
# Then `sam-layer plan --stack-info` says, per layer, nested ones included, whether the deploy
# publishes a new layer version.
# Reads: PARAM_HELPER PARAM_STACK_NAME PARAM_PACKAGED_TEMPLATE PARAM_SOURCE_TEMPLATE PARAM_REGION
#        PARAM_DELETE_ROLLBACK_COMPLETE (optional)
set -euo pipefail

read -r -a helper <<<"${PARAM_HELPER:?layer-plan: PARAM_HELPER is required}"
stack=${PARAM_STACK_NAME:?layer-plan: PARAM_STACK_NAME is required}
packaged=${PARAM_PACKAGED_TEMPLATE:?layer-plan: PARAM_PACKAGED_TEMPLATE is required}
state_args=()
if [[ "${PARAM_DELETE_ROLLBACK_COMPLETE:-false}" == "true" ]]; then
  state_args=(--delete-rollback-complete)
fi
# How long to wait for another operation on the stack to finish.
wait_seconds=${SAM_LAYER_STACK_WAIT_SECONDS:-1800}

# The Python the `sam` on PATH runs with (a pip-installed SAM CLI's launcher names it), which has boto3.
sam_python() {
  local sam line py
  sam=$(command -v sam) || {
    echo "layer-plan: no sam on PATH (install-sam runs before this step)" >&2
    return 1
  }
  IFS= read -r line <"$(readlink -f "$sam")" || true
  py=${line#\#!}
  if [[ "$line" == "#!"* ]] && "$py" -c "import boto3, samcli" 2>/dev/null; then
    echo "$py"
  elif [[ -x "$HOME/.sam-layer/venvs/sam/bin/python" ]]; then
    echo "$HOME/.sam-layer/venvs/sam/bin/python"
  else
    echo "layer-plan: cannot find the Python of $sam (with boto3) to read the stack; install the SAM CLI with install-sam" >&2
    return 1
  fi
}
python=$(sam_python)

stack_tool() { # stack_tool describe|wait|delete <stack> [<packaged template> <output>]
  PARAM_REGION=${PARAM_REGION:-} WAIT_SECONDS=$wait_seconds "$python" - "$@" <<'PY'
import json
import os
import sys
import time
from urllib.parse import unquote, urlparse

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from samcli.yamlhelper import yaml_parse

region = os.environ.get("PARAM_REGION") or None
cfn = boto3.client("cloudformation", region_name=region)
s3 = boto3.client("s3", region_name=region)


def status_of(name):
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as e:
        if "does not exist" in str(e):
            return None
        raise


def download(url):
    """A packaged nested template: s3://bucket/key, or the path-style URL `sam package` writes."""
    u = urlparse(url)
    if u.scheme == "s3":
        bucket, key = u.netloc, u.path.lstrip("/")
    elif ".s3" in u.netloc and not u.netloc.startswith("s3"):
        bucket, key = u.netloc.split(".s3")[0], u.path.lstrip("/")
    else:
        bucket, key = u.path.lstrip("/").split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=unquote(key))["Body"].read().decode("utf-8")
    return yaml_parse(body)


def describe(name, packaged):
    info = {"stackName": name, "stack": None, "deployed": None, "nested": {}}
    children = {}
    stack = status_of(name) if name else None
    if stack:
        info["stack"] = {k: stack[k] for k in ("StackId", "StackStatus", "StackStatusReason") if k in stack}
        # A stack with an operation running is waited for first: its template is read afterwards.
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            try:
                info["deployed"] = cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
                for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name):
                    for r in page["StackResourceSummaries"]:
                        if r["ResourceType"] == "AWS::CloudFormation::Stack" and r.get("PhysicalResourceId"):
                            children[r["LogicalResourceId"]] = r["PhysicalResourceId"]
            except (ClientError, BotoCoreError) as e:
                info["error"] = str(e)
    for lid, res in ((packaged or {}).get("Resources") or {}).items():
        props = res.get("Properties") or {}
        url = props.get("Location") if res.get("Type") == "AWS::Serverless::Application" else props.get("TemplateURL")
        if res.get("Type") not in ("AWS::Serverless::Application", "AWS::CloudFormation::Stack") or not isinstance(url, str):
            continue
        nested = {"location": url, "packaged": None}
        try:
            nested["packaged"] = download(url)
        except Exception as e:  # named in the plan as the reason it could not plan this stack
            nested["error"] = f"{type(e).__name__}: {e}"
        nested["stack"] = describe(children.get(lid), nested["packaged"])
        if not children.get(lid):
            nested["stack"]["stackName"] = lid
        info["nested"][lid] = nested
    return info


mode, name = sys.argv[1], sys.argv[2]
if mode == "describe":
    with open(sys.argv[3], encoding="utf-8") as f:
        packaged = yaml_parse(f.read())
    with open(sys.argv[4], "w", encoding="utf-8") as f:
        json.dump(describe(name, packaged), f, default=str)
elif mode == "wait":
    deadline = time.time() + int(os.environ["WAIT_SECONDS"])
    while True:
        stack = status_of(name)
        status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        if not status.endswith("_IN_PROGRESS") or status == "REVIEW_IN_PROGRESS":
            print(f"layer-plan: stack {name} is {status}")
            break
        if time.time() > deadline:
            sys.exit(f"layer-plan: stack {name} is still {status} after {os.environ['WAIT_SECONDS']} s; deploy again once it has finished")
        print(f"layer-plan: stack {name} is {status}; waiting", flush=True)
        time.sleep(max(1, min(10, deadline - time.time())))
elif mode == "delete":
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 5, "MaxAttempts": 360})
    print(f"layer-plan: deleted stack {name}")
PY
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
info="$work/stack.json"

if ! stack_tool describe "$stack" "$packaged" "$info" 2>"$work/error.txt"; then
  echo "layer-plan: could not read stack $stack:" >&2
  tail -n 3 "$work/error.txt" >&2
  exit 1
fi
for _ in 1 2 3; do
  action=$("${helper[@]}" stack-state "$info" "${state_args[@]}")
  case "$action" in
    wait) stack_tool wait "$stack" ;;
    delete) stack_tool delete "$stack" ;;
    *) break ;;
  esac
  stack_tool describe "$stack" "$packaged" "$info"
done
args=(plan "$packaged")
if [[ -n "${PARAM_SOURCE_TEMPLATE:-}" ]]; then
  # The template that was packaged: the copy build-layer's `template` build wrote, when there is one.
  source_template=$("${helper[@]}" deploy-template "$PARAM_SOURCE_TEMPLATE")
  args+=(--template "$source_template")
fi
"${helper[@]}" "${args[@]}" "${state_args[@]}" --stack-info "$info"
