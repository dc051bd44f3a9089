-- MCP servers and the approval policy (protocol 1.2) against the real
-- deckhand and the fake OpenAI: :DeckhandMcp lists the servers and follows
-- mcp/status as they start; the policy picker's choice goes with the turn and
-- shows in the window bar; a command that ran in the sandbox says so.
local H = require("helpers")
local eq = MiniTest.expect.equality
local has, lacks = H.has, H.lacks

local child = MiniTest.new_child_neovim()

local T = H.case_set(child)

local MCP_SERVER = H.plugin_dir .. "/tests/mcp_server.lua"
local NVIM = os.getenv("NVIM_BIN") or vim.v.progpath

local function wait_turns(n)
  H.wait_for(child, ("#T.virt_lines() == %d and not require('deckhand.chat').is_busy()"):format(n), n .. " finished turns")
end

local BAR = [[(function()
  local win = require('deckhand.chat').chat_win()
  return vim.api.nvim_eval_statusline(vim.wo[win].winbar, { winid = win, use_winbar = true }).str
end)()]]

T[":DeckhandMcp lists the servers, stopped before a turn, and follows mcp/status as they start or fail"] = function()
  local fake = H.start_logged_in(child, { { text = "Hi." } }, nil, {
    mcp_servers = {
      echo = { command = NVIM, args = { "--clean", "--headless", "-l", MCP_SERVER } },
      broken = { command = "/nonexistent/mcp-server" },
    },
  })
  H.needs(child, "mcp")
  child.cmd("DeckhandMcp")
  local before = H.wait_for(child, "#require('deckhand.mcp').servers() == 2 and T.float_text()", "the servers listed")
  has(before, "deckhand MCP servers")
  has(before, "○ echo · stopped · stdio · client · 0 tools")
  has(before, "○ broken · stopped")
  -- The float stays open while a turn starts the servers.
  child.lua("require('deckhand.chat').send('hello')")
  wait_turns(1)
  local after = H.wait_for(child, "T.float_text():find('● echo · ready', 1, true) and T.float_text():find('✗ broken · failed', 1, true) and T.float_text()", "the servers' new states")
  has(after, "● echo · ready · stdio · client · 2 tools")
  has(after, "mcp__echo__echo")
  has(after, "mcp__echo__time")
  has(after, "error: ")
  H.wait_screen(child, { "● echo · ready", "✗ broken · failed" })
  -- The model was given the server's tools.
  has(fake.model_requests()[1], "mcp__echo__echo")
  -- q closes it.
  child.lua("vim.api.nvim_set_current_win(T.floats()[1].win)")
  child.type_keys("q")
  eq(#child.lua_get("T.floats()"), 0)
end

T["the approval policy: picked with gp, shown in the bar, sent with the turn (never: a command is refused without asking)"] = function()
  local fake = H.start_logged_in(child, {
    { calls = { { id = "b1", name = "bash", arguments = { command = "echo should-not-run" } } } },
    { text = "It was refused." },
  })
  H.ready(child)
  child.cmd("DeckhandChat")
  -- The tests run deckhand without its sandbox: the bar says so.
  has(child.lua_get("require('deckhand.chat').bar_text(200)"), "policy on-request (no sandbox)")
  local bar = child.lua_get(BAR)
  has(bar, "on-request")
  has(bar, "no sandbox")
  child.lua("vim.api.nvim_set_current_win(require('deckhand.chat').chat_win())")
  child.lua([[T.answers = { "never: never asks; what would need asking is refused" }]])
  child.type_keys("gp")
  H.wait_for(child, "require('deckhand').config().approval_policy == 'never'", "the policy picked")
  has(child.lua_get("T.selects[#T.selects].prompt"), "approval policy")
  has(child.lua_get(BAR), "never")
  has(child.lua_get("require('deckhand.chat').bar_text(200)"), "policy never (no sandbox)")
  child.cmd("DeckhandChat run it")
  wait_turns(1)
  -- Refused by the policy: no review was opened, the command did not run.
  eq(#child.lua_get("T.floats()"), 0)
  has(child.lua_get("T.chat_text()"), "✗ bash echo should-not-run")
  lacks(fake.model_requests()[2], "should-not-run\\n\",\"call_id")
end

T["a command that ran in the sandbox says so on its line"] = function()
  H.start_logged_in(child, {
    { calls = { { id = "b1", name = "bash", arguments = { command = "echo inside" } } } },
    { text = "Ran." },
  }, nil, { env = { DECKHAND_NO_SANDBOX = "" } })
  H.ready(child)
  local sandbox = child.lua_get("require('deckhand').server_info().capabilities.sandbox")
  if type(sandbox) ~= "table" or sandbox.kind == "none" then
    MiniTest.skip("this machine has no sandbox for deckhand: " .. vim.inspect(sandbox))
  end
  child.cmd("DeckhandChat run it")
  wait_turns(1)
  eq(#child.lua_get("T.floats()"), 0)
  local line = child.lua_get("vim.fn.getbufline(require('deckhand.chat').buffer(), T.row_of('✓ bash echo inside'))[1]")
  has(line, " · ran sandboxed")
end

return T
