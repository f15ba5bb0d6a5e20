#!/usr/bin/env bash
# Publishes orb/orb.yml as $ORB_REF (sam-layer/sam-layer@dev:<revision> or @X.Y.Z). A release
# version is published only once npm serves sam-layer@X.Y.Z, so an orb never names a helper that
# cannot be installed. The CircleCI token goes to the CLI through its environment, never printed.
set -euo pipefail

ref=${ORB_REF:?publish-orb: ORB_REF is not set}
token=${CIRCLE_TOKEN:?publish-orb: CIRCLE_TOKEN is not set (context with the orb publishing token)}
version=${ref##*@}
tries=${NPM_WAIT_TRIES:-10}
if [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  for ((try = 1; ; try++)); do
    if [[ "$(npm view "sam-layer@$version" version 2>/dev/null || true)" == "$version" ]]; then
      echo "publish-orb: npm serves sam-layer@$version"
      break
    fi
    if ((try >= tries)); then
      echo "publish-orb: npm does not serve sam-layer@$version; publish the helper first" >&2
      exit 1
    fi
    sleep "${NPM_WAIT_SECONDS:-15}"
  done
fi
CIRCLECI_CLI_TOKEN="$token" circleci orb publish orb/orb.yml "$ref" --skip-update-check
