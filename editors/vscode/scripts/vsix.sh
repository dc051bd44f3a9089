#!/bin/bash
# Builds the extension and packages it as deckhand-<version>.vsix in the
# extension's directory. Needs only Node and the npm registry (no network
# once the npm cache is warm).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/vsce ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund
fi
npx tsc -p .
version=$(node -p 'require("./package.json").version')
npx vsce package --no-dependencies --out "deckhand-$version.vsix"
