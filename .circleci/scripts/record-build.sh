#!/usr/bin/env bash
# Post-step of the integration builds: keeps this job's build report (status and MD5 as the helper
# printed them) and a copy of its zip in $SAM_LAYER_INTEGRATION_DIR/records/<job name>/, which the
# job then persists to the workspace for compare-builds.sh.
set -euo pipefail

dir=${SAM_LAYER_INTEGRATION_DIR:-/tmp/sam-layer-integration}
job=${CIRCLE_JOB:?record-build: CIRCLE_JOB is not set}
log="$dir/job.log"

# The helper reports "<zip>: created|updated|unchanged ..." and then "md5 <hex> (the S3 key) ...".
report=$(grep -E '^[^ ]+\.zip: (created|updated|unchanged)' "$log" | tail -n 1 || true)
md5=$(grep -oE '^md5 [0-9a-f]{32}' "$log" | tail -n 1 | cut -d ' ' -f 2 || true)
if [[ -z "$report" || -z "$md5" ]]; then
  echo "record-build: no build report in $log" >&2
  exit 1
fi
zip=${report%%: *}
status=$(sed -E 's/^[^ ]+\.zip: ([a-z]+).*/\1/' <<<"$report")

record="$dir/records/${job//\//_}"
mkdir -p "$record"
cp "$zip" "$record/layer.zip"
printf 'status=%s\nmd5=%s\nzip=%s\n' "$status" "$md5" "$zip" >"$record/report"
echo "record-build: $job: $status, md5 $md5 ($zip)"
