#!/usr/bin/env bash
# Pre-step of the integration builds: from the next step on, every step's output is also appended
# to $SAM_LAYER_INTEGRATION_DIR/job.log, where record-build.sh finds the build's report. CircleCI
# sources $BASH_ENV at the start of each step, so the redirection written there applies to each.
set -euo pipefail

dir=${SAM_LAYER_INTEGRATION_DIR:-/tmp/sam-layer-integration}
mkdir -p "$dir"
: >"$dir/job.log"
printf 'exec > >(tee -a %q) 2>&1\n' "$dir/job.log" >>"${BASH_ENV:?capture-output: BASH_ENV is not set}"
echo "capture-output: later steps are also logged to $dir/job.log"
