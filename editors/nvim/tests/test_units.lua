-- Pure functions of the plugin, run in the test Neovim itself.
local eq = MiniTest.expect.equality
local rpc = require("deckhand.rpc")

local T = MiniTest.new_set()

T["lsp_start calls vim.lsp.rpc.start with the running Neovim's signature"] = function()
  local seen
  local function start(...)
    seen = { ... }
    return "client"
  end
  local d, extra = { notification = true }, { cwd = "/w" }
  eq(rpc.lsp_start(start, { "/bin/deckhand", "--flag" }, d, extra), "client")
  eq(seen, { { "/bin/deckhand", "--flag" }, d, extra })
  local has = vim.fn.has
  vim.fn.has = function(f)
    return f == "nvim-0.10" and 0 or has(f)
  end
  local ok = pcall(rpc.lsp_start, start, { "/bin/deckhand", "--flag" }, d, extra)
  vim.fn.has = has
  eq(ok, true)
  eq(seen, { "/bin/deckhand", { "--flag" }, d, extra })
end

T["object keeps empty params a JSON object"] = function()
  eq(vim.json.encode(rpc.object({})), "{}")
  eq(vim.json.encode(rpc.object(nil)), "{}")
  eq(rpc.object({ a = 1 }), { a = 1 })
end

T["tool_summary names what a call is about"] = function()
  local chat = require("deckhand.chat")
  eq(chat.tool_summary("read", { path = "a.go" }), "a.go")
  eq(chat.tool_summary("write", { path = "a.go", content = "x\ny\n" }), "a.go (2 lines)")
  eq(chat.tool_summary("grep", { pattern = "foo", path = "src" }), "foo in src")
  eq(chat.tool_summary("bash", { command = "ls" }), "ls")
  local long = "echo " .. string.rep("x", 100)
  local s = chat.tool_summary("bash", { command = long })
  eq(s:find("(105 chars)", 1, true) ~= nil, true)
end

T["count shortens big token counts"] = function()
  local chat = require("deckhand.chat")
  eq(chat.count(950), "950")
  eq(chat.count(48210), "48.2k")
  eq(chat.count(nil), "0")
end

T["thousands and local_diff"] = function()
  local p = require("deckhand.permission")
  eq(p.thousands(4461), "4,461")
  eq(p.thousands(999), "999")
  eq(p.thousands(1234567), "1,234,567")
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, "p")
  vim.fn.writefile({ "one", "two", "three" }, dir .. "/f.txt")
  require("deckhand").setup({ workspace_root = dir })
  local d = p.local_diff("edit", { path = "f.txt", oldString = "two", newString = "TWO" })
  eq(d:find("--- a/f.txt\n+++ b/f.txt\n@@", 1, true) ~= nil, true)
  eq(d:find("\n-two\n+TWO\n", 1, true) ~= nil, true)
  eq(p.local_diff("edit", { path = "f.txt", oldString = "absent", newString = "x" }), nil)
  local w = p.local_diff("write", { path = "new.txt", content = "fresh\n" })
  eq(w:find("+fresh", 1, true) ~= nil, true)
  require("deckhand").setup({})
end

T["short_args puts the path first and cuts long values"] = function()
  local chat = require("deckhand.chat")
  eq(chat.short_args({ content = "a\nb", path = "x.go" }), "path=x.go content=a\\nb")
  eq(chat.short_args({ command = string.rep("y", 50) }), "command=" .. string.rep("y", 37) .. "...")
  eq(chat.short_args({}), "")
end

T["countdown counts down to an RFC 3339 instant"] = function()
  local ui = require("deckhand.ui")
  local now = os.time()
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ", now + 125)
  eq(ui.countdown(at, now), "2:05")
  eq(ui.countdown(os.date("!%Y-%m-%dT%H:%M:%SZ", now - 5), now), "0:00")
  eq(ui.countdown(nil, now), nil)
  -- An offset zone: the same instant written as local time two hours ahead.
  eq(ui.countdown(os.date("!%Y-%m-%dT%H:%M:%S+02:00", now + 7200 + 61), now), "1:01")
end

T["describe_status names the login without secrets"] = function()
  local dh = require("deckhand")
  eq(dh.describe_status({ provider = "openai", type = "none" }), "not logged in")
  eq(dh.describe_status({ type = "api", source = "env" }), "logged in with an API key (api, env)")
  eq(dh.describe_status({ type = "oauth", accountId = "acct_1" }), "logged in with ChatGPT Plus/Pro (oauth, account acct_1)")
end

T["setup refuses an old Neovim with a clear message"] = function()
  local dh = require("deckhand")
  local has, notify = vim.fn.has, vim.notify
  local said
  vim.fn.has = function()
    return 0
  end
  vim.notify = function(msg)
    said = msg
  end
  local ok = dh.setup({})
  vim.fn.has, vim.notify = has, notify
  eq(ok, false)
  eq(said:find("needs Neovim 0.10 or newer", 1, true) ~= nil, true)
end


T["a long footer goes on under itself, broken after a ' ·', each line within the width"] = function()
  local chat = require("deckhand.chat")
  local text = "── end_turn · gpt-6.2-sol · 12 steps · 48.2k in / 1520 out · context 18% · send more to continue"
  local lines = chat.footer_lines(text, 40)
  eq(#lines > 1, true)
  for i, l in ipairs(lines) do
    eq(vim.fn.strdisplaywidth(l) <= 40, true)
    if i < #lines then
      eq(l:sub(-3), " ·")
    end
    if i > 1 then
      eq(l:sub(1, 3), "   ")
    end
  end
  -- Nothing is lost: the lines read as the footer again.
  local joined = lines[1]
  for i = 2, #lines do
    joined = joined .. " " .. lines[i]:sub(4)
  end
  eq(joined, text)
  -- A footer that fits stays one line.
  eq(chat.footer_lines("── end_turn · 1 step", 40), { "── end_turn · 1 step" })
end

return T
