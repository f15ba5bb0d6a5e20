#!/usr/bin/env bash
# The pinned Python tools the tests drive for real (awscli, SAM, moto, pipenv, poetry, uv),
# installed into .venv; rebuilt only when requirements-test.txt changes. check-jsonschema gets a
# venv of its own inside it (.venv/schema; why: requirements-schema.txt), rebuilt only when
# requirements-schema.txt changes, and is linked into .venv/bin with the other tools.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${SAM_LAYER_TEST_PYTHON:-python3}

# True when the venv at $1 has a python and was built from the current $2.
up_to_date() {
  [[ -x $1/bin/python ]] && cmp -s <(sha256sum "$2") "$1/.requirements.sha256" 2>/dev/null
}

if ! up_to_date .venv requirements-test.txt; then
  rm -rf .venv
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
  sha256sum requirements-test.txt >.venv/.requirements.sha256
fi

if ! up_to_date .venv/schema requirements-schema.txt; then
  rm -rf .venv/schema
  "$PYTHON" -m venv .venv/schema
  .venv/schema/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-schema.txt
  sha256sum requirements-schema.txt >.venv/schema/.requirements.sha256
fi
ln -sfn ../schema/bin/check-jsonschema .venv/bin/check-jsonschema
