#!/usr/bin/env bash
# Publishes the helper to npm: builds the bundle, then `npm publish`. The token stays in the
# environment: ~/.npmrc names ${NPM_TOKEN}, which npm expands itself. DRY_RUN=true only shows
# what would be published (no token needed).
set -euo pipefail

npm run build
if [[ "${DRY_RUN:-false}" == "true" ]]; then
  npm publish --dry-run
  exit 0
fi
: "${NPM_TOKEN:?npm-publish: NPM_TOKEN is not set (context sam-layer-release)}"
# shellcheck disable=SC2016 # npm expands ${NPM_TOKEN} when it reads .npmrc; the file never holds it
printf '%s\n' '//registry.npmjs.org/:_authToken=${NPM_TOKEN}' >"$HOME/.npmrc"
npm publish --access public
