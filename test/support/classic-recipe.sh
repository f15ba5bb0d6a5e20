#!/usr/bin/env bash
# The classic CircleCI layer recipe that sam-layer replaces, kept only to measure it against.
# In CircleCI it sits between `restore_cache` and `save_cache` of the layer folder, keyed by
# `{{ checksum "Pipfile.lock" }}`: a cache hit restores layer/ and layer.zip, a miss starts empty.
#   1. no layer folder (cache miss): export the lock and `pip install -t` into it, with the CI
#      image's own Python (not the Lambda runtime's);
#   2. `zip -r -u` into layer.zip, taking exit 12 ("nothing to do") as success.
# Reads: PARAM_APP_DIR PARAM_PYTHON (the CI image's python)
set -euo pipefail

cd "${PARAM_APP_DIR:?classic-recipe: PARAM_APP_DIR is required}"
python=${PARAM_PYTHON:?classic-recipe: PARAM_PYTHON is required}

if [[ ! -d layer/python ]]; then
  pipenv requirements >requirements.txt
  "$python" -m pip install --quiet --disable-pip-version-check -r requirements.txt -t layer/python
fi
cd layer
zip -r -u -q ../layer.zip . || [[ $? -eq 12 ]]
