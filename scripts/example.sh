#!/usr/bin/env bash
# `npm run example`: builds the layer of examples/classic-app twice with the orb's own build
# script, run as the build-layer job runs it, and shows that the second run is "unchanged":
# same bytes, same MD5 (the S3 key), zip not rewritten, so no new layer version on deploy.
# A third build starts from nothing again (a new branch, an expired cache) and must give the
# same MD5: the case the classic `zip -r -u` recipe gets wrong.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# pipenv exports the lock; the pinned one lives in the test tools' virtualenv.
export PATH="$PWD/.venv/bin:$PATH"

app=examples/classic-app
export PARAM_HELPER="node $PWD/dist/sam-layer.mjs"
export PARAM_APP_DIR="$app"
export PARAM_PKG_MANAGER=auto
export PARAM_LAYER_DIR=layer
export PARAM_OUTPUT=layer.zip
export PARAM_RUNTIME=python3.12
export PARAM_ARCHITECTURE=x86_64
export PARAM_COMPILE_BYTECODE=false
export PARAM_IMPORT_CHECK=true
export PARAM_SKIP_IMPORTS=

fingerprint() { # md5 and modification time (ns) of the zip
  echo "$(md5sum "$app/layer.zip" | cut -d' ' -f1) $(stat -c %y "$app/layer.zip")"
}

echo "== build 1: from an empty cache (fresh install from Pipfile.lock)"
rm -rf "${app:?}/layer" "$app"/layer.zip "$app"/layer.zip.*
first_output=$(bash orb/scripts/build-layer.sh)
echo "$first_output"
first=$(fingerprint)
echo
# The build imported every top-level module of the layer on python3.12 (the template's runtime)
# before it wrote the zip; it says "import check skipped: <why>" when it could not.
if [[ "$first_output" == *"import check: "*" import on python3.12 "* ]]; then
  echo "example: the layer imports on python3.12, the runtime template.yaml declares (every top-level module, imported as Lambda lays the layer out)."
else
  echo "example: warning: the layer's imports were not checked on python3.12 (see the import check line above)" >&2
fi

echo
echo "== build 2: the same lock again (what every CI run with a cache hit does)"
second_output=$(bash orb/scripts/build-layer.sh)
echo "$second_output"
second=$(fingerprint)

echo
if [[ "$second_output" != *unchanged* || "$first" != "$second" ]]; then
  echo "example: FAILED: the second build changed $app/layer.zip ($first -> $second)" >&2
  exit 1
fi
echo "example: the second build was unchanged: $app/layer.zip kept md5 ${first%% *} and was not rewritten,"
echo "example: so sam package keeps its S3 key and no new layer version is published."

echo
echo "== build 3: cache miss (layer folder and zip gone, fresh pip install)"
rm -rf "${app:?}/layer" "$app"/layer.zip "$app"/layer.zip.*
bash orb/scripts/build-layer.sh
third=$(fingerprint)
echo
if [[ "${third%% *}" != "${first%% *}" ]]; then
  echo "example: FAILED: a fresh install gave md5 ${third%% *}, not ${first%% *}" >&2
  exit 1
fi
echo "example: the fresh install gave the same md5 ${third%% *}: a cache miss publishes no new layer version either."
