#!/usr/bin/env bash
# The integration check: for every second-<name> build record there is a first-<name> one; the
# first build was cold (`created`, its cache being new in this pipeline), the second restored the
# cache and was `unchanged`, both reported the same MD5, and each zip's bytes have that MD5.
# Usage: compare-builds.sh <records folder>
set -euo pipefail

records=${1:?usage: compare-builds.sh <records folder>}
field() { sed -n "s/^$2=//p" "$1/report"; }

pairs=0
failures=0
fail() {
  echo "FAIL $1"
  failures=$((failures + 1))
}

for second in "$records"/second-*; do
  [[ -d "$second" ]] || continue
  pairs=$((pairs + 1))
  name=${second##*/second-}
  first="$records/first-$name"
  if [[ ! -d "$first" ]]; then
    fail "$name: no first build to compare with"
    continue
  fi
  status1=$(field "$first" status)
  status2=$(field "$second" status)
  md5_1=$(field "$first" md5)
  md5_2=$(field "$second" md5)
  bytes1=$(md5sum "$first/layer.zip" | cut -d ' ' -f 1)
  bytes2=$(md5sum "$second/layer.zip" | cut -d ' ' -f 1)
  ok=true
  [[ "$status1" == "created" ]] || { fail "$name: first build was $status1, expected created (a cold cache)"; ok=false; }
  [[ "$status2" == "unchanged" ]] || { fail "$name: second build was $status2, expected unchanged"; ok=false; }
  [[ "$md5_1" == "$md5_2" ]] || { fail "$name: MD5 changed from $md5_1 to $md5_2"; ok=false; }
  [[ "$bytes1" == "$md5_1" && "$bytes2" == "$md5_2" ]] || { fail "$name: a zip's bytes do not have the MD5 its build reported"; ok=false; }
  if [[ "$ok" == true ]]; then
    echo "ok   $name: created, then unchanged; md5 $md5_1"
  fi
done

if ((pairs == 0)); then
  echo "FAIL no second-* build records in $records"
  exit 1
fi
echo "$pairs pairs compared, $failures problems"
((failures == 0))
