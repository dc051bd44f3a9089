#!/bin/bash
# Runs the Neovim plugin's tests: builds deckhand and its fake of OpenAI,
# installs Neovim 0.10 and mini.test into $DECKHAND_CACHE/nvim when missing
# (~/.cache/deckhand unless set: kept across clones, as Go's module cache is),
# runs luacheck on the plugin (installing Debian's lua-check when missing),
# the mini.test suite (a child Neovim per case, against the real binary)
# and the tmux smoke test of the real TUI, and ends with one line
# "N passed, N failed". Exits non-zero on any failure.
#
# Environment: NVIM (use this nvim instead of the cached one), TEST_FILTER
# (a Lua pattern of case names), SKIP_TMUX=1 (leave out the TUI test).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${DECKHAND_CACHE:-$HOME/.cache/deckhand}

fail() { echo "$*" >&2; echo "0 passed, 1 failed"; exit 1; }

make -s -C "$repo" build || fail "make build failed"
# Built into this checkout's bin/, not the shared cache: checkouts of other
# branches would overwrite one another's fake there.
go -C "$repo" build -o "$repo/bin/fakeupstream" ./cmd/fakeupstream || fail "building fakeupstream failed"
"$here/scripts/install-nvim.sh" "$cache/nvim" || fail "installing Neovim failed"

export DECKHAND_BIN=$repo/bin/deckhand
export DECKHAND_FAKEUPSTREAM=$repo/bin/fakeupstream
export MINI_TEST_DIR=$cache/nvim/root/usr/share/neovim-mini.test
nvim=${NVIM:-$cache/nvim/bin/nvim}
export NVIM_BIN=$nvim
# Keep the suite's Neovims away from the user's own state and config.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_CONFIG_HOME=$scratch/config XDG_DATA_HOME=$scratch/data XDG_STATE_HOME=$scratch/state XDG_CACHE_HOME=$scratch/cache

passed=0 failed=0
log=$scratch/suite.log
cd "$here"

# The linter counts as one case: undefined globals and unused names fail it
# (configuration: .luacheckrc).
if ! command -v luacheck >/dev/null; then
  SUDO=; [ "$(id -u)" != 0 ] && SUDO=sudo
  # another apt may hold the dpkg lock for a while: wait for it rather than fail
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq lua-check >/dev/null
fi
if ! command -v luacheck >/dev/null; then
  echo "luacheck: not installed (Debian package lua-check)" >&2
  failed=$((failed + 1))
elif luacheck --no-color --formatter plain .; then
  echo "luacheck: ok"
  passed=$((passed + 1))
else
  echo "luacheck: the plugin has warnings (above)" >&2
  failed=$((failed + 1))
fi

timeout 300 "$nvim" --headless --noplugin -u tests/minimal_init.lua -c "luafile tests/run.lua" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
if [ -n "$line" ]; then
  passed=$((passed + $(echo "$line" | awk '{print $1}')))
  failed=$((failed + $(echo "$line" | awk '{print $3}')))
fi
if [ "$rc" -ne 0 ] && [ -z "$line" -o "$(echo "$line" | awk '{print $3}')" = 0 ]; then
  echo "the mini.test run ended with status $rc" >&2
  failed=$((failed + 1))
fi

if [ "${SKIP_TMUX:-}" != 1 ] && [ -z "${TEST_FILTER:-}" ]; then
  if "$here/tests/tui_smoke.sh"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
