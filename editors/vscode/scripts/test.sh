#!/bin/bash
# Runs every test of the VS Code extension and ends with "N passed, N failed":
#   lint     ESLint over the sources, tests and scripts (eslint.config.mjs)
#   layer 1  node:test with a stubbed vscode module, against the real deckhand
#   layer 2  the linux-x64 package (bundled extension + deckhand binary) with vsce
#   layer 3  that package in a real workbench (code-server + Chromium +
#            playwright-core), with no deckhand on PATH; screenshots of the
#            main states go to test-results/
# Tools are installed when missing and cached under $DECKHAND_CACHE
# (code-server; ~/.cache/deckhand unless set, kept across clones as Go's
# module cache is)
# and node_modules; apt-get is used only for Chromium and code-server's build
# dependencies. Set DECKHAND_UI=0 to skip layer 3.
set -uo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${DECKHAND_CACHE:-$HOME/.cache/deckhand}
cd "$HERE"

passed=0
failed=0
skipped=0
# count reads node:test's TAP summary from a log.
count() {
  local p f
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$1" | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$1" | tail -1)
  s=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$1" | tail -1)
  if [ -z "$p" ]; then p=0; f=$((${f:-0} + 1)); fi # no summary: the run itself broke
  passed=$((passed + p)); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
}
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

echo "== build"
mkdir -p "$CACHE/vscode"
make -C "$REPO" build >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
# Built beside bin/deckhand, not in the cache that several checkouts share:
# the fake must be this checkout's, as deckhand is.
(cd "$REPO" && go build -o "$REPO/bin/fakeupstream" ./cmd/fakeupstream) || { echo "0 passed, 1 failed"; exit 1; }
export DECKHAND_BIN=$REPO/bin/deckhand FAKEUPSTREAM_BIN=$REPO/bin/fakeupstream
if [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
npx tsc -p . && npx tsc -p tsconfig.webview.json && node scripts/bundle.mjs || { echo "0 passed, 1 failed"; exit 1; }

echo "== lint: eslint (eslint.config.mjs)"
if npx eslint --max-warnings 0 . >"$LOGS/lint.log" 2>&1; then
  echo "ok - eslint"; passed=$((passed + 1))
else
  cat "$LOGS/lint.log"; echo "not ok - eslint"; failed=$((failed + 1))
fi

echo "== layer 1: node:test (stubbed vscode, real deckhand)"
node --test --require ./out/test/support/vscode-stub-register.js out/test/*.test.js 2>&1 | tee "$LOGS/unit.log" | grep -E '^(not )?ok |^# (pass|fail)'
count "$LOGS/unit.log"
grep -q '^not ok' "$LOGS/unit.log" && sed -n '/^not ok/,/^  \.\.\./p' "$LOGS/unit.log" | head -60

echo "== layer 2: vsix (linux-x64)"
version=$(node -p 'require("./package.json").version')
VSIX=$HERE/deckhand-linux-x64-$version.vsix
rm -f "$VSIX"
if bash scripts/vsix.sh linux-x64 >"$LOGS/vsix.log" 2>&1 && unzip -l "$VSIX" >"$LOGS/list" &&
  grep -q 'extension/dist/extension.js' "$LOGS/list" && grep -q 'extension/dist/webview.js' "$LOGS/list" &&
  grep -q 'extension/bin/deckhand$' "$LOGS/list" && ! grep -qE 'extension/(node_modules|src|out|test)/' "$LOGS/list"; then
  echo "ok - packaged $(basename "$VSIX") ($(tail -1 "$LOGS/list" | awk '{print $2}') files: the bundle, the media, the binary)"; passed=$((passed + 1))
else
  cat "$LOGS/vsix.log" "$LOGS/list" 2>/dev/null | tail -30; echo "not ok - vsce package"; failed=$((failed + 1))
fi

if [ "${DECKHAND_UI:-1}" != 0 ] && [ -f "$VSIX" ]; then
  echo "== layer 3: code-server + Chromium"
  if ! command -v chromium >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1
  fi
  if bash scripts/install-code-server.sh "$CACHE/code-server" >"$LOGS/cs.log" 2>&1 && [ -x /usr/lib/chromium/chromium ]; then
    CODE_SERVER=$CACHE/code-server/node_modules/.bin/code-server VSIX=$VSIX CHROMIUM=/usr/lib/chromium/chromium \
      SHOT_DIR=$HERE/test-results node --test --test-concurrency=1 out/test/ui/*.test.js 2>&1 | tee "$LOGS/ui.log" | grep -E '^(not )?ok |^# (pass|fail|skipped)|screenshot:|measure:|rror'
    count "$LOGS/ui.log"
  else
    tail -20 "$LOGS/cs.log"; echo "not ok - installing code-server or Chromium"; failed=$((failed + 1))
  fi
fi

[ "$skipped" -gt 0 ] && echo "($skipped skipped: see the SKIP lines above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
