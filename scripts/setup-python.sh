#!/usr/bin/env bash
# The pinned Python tools the tests drive for real (awscli, SAM, moto, pipenv, poetry, uv),
# installed into .venv; rebuilt only when requirements-test.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${SAM_LAYER_TEST_PYTHON:-python3}
stamp=.venv/.requirements.sha256
if [[ -x .venv/bin/python ]] && cmp -s <(sha256sum requirements-test.txt) "$stamp" 2>/dev/null; then
  exit 0
fi
rm -rf .venv
"$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
sha256sum requirements-test.txt >"$stamp"
