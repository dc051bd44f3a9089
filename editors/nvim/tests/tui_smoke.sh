#!/bin/bash
# The real Neovim TUI in tmux, with Neovim's own picker and prompts, against
# the real deckhand and the fake OpenAI: an API key login whose key is masked,
# a headless login (the device code float), then a chat whose edit is
# reviewed in the diff float (denied with a reason, then allowed), the open
# buffer of the edited file reloaded, undo, a session reopened through the
# picker, :checkhealth deckhand and :help deckhand. Asserts on the captured
# screen; SMOKE_DUMP=prefix keeps each captured screen in prefix.<step>.
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
# A check on the screen captured first: `screen | grep -q` under pipefail
# fails when grep's early exit kills the capture with SIGPIPE.
shows() { local shot; shot=$(screen); grep -qF -- "$1" <<<"$shot"; }
dump() { [ -n "${SMOKE_DUMP:-}" ] && screen >"$SMOKE_DUMP.$1"; return 0; }
fail() {
  echo "tui smoke: $*" >&2
  screen >&2
  exit 1
}
wait_for() {
  for _ in $(seq 1 150); do
    shows "$1" && return 0
    sleep 0.1
  done
  fail "the screen never showed: $1"
}
keys() { tm send-keys -t "$session" "$@"; }
cmd() { keys Escape; keys ":$1" Enter; }

mkdir -p "$d/home" "$d/ws" "$d/rt/doc"
printf 'hello world\nsecond line\n' >"$d/ws/hello.txt"
printf 'old\n' >"$d/ws/old.txt"
printf -- '-- TODO: tidy\nx = 1\n' >"$d/ws/main.txt"
cat >"$d/script.json" <<'JSON'
[
  {"calls": [{"id": "e1", "name": "edit", "arguments": {"path": "hello.txt", "oldString": "hello world", "newString": "hello deckhand"}}]},
  {"text": "Understood, I left it as it is."},
  {"calls": [{"id": "e2", "name": "edit", "arguments": {"path": "hello.txt", "oldString": "hello world", "newString": "hello deckhand"}}]},
  {"text": "Changed the greeting."},
  {"calls": [{"id": "p1", "name": "apply_patch", "input": "*** Begin Patch\n*** Add File: notes/new.md\n+# New notes\n+written by a patch\n*** Update File: hello.txt\n@@\n-hello world\n+hello patch\n*** Delete File: old.txt\n*** End Patch"}]},
  {"text": "Patched three files."},
  {"calls": [{"id": "x1", "name": "exec_command", "arguments": {"cmd": "for i in 1 2 3 4 5 6; do echo step-$i; sleep 0.5; done", "sandbox_permissions": "require_escalated", "justification": "prints slowly, to show streaming", "yield_time_ms": 10000}}]},
  {"text": "Counted.", "usage": [230000, 100]},
  {"calls": [{"id": "d1", "name": "edit", "arguments": {"path": "main.txt", "oldString": "x = 1", "newString": "x = undefined_name"}}]},
  {"text": "Edited main.txt."}
]
JSON
mkfifo "$d/in"
"$DECKHAND_FAKEUPSTREAM" --script "$d/script.json" --auto-approve 3 --rate-limits <"$d/in" >"$d/urls" &
exec 3>"$d/in"
for _ in $(seq 1 100); do [ -s "$d/urls" ] && break; sleep 0.1; done
url() { grep -o "\"$1\":\"[^\"]*\"" "$d/urls" | head -1 | cut -d'"' -f4; }
issuer=$(url issuer)
[ -n "$issuer" ] || { echo "tui smoke: fakeupstream did not start" >&2; exit 1; }

