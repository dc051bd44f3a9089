#!/usr/bin/env bash
# Installs what deckhand's tests and benchmarks need beyond Go itself.
#   scripts/test-deps.sh test    the test suite: bash, git, tmux
#   scripts/test-deps.sh bench   the benchmarks: also ripgrep (to compare grep with)
set -euo pipefail
want=(bash git tmux)
[ "${1:-test}" = bench ] && want+=(ripgrep)
missing=()
for p in "${want[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "deckhand: please install: ${missing[*]}" >&2; exit 1
fi
SUDO=; [ "$(id -u)" != 0 ] && SUDO=sudo
echo "deckhand: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
