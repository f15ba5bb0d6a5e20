#!/usr/bin/env bash
# Release guard: the vX.Y.Z tag is package.json's version, and orb/orb.yml runs exactly that helper
# (`npx --yes sam-layer@X.Y.Z`), so the orb and the helper are released as one version.
set -euo pipefail

tag=${CIRCLE_TAG:?check-release-version: CIRCLE_TAG is not set (release jobs run on tags only)}
version=$(node -p 'require("./package.json").version')
if [[ "$tag" != "v$version" ]]; then
  echo "check-release-version: tag $tag is not v$version, the version in package.json" >&2
  exit 1
fi
if ! grep -qF "default: npx --yes sam-layer@$version" orb/orb.yml; then
  echo "check-release-version: orb/orb.yml does not run sam-layer@$version; run npm run orb and commit it" >&2
  exit 1
fi
echo "check-release-version: releasing sam-layer $version (helper and orb)"
