#!/bin/bash
# The ACP acceptance suite: the official ACP client library
# (@agentclientprotocol/sdk) drives the built `deckhand acp` against the fake
# of OpenAI (cmd/fakeupstream). Ends with node:test's summary and a line
# "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$HERE"

fail() { echo "$1"; echo "0 passed, 1 failed"; exit 1; }
make -C "$REPO" build >/dev/null || fail "build of deckhand failed"
mkdir -p "$HERE/out"
(cd "$REPO" && go build -o "$HERE/out/fakeupstream" ./cmd/fakeupstream) || fail "build of fakeupstream failed"
export DECKHAND_BIN=$REPO/bin/deckhand FAKEUPSTREAM_BIN=$HERE/out/fakeupstream
if [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund >/dev/null || fail "npm ci failed"
fi
npx tsc -p . || fail "tsc failed"

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
node --test --test-concurrency=2 out/test/*.test.js 2>&1 | tee "$LOG" | grep -E '^(not )?ok |^# (tests|pass|fail)|^# ---|^# [a-z{]' | grep -v '^# Subtest'
p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$LOG" | tail -1)
f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$LOG" | tail -1)
if [ -z "$p" ]; then p=0; f=$((${f:-0} + 1)); fi
echo "${p} passed, ${f:-0} failed"
[ "${f:-0}" -eq 0 ]
