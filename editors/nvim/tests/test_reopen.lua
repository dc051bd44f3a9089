-- A reopened session shown as it was live, against the real deckhand (a new
-- process) and the fake OpenAI: decisions and their reasons, the message's
-- attachments, the files the turn changed with the undo key, and undo from
-- the reopened session; the context gauge comes back too.
local H = require("helpers")
local eq = MiniTest.expect.equality
local has, lacks = H.has, H.lacks

local child = MiniTest.new_child_neovim()
local dirs

local T = H.case_set(child)

local function wait_turns(n)
  H.wait_for(child, ("#T.virt_lines() == %d and not require('deckhand.chat').is_busy()"):format(n), n .. " finished turns")
end

local function reopen()
  child.lua("require('deckhand').stop(3000)")
  H.wait_for(child, "require('deckhand').server_info() == nil", "deckhand to stop")
  child.cmd("DeckhandNew")
  child.cmd("DeckhandSessions")
  H.wait_for(child, "T.waiting ~= nil", "the sessions picker")
  child.lua("T.choose(...)", { child.lua_get("T.last_select()").labels[1] })
  H.wait_chat(child, "continued")
end

T["a reopened session reads as it did live: decisions with reasons, attachments, changed files, gu undoes"] = function()
  dirs = select(2, H.start_logged_in(child, {
    {
      text = "First the config.",
      calls = { { id = "w1", name = "write", arguments = { path = "config.toml", content = "x=1\n" } } },
    },
    {
      text = "Then main.txt.",
      calls = { { id = "e1", name = "edit", arguments = { path = "main.txt", oldString = "old", newString = "new" } } },
    },
    { text = "Done." },
  }, { ["main.txt"] = "old\n", ["notes.txt"] = "a\nb\nc\n" }))
  H.needs(child, "sessions")
  child.cmd("edit " .. dirs.ws .. "/notes.txt")
  child.cmd("2,3DeckhandAdd")
  child.cmd("DeckhandChat tidy this")
  -- Deny the write with a reason, allow the edit.
  H.wait_for(child, "#T.floats() > 0 and T.floats()[1].title:find('write', 1, true)", "the write's review")
  child.lua([[T.input_answers = { "not the config, please" }]])
  child.lua("require('deckhand.permission').answer_waiting('deny')")
  H.wait_for(child, "#T.floats() > 0 and T.floats()[1].title:find('edit', 1, true)", "the edit's review")
  child.lua("require('deckhand.permission').answer_waiting('allow')")
  wait_turns(1)
  eq(H.read_file(dirs.ws .. "/main.txt"), "new\n")
  local live = child.lua_get("T.chat_text()")
  local live_changes = child.lua_get("T.virt_lines('changes')")
  has(live, "✗ write config.toml")
  has(live, "not the config, please")
  has(live, "✓ edit main.txt")
  has(live, "(allowed)")
  has(live, "- notes.txt:2-3")
  eq(live_changes, { "   changed main.txt · gu undoes" })

  reopen()
  local text = child.lua_get("T.chat_text()")
  -- The same transcript under the session's note.
  local body = text:sub((text:find("## You", 1, true)))
  eq(body, live)
  eq(child.lua_get("T.virt_lines('changes')"), live_changes)
  H.wait_screen(child, { "changed main.txt · gu undoes", "The user denied this" })

  -- gu in the reopened chat puts main.txt back and says so.
  child.lua("vim.api.nvim_set_current_win(require('deckhand.chat').chat_win())")
  child.type_keys("gu")
  H.wait_chat(child, "↶ undid the turn's changes")
  eq(H.read_file(dirs.ws .. "/main.txt"), "old\n")
  eq(child.lua_get("T.virt_lines('changes')"), { "   changed main.txt · undone" })
  -- Reopened once more, the turn says it was undone and offers no undo.
  reopen()
  eq(child.lua_get("T.virt_lines('changes')"), { "   changed main.txt · undone" })
  lacks(table.concat(child.lua_get("T.virt_lines('changes')"), "\n"), "gu undoes")
