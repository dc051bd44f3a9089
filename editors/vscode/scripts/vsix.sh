#!/bin/bash
# Builds the extension's platform packages, each holding the deckhand binary
# cross-compiled for its platform:
#   deckhand-<target>-<version>.vsix in the extension's directory.
# usage: vsix.sh [target ...]   (default: all five)
# Needs Node, the npm registry (nothing once the npm cache is warm) and Go.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$HERE"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64)
if [ ! -x node_modules/.bin/vsce ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund
fi
node scripts/bundle.mjs --production
version=$(node -p 'require("./package.json").version')
failed=()
for t in "${targets[@]}"; do
  case $t in
    linux-x64) goos=linux goarch=amd64 exe=deckhand ;;
    linux-arm64) goos=linux goarch=arm64 exe=deckhand ;;
    darwin-x64) goos=darwin goarch=amd64 exe=deckhand ;;
    darwin-arm64) goos=darwin goarch=arm64 exe=deckhand ;;
    win32-x64) goos=windows goarch=amd64 exe=deckhand.exe ;;
    *) echo "vsix: unknown target $t (linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64)" >&2; exit 2 ;;
  esac
  rm -rf bin && mkdir bin
  if ! (cd "$REPO" && CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -ldflags "-s -w" -o "$HERE/bin/$exe" ./cmd/deckhand); then
    echo "vsix: deckhand does not build for $t" >&2
    failed+=("$t")
    continue
  fi
  chmod 755 "bin/$exe"
  npx vsce package --no-dependencies --target "$t" --out "deckhand-$t-$version.vsix"
done
rm -rf bin
if [ ${#failed[@]} -gt 0 ]; then
  echo "vsix: no package for ${failed[*]}" >&2
  exit 1
fi
