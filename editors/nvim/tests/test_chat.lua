-- Chat turns against the real deckhand and the fake OpenAI: streamed text,
-- tool lines, the stop reason, follow-ups in the same session, permission
-- answers and cancelling a stalled turn.
local H = require("helpers")
local expect, eq = MiniTest.expect, MiniTest.expect.equality

local child = MiniTest.new_child_neovim()
local fake, dirs

local function start(steps, files)
  fake = H.start_fake(steps)
  dirs = H.new_dirs({ api_key = "sk-fake", files = files })
  H.setup_child(child, fake, dirs)
end

local function has(text, s)
  expect.no_equality(text:find(s, 1, true), nil)
end

local T = H.case_set(child)

T["streams text, shows the read call and result, ends with the stop reason"] = function()
  start({
    { reasoning = "Pondering the file.", text = "Let me read the file.", calls = { { id = "c1", name = "read", arguments = { path = "hello.txt" } } }, delayMs = 5 },
    { text = "The file greets the world.", delayMs = 5 },
    { text = "Still here." },
  }, { ["hello.txt"] = "hello world\n" })
  child.cmd("DeckhandChat what does hello.txt say?")
  H.wait_chat(child, "end_turn")
  local text = child.lua_get("T.chat_text()")
  has(text, "## You\n\nwhat does hello.txt say?")
  has(text, "> thinking: Pondering the file.\nLet me read the file.")
  has(text, "[tool] read path=hello.txt")
  has(text, "[ok] read: 1\thello world")
  has(text, "The file greets the world.")
  has(text, "-- end_turn · 2 steps")
  -- Order: text, call, result, text, stop reason.
  local order = { "Let me read", "[tool] read", "[ok] read", "The file greets", "end_turn" }
  local at = 0
  for _, s in ipairs(order) do
    local i = text:find(s, at + 1, true)
    expect.no_equality(i, nil)
    at = i
  end
  eq(child.lua_get("vim.bo[require('deckhand.chat').buffer()].filetype"), "markdown")
  -- The chat buffer is on screen with the reply.
  H.wait_screen(child, { "The file greets the world." })

  -- A follow-up stays in the same session.
  local sid = child.lua_get("require('deckhand.chat').session_id()")
  expect.no_equality(sid, vim.NIL)
  child.cmd("DeckhandChat and now?")
  H.wait_for(child, "select(2, T.chat_text():gsub('end_turn', '')) == 2", "the second turn")
  has(child.lua_get("T.chat_text()"), "Still here.")
  eq(child.lua_get("require('deckhand.chat').session_id()"), sid)
end

T["a failed tool shows as failed"] = function()
  start({
    { calls = { { id = "c1", name = "read", arguments = { path = "missing.txt" } } } },
    { text = "No such file." },
  })
  child.cmd("DeckhandChat read missing.txt")
  H.wait_chat(child, "end_turn")
  has(child.lua_get("T.chat_text()"), "[failed] read:")
end

local function permission_case(choice, decision)
  start({
    { text = "Writing it.", calls = { { id = "w1", name = "write", arguments = { path = "out.txt", content = "written by deckhand\n" } } } },
    { text = "Done." },
  })
  child.cmd("DeckhandChat create out.txt")
  H.wait_for(child, "T.waiting ~= nil", "the permission prompt")
  local sel = child.lua_get("T.last_select()")
  eq(sel.labels, { "Allow", "Allow always", "Deny" })
  has(sel.prompt, "write")
  has(sel.prompt, "out.txt")
  child.lua("T.choose(...)", { choice })
  H.wait_chat(child, "end_turn")
  has(child.lua_get("T.chat_text()"), "[permission] write: " .. decision)
end

T["permission: Deny leaves the file absent"] = function()
  permission_case("Deny", "deny")
  eq(H.read_file(dirs.ws .. "/out.txt"), nil)
  has(child.lua_get("T.chat_text()"), "[failed] write:")
end

T["permission: Allow writes the file"] = function()
  permission_case("Allow", "allow")
  eq(H.read_file(dirs.ws .. "/out.txt"), "written by deckhand\n")
  has(child.lua_get("T.chat_text()"), "[ok] write:")
end

T["cancelling while a permission prompt is open withdraws it"] = function()
  start({
    { calls = { { id = "w1", name = "write", arguments = { path = "late.txt", content = "x" } } } },
    { text = "Never reached." },
  })
  child.cmd("DeckhandChat write late.txt")
  H.wait_for(child, "T.waiting ~= nil", "the permission prompt")
  child.cmd("DeckhandCancel")
  H.wait_chat(child, "-- cancelled")
  H.wait_chat(child, "[permission] write: withdrawn")
  eq(child.lua_get("require('deckhand.permission').pending()"), 0)
  -- A late answer to the withdrawn prompt changes nothing.
  child.lua([[T.choose("Allow")]])
  eq(H.read_file(dirs.ws .. "/late.txt"), nil)
end

T["cancel stops a stalled turn and shows cancelled"] = function()
  start({ { text = "Thinking hard", stall = true }, { text = "After cancel." } })
  child.cmd("DeckhandChat take your time")
  H.wait_chat(child, "Thinking hard")
  eq(child.lua_get("require('deckhand.chat').is_busy()"), true)
  child.cmd("DeckhandCancel")
  H.wait_chat(child, "-- cancelled")
  eq(child.lua_get("require('deckhand.chat').is_busy()"), false)
  -- The session stays usable.
  child.cmd("DeckhandChat go on")
  H.wait_chat(child, "After cancel.")
end

T["a second message while a turn runs is refused politely"] = function()
  start({ { text = "Slow", stall = true } })
  child.cmd("DeckhandChat one")
  H.wait_chat(child, "Slow")
  child.cmd("DeckhandChat two")
  H.wait_for(child, "T.notes_text():find('still answering', 1, true)")
  child.cmd("DeckhandCancel")
  H.wait_chat(child, "-- cancelled")
end

return T