# The help file is copied so that :helptags writes nowhere in the checkout.
cp "$here/doc/deckhand.txt" "$d/rt/doc/"
cat >"$d/init.lua" <<LUA
vim.opt.runtimepath:prepend("$here")
vim.opt.runtimepath:append("$d/rt")
vim.cmd("helptags $d/rt/doc")
vim.o.swapfile = false
-- A language server of the test's own for main.txt: an error on a line
-- that uses undefined_name, a warning on a TODO, published through
-- vim.diagnostic a moment after each change, as a real one does.
local ls = vim.api.nvim_create_namespace("smoke.ls")
local function check(buf)
  local list = {}
  for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if l:find("undefined_name", 1, true) then
      list[#list + 1] = { lnum = i - 1, col = 0, severity = vim.diagnostic.severity.ERROR, message = "undefined: undefined_name", source = "smokels" }
    elseif l:find("TODO", 1, true) then
      list[#list + 1] = { lnum = i - 1, col = 0, severity = vim.diagnostic.severity.WARN, message = "a TODO is left", source = "smokels" }
    end
  end
  vim.defer_fn(function() vim.diagnostic.set(ls, buf, list) end, 200)
end
vim.api.nvim_create_autocmd("BufReadPost", {
  pattern = "*/main.txt",
  callback = function(ev)
    check(ev.buf)
    vim.api.nvim_buf_attach(ev.buf, false, { on_lines = function(_, b) vim.schedule(function() check(b) end) end })
  end,
})
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

tm new-session -d -s "$session" -x 140 -y 40 -c "$d/ws" \
  "env TERM=xterm-256color XDG_STATE_HOME=$d/state XDG_DATA_HOME=$d/data $NVIM_BIN -u $d/init.lua -i NONE -n hello.txt"
wait_for "hello world"

# 0. First run: the chat says there is no login before the first message.
cmd DeckhandChat
wait_for "Not logged in · gl logs in"
dump first-run
keys Escape
cmd DeckhandToggle

# 1. Log in with an API key (masked), then with the device code.
cmd DeckhandLogin
wait_for "Type number"
for label in "1: ChatGPT Plus/Pro (browser)" "2: ChatGPT Plus/Pro (headless)" "3: Manually enter API key"; do
  shows "$label" || fail "picker lacks $label"
done
keys '3' Enter
wait_for "OpenAI API key:"
keys 'sk-fake'
wait_for "OpenAI API key: *******"
shows "sk-fake" && fail "the API key is shown"
keys Enter
wait_for "logged in with an API key"
grep -qE '"key": *"sk-fake"' "$d/home/auth.json" || fail "key not stored"
cmd DeckhandLogin
wait_for "Type number"
keys '2' Enter
wait_for "Code:"
dump login
shows "$issuer/codex/device" || fail "no URL in the float"
wait_for "logged in with ChatGPT"

# 2. A chat whose edit is reviewed: the diff float, denied with a reason.
cmd "DeckhandChat change the greeting in hello.txt"
wait_for "deckhand wants to edit hello.txt"
wait_for "+hello deckhand"
shows "-hello world" || fail "the diff lacks the removed line"
shows ":DeckhandReview (g4 in the chat) to answer" || fail "the float does not say how to answer it"
dump review
# The float does not take the cursor: the user goes there.
cmd DeckhandReview
wait_for "a allow"
dump review-focused
keys d
wait_for "Reason for deckhand (optional):"
keys 'keep the old greeting' Enter
wait_for "Understood, I left it as it is."
wait_for "✗ edit hello.txt"
screen | grep -F "✗ edit hello.txt" >"$d/line"
grep -qF "keep the old greeting" "$d/line" || fail "the denied tool line lacks the reason: $(cat "$d/line")"
shows "end_turn" || fail "no footer after the first turn"
grep -q "hello world" "$d/ws/hello.txt" || fail "the denied edit changed the file"

# 3. Asked again: allowed; the open buffer shows the new text.
cmd "DeckhandChat do it anyway"
wait_for "deckhand wants to edit hello.txt"
cmd DeckhandReview
wait_for "a allow"
keys a
wait_for "Changed the greeting."
grep -q "hello deckhand" "$d/ws/hello.txt" || fail "the allowed edit did not change the file"
wait_for "hello deckhand"
dump chat
# The file's window (the left one) shows the reloaded text, unmodified.
keys Escape
keys C-w t
cmd 'lua vim.fn.writefile({vim.api.nvim_buf_get_lines(0,0,1,false)[1], tostring(vim.bo.modified)}, "'"$d"'/buf")'
for _ in $(seq 1 50); do [ -s "$d/buf" ] && break; sleep 0.1; done
[ "$(cat "$d/buf")" = "$(printf 'hello deckhand\nfalse')" ] || fail "the edited buffer was not reloaded: $(cat "$d/buf")"

# 4. Undo and reopening a session need protocol 1.1 sessions/undo.
cmd 'lua vim.fn.writefile({vim.json.encode((require("deckhand").server_info() or {}).capabilities or {})}, "'"$d"'/caps")'
for _ in $(seq 1 50); do [ -s "$d/caps" ] && break; sleep 0.1; done
if grep -q '"undo":true' "$d/caps"; then
  cmd DeckhandUndo
  wait_for "restored 1 file"
  grep -q "hello world" "$d/ws/hello.txt" || fail "undo did not restore the file"
  keys C-w t
  wait_for "hello world"
  dump undo
else
  echo "tui smoke: skipped undo: this deckhand does not announce the undo capability"
fi
if grep -q '"sessions":true' "$d/caps"; then
  # The live transcript, kept in a buffer on the left, beside the session
  # reopened on the right: they read the same (decisions and reasons,
  # changed files, undone).
  dump live
  cmd 'lua local l = vim.api.nvim_buf_get_lines(require("deckhand.chat").buffer(), 0, -1, false); vim.cmd("wincmd t | enew"); vim.api.nvim_buf_set_lines(0, 0, -1, false, vim.list_extend({"(live, copied)"}, l)); vim.bo.filetype = "markdown"; vim.bo.modified = false; vim.bo.buftype = "nofile"'
  cmd DeckhandNew
  cmd DeckhandSessions
  wait_for "Type number"
  dump picker
  keys '1' Enter
  wait_for "## You"
  wait_for "change the greeting in hello.txt"
  wait_for "changed hello.txt · undone"
  wait_for "(live, copied)"
  dump sessions
  dump reopened-beside-live
else
  echo "tui smoke: skipped sessions: this deckhand does not announce the sessions capability"
fi

# 5. The model picker and then the effort picker, with Neovim's own
# vim.ui.select: the choice is said without a "Press ENTER" stop.
cmd DeckhandModels
wait_for "Type number"
keys '1' Enter
wait_for "Reasoning effort for"
keys '1' Enter
wait_for "chat uses"
dump models
shows "Press ENTER" && fail "the pickers end at a Press ENTER prompt"

# 6. Protocol 1.2: an apply_patch review lists every file; a command's
# output streams under its tool line; the plan limits are in the winbar.
if grep -q '"nativeTools":true' "$d/caps"; then
  cmd "DeckhandChat patch three files"
  wait_for "deckhand wants to patch: change 3 files"
  wait_for "# 1/3 add notes/new.md"
  shows "# 2/3 update hello.txt" || fail "the patch review lacks hello.txt"
  shows "# 3/3 delete old.txt" || fail "the patch review lacks old.txt"
  dump patch-review
  cmd DeckhandReview
  wait_for "a allow"
  keys a
  wait_for "Patched three files."
  [ -f "$d/ws/old.txt" ] && fail "the patch did not delete old.txt"
  cmd "DeckhandChat count slowly"
  wait_for "deckhand wants to run a command"
  wait_for "# runs OUTSIDE the sandbox"
  shows "# why: prints slowly, to show streaming" || fail "the command review lacks the justification"
  dump exec-review
  cmd DeckhandReview
  wait_for "a allow"
  keys a
  wait_for "│ step-2"
  shows "Counted." && fail "the output showed only once the command ended"
  dump streaming
  wait_for "Counted."
  wait_for "5h 12% · weekly 40%"
  dump limits
  # The context gauge: the last turn reported 230k tokens in.
  wait_for "ctx ▰▰"
  dump gauge

  # 6b. Diagnostics from the editor: main.txt open on the left with its
  # language server's warning; the edit introduces an error, which deckhand
  # tells the model (it is in the session's history: the reopened call's
  # output shows it).
  keys Escape
  keys C-w t
  cmd "edit $d/ws/main.txt"
  wait_for "a TODO is left"
  cmd "DeckhandChat break main.txt"
  wait_for "deckhand wants to edit main.txt"
  cmd DeckhandReview
  wait_for "a allow"
  keys a
  wait_for "Edited main.txt."
  wait_for "undefined: undefined_name"
  dump diagnostics-live
  cmd DeckhandNew
  cmd DeckhandSessions
  wait_for "Type number"
  keys '1' Enter
  wait_for "Edited main.txt."
  cmd 'lua vim.api.nvim_set_current_win(require("deckhand.chat").chat_win()); local r = vim.fn.search("✓ edit main.txt"); vim.cmd((r + 1) .. "foldopen"); vim.cmd("normal! zt")'
  wait_for "language servers report problems this change introduced"
  shows "main.txt:2: error: undefined: undefined_name (smokels)" || fail "the reopened call lacks what the model was told"
  shows "warning: a TODO is left" && fail "the model was told of a problem that was there before"
  dump diagnostics-reopened
else
  echo "tui smoke: skipped 1.2: this deckhand does not announce nativeTools"
fi

# 7. :checkhealth deckhand and :help deckhand.
cmd "tabnew | checkhealth deckhand"
wait_for "deckhand: binary"
wait_for "logged in with ChatGPT"
shows "OK deckhand: $DECKHAND_BIN" || fail "health does not show the binary"
shows "treesitter markdown" || fail "health does not check the parser"
dump health
cmd "tabnew | help deckhand"
wait_for "deckhand.txt [Help]"
wait_for "deckhand is a headless coding agent"
cmd "help :DeckhandUndo"
wait_for "Undoes the file changes of the session's last turn"
dump help
echo "tui smoke: ok"
