#!/usr/bin/env bash
# Publishes the helper (package.json's "files": the bundle built by `npm run build` before) to
# npm. The token stays in the environment: ~/.npmrc names ${NPM_TOKEN}, which npm expands itself.
# DRY_RUN=true only shows what would be published (no token needed).
set -euo pipefail

for built in dist/sam-layer.mjs dist/bin.mjs; do
  if [[ ! -f "$built" ]]; then
    echo "npm-publish: $built is missing; run npm run build first" >&2
    exit 1
  fi
done
if [[ "${DRY_RUN:-false}" == "true" ]]; then
  npm publish --dry-run
  exit 0
fi
: "${NPM_TOKEN:?npm-publish: NPM_TOKEN is not set (context sam-layer-release)}"
# shellcheck disable=SC2016 # npm expands ${NPM_TOKEN} when it reads .npmrc; the file never holds it
printf '%s\n' '//registry.npmjs.org/:_authToken=${NPM_TOKEN}' >"$HOME/.npmrc"
npm publish --access public
