#!/bin/bash
# Smoke test of the real Neovim TUI in tmux, with Neovim's own picker and
# prompts: an API key login whose key is masked on screen, then a headless
# login (the device code float, the login reported), then :DeckhandChat
# streaming the fake model's reply into the chat buffer.
# Needs DECKHAND_BIN, DECKHAND_FAKEUPSTREAM and NVIM_BIN (scripts/test.sh sets them).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
: "${DECKHAND_BIN:?}" "${DECKHAND_FAKEUPSTREAM:?}" "${NVIM_BIN:?}"
d=$(mktemp -d)
sock=deckhand-nvim-$$
session=smoke
tm() { tmux -L "$sock" "$@"; }
cleanup() {
  tm kill-server 2>/dev/null
  exec 3>&- 2>/dev/null
  wait 2>/dev/null
  rm -rf "$d"
}
trap cleanup EXIT
screen() { tm capture-pane -p -t "$session"; }
wait_for() {
  for _ in $(seq 1 150); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "tui smoke: the screen never showed: $1" >&2
  screen >&2
  return 1
}

mkdir -p "$d/home" "$d/ws"
echo '[{"text":"Hello from the fake model."}]' >"$d/script.json"
mkfifo "$d/in"
"$DECKHAND_FAKEUPSTREAM" --script "$d/script.json" --auto-approve 3 <"$d/in" >"$d/urls" &
exec 3>"$d/in"
for _ in $(seq 1 100); do [ -s "$d/urls" ] && break; sleep 0.1; done
url() { grep -o "\"$1\":\"[^\"]*\"" "$d/urls" | cut -d'"' -f4; }
issuer=$(url issuer)
[ -n "$issuer" ] || { echo "tui smoke: fakeupstream did not start" >&2; exit 1; }

cat >"$d/init.lua" <<LUA
vim.opt.runtimepath:prepend("$here")
require("deckhand").setup({
  cmd = "$DECKHAND_BIN",
  workspace_root = "$d/ws",
  env = {
    DECKHAND_HOME = "$d/home", DECKHAND_AUTH_ISSUER = "$issuer",
    DECKHAND_CODEX_BASE_URL = "$(url codex)", OPENAI_BASE_URL = "$(url api)", OPENAI_API_KEY = "",
    DECKHAND_LOG_FILE = "$d/home/deckhand.log",
  },
})
LUA

tm new-session -d -s "$session" -x 100 -y 30 \
  "env TERM=xterm-256color $NVIM_BIN -u $d/init.lua -i NONE -n"
wait_for "~" || exit 1
tm send-keys -t "$session" ':DeckhandLogin' Enter
wait_for "Type number" || exit 1
for label in "1: ChatGPT Plus/Pro (browser)" "2: ChatGPT Plus/Pro (headless)" "3: Manually enter API key"; do
  screen | grep -qF "$label" || { echo "tui smoke: picker lacks $label" >&2; screen >&2; exit 1; }
done
tm send-keys -t "$session" '3' Enter
wait_for "OpenAI API key:" || exit 1
tm send-keys -t "$session" 'sk-fake'
wait_for "OpenAI API key: *******" || exit 1
screen | grep -qF "sk-fake" && { echo "tui smoke: the API key is shown" >&2; exit 1; }
tm send-keys -t "$session" Enter
wait_for "logged in with an API key" || exit 1
grep -qE '"key": *"sk-fake"' "$d/home/auth.json" || { echo "tui smoke: key not stored" >&2; exit 1; }

tm send-keys -t "$session" ':DeckhandLogin' Enter
wait_for "Type number" || exit 1
tm send-keys -t "$session" '2' Enter
wait_for "Code:" || exit 1
screen >"${SMOKE_DUMP:-/dev/null}.login"
screen | grep -q "│.*$issuer/codex/device" || { echo "tui smoke: no URL in the float" >&2; screen >&2; exit 1; }
wait_for "logged in with ChatGPT" || exit 1
tm send-keys -t "$session" ':DeckhandChat say hello' Enter
wait_for "end_turn" || exit 1
screen | grep -qF "Hello from the fake model." || { echo "tui smoke: reply missing" >&2; screen >&2; exit 1; }
screen >"${SMOKE_DUMP:-/dev/null}"
echo "tui smoke: ok"
