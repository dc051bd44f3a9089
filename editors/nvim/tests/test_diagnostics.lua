-- Diagnostics from the editor (protocol 1.2, §20) against the real deckhand
-- and the fake OpenAI: the plugin declares capabilities.diagnostics and
-- answers diagnostics/request from vim.diagnostic; the model's next request
-- holds the problem the change introduced, and not the one that was there.
local H = require("helpers")
local eq = MiniTest.expect.equality
local has, lacks = H.has, H.lacks

local child = MiniTest.new_child_neovim()
local fake, dirs

local T = H.case_set(child)

local function edit_call(id, path, old, new)
  return { id = id, name = "edit", arguments = { path = path, oldString = old, newString = new } }
end

-- In the child: a "language server" of the test's own: a namespace whose
-- diagnostics of main.txt follow its text, published a moment after each
-- change (as a real server does), through vim.diagnostic.set.
local FAKE_SERVER = [[
  local ns = vim.api.nvim_create_namespace("test.server")
  T.published = 0
  local function check(buf)
    local list = {}
    for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
      if l:find("TODO", 1, true) then
        list[#list + 1] = { lnum = i - 1, col = 0, severity = vim.diagnostic.severity.WARN, message = "a TODO is left", source = "testls" }
      end
      if l:find("undefined_name", 1, true) then
        list[#list + 1] = { lnum = i - 1, col = 0, end_lnum = i - 1, severity = vim.diagnostic.severity.ERROR, message = "undefined: undefined_name", source = "testls" }
      end
      if l:find("hint", 1, true) then
        list[#list + 1] = { lnum = i - 1, col = 0, severity = vim.diagnostic.severity.HINT, message = "a hint, not sent", source = "testls" }
      end
    end
    vim.defer_fn(function()
      vim.diagnostic.set(ns, buf, list)
      T.published = T.published + 1
    end, 200)
  end
  -- Like a language client: told of every change of the buffer's lines.
  vim.api.nvim_create_autocmd("BufReadPost", {
    pattern = "*/main.txt",
    callback = function(ev)
      check(ev.buf)
      vim.api.nvim_buf_attach(ev.buf, false, {
        on_lines = function(_, b) vim.schedule(function() check(b) end) end,
        on_reload = function(_, b) vim.schedule(function() check(b) end) end,
      })
    end,
  })
]]

T["diagnostics/request: the error an edit introduced reaches the model, the warning that was there does not"] = function()
  fake, dirs = H.start_logged_in(child, {
    { calls = { edit_call("e1", "main.txt", "x = 1", "x = undefined_name") } },
    { text = "Edited." },
  }, { ["main.txt"] = "-- TODO: tidy\nx = 1\nhint here\n" })
  child.lua(FAKE_SERVER)
  H.needs(child, "diagnostics")
  -- The file is open, as the user has it, with the warning already there.
  child.cmd("edit " .. dirs.ws .. "/main.txt")
  H.wait_for(child, "T.published >= 1", "the first diagnostics")
  child.cmd("DeckhandChat fix main.txt")
  H.wait_for(child, "#T.floats() > 0", "the review float")
  child.lua("require('deckhand.permission').answer_waiting('allow')")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the end of the turn")
  eq(H.read_file(dirs.ws .. "/main.txt"), "-- TODO: tidy\nx = undefined_name\nhint here\n")
  local reqs = fake.model_requests()
  eq(#reqs, 2)
  has(reqs[2], "language servers report problems this change introduced")
  has(reqs[2], "main.txt:2: error: undefined: undefined_name (testls)")
  lacks(reqs[2], "a TODO is left")
  lacks(reqs[2], "a hint, not sent")
  -- The chat shows the edit as it came, without the model's note.
  lacks(child.lua_get("T.chat_text()"), "undefined: undefined_name")
end

T["diagnostics/request for a file no buffer holds: loaded, and its problems answered"] = function()
  fake, dirs = H.start_logged_in(child, {
    { calls = { edit_call("e1", "main.txt", "x = 1", "x = undefined_name") } },
    { text = "Edited." },
  }, { ["main.txt"] = "x = 1\n" })
  child.lua(FAKE_SERVER)
  H.needs(child, "diagnostics")
  child.cmd("DeckhandChat fix main.txt")
  H.wait_for(child, "#T.floats() > 0", "the review float")
  child.lua("require('deckhand.permission').answer_waiting('allow')")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the end of the turn")
  has(fake.model_requests()[2], "main.txt:1: error: undefined: undefined_name (testls)")
end

T["with diagnostics = false the plugin does not declare the capability and nothing is added"] = function()
  fake, dirs = H.start_logged_in(child, {
    { calls = { edit_call("e1", "main.txt", "x = 1", "x = undefined_name") } },
    { text = "Edited." },
  }, { ["main.txt"] = "x = 1\n" }, { diagnostics = false })
  child.lua(FAKE_SERVER)
  child.cmd("edit " .. dirs.ws .. "/main.txt")
  child.cmd("DeckhandChat fix main.txt")
  H.wait_for(child, "#T.floats() > 0", "the review float")
  child.lua("require('deckhand.permission').answer_waiting('allow')")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the end of the turn")
  lacks(fake.model_requests()[2], "undefined: undefined_name")
end

return T