end

T["a call the session's earlier 'allow always' let run says so, live and reopened alike"] = function()
  dirs = select(2, H.start_logged_in(child, {
    { calls = { { id = "w1", name = "write", arguments = { path = "a.txt", content = "a\n" } } } },
    { calls = { { id = "w2", name = "write", arguments = { path = "b.txt", content = "b\n" } } } },
    { text = "Wrote both." },
  }))
  H.needs(child, "sessions")
  child.cmd("DeckhandChat write two files")
  H.wait_for(child, "#T.floats() > 0", "the first review")
  child.lua("require('deckhand.permission').answer_waiting('allowAlways')")
  wait_turns(1)
  eq(H.read_file(dirs.ws .. "/b.txt"), "b\n")
  local live = child.lua_get("T.chat_text()")
  has(live, "✓ write a.txt (1 lines) — wrote")
  has(live, "(always allowed)")
  has(live, "(allowed for the session)")
  reopen()
  local text = child.lua_get("T.chat_text()")
  eq(text:sub((text:find("## You", 1, true))), live)
end

T["a code-mode script's calls go under its exec line, live and reopened alike"] = function()
  local script = 'const out = await tools.exec_command({cmd: "echo nested"});\nreturn out;'
  dirs = select(2, H.start_chatgpt(child, {
    { text = "A script.", calls = { { id = "x1", name = "exec", input = script } } },
    { text = "Done." },
  }))
  H.needs(child, "sessions")
  child.cmd("DeckhandChat use a script")
  H.wait_for(child, "#T.floats() > 0", "the nested command's review")
  child.lua("require('deckhand.permission').answer_waiting('allow')")
  wait_turns(1)
  local live = child.lua_get("T.chat_text()")
  has(live, "exec const out = await tools.exec_command")
  has(live, "(2 lines)")
  has(live, "\n  ↳ ✓ exec_command echo nested")
  reopen()
  local text = child.lua_get("T.chat_text()")
  eq(text:sub((text:find("## You", 1, true))), live)
end

T["a reopened session shows the context gauge of its last turn"] = function()
  dirs = select(2, H.start_logged_in(child, { { text = "Big.", usage = { 136000, 10 } } }))
  H.needs(child, "sessions")
  child.cmd("DeckhandChat first")
  wait_turns(1)
  local live = child.lua_get("require('deckhand.chat').info()")
  reopen()
  local info = child.lua_get("require('deckhand.chat').info()")
  eq(info.context_window, live.context_window)
  eq(info.context_tokens, live.context_tokens)
  has(child.lua_get("require('deckhand.chat').bar_text(200)"), "50%% of 272.0k") -- (a winbar escapes %)
end

T["a message sent again after a failure (gr) reopens once, the failure noted above the answer"] = function()
  dirs = select(2, H.start_logged_in(child, {
    { error = { status = 400, body = '{"error":{"message":"Bad things","type":"invalid_request_error"}}' } },
    { text = "Worked the second time." },
  }))
  H.needs(child, "sessions")
  child.cmd("DeckhandChat try this")
  H.wait_chat(child, "**Error:**")
  child.lua("require('deckhand.chat').retry()")
  wait_turns(1)
  -- Live, the failure reads as it will reopened.
  local live = child.lua_get("T.chat_text()")
  has(live, "Bad things.  (sent again)")
  lacks(live, "(gr sends it again)")
  local live_footers = child.lua_get("T.virt_lines()")
  reopen()
  local text = child.lua_get("T.chat_text()")
  -- The reopened footer counts the turn's steps, as live.
  has(live_footers[1], " · 1 step · ")
  has(child.lua_get("T.virt_lines()")[1], " · 1 step · ")
  text = text:sub((text:find("## You", 1, true)))
  eq(select(2, text:gsub("## You", "")), 1)
  has(text, "try this")
  has(text, "Bad things  (sent again)")
  has(text, "Worked the second time.")
  lacks(text, "(gr sends it again)")
end

return T
