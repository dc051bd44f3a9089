-- Pure functions of the plugin, run in the test Neovim itself.
local eq = MiniTest.expect.equality
local rpc = require("deckhand.rpc")

local T = MiniTest.new_set()

T["line_splitter reassembles lines split across chunks"] = function()
  local feed = rpc.line_splitter()
  eq(feed('{"a":'), {})
  eq(feed('1}\n{"b"'), { '{"a":1}' })
  eq(feed(':2}\r\n\n  \n{"c":3}\n{"d"'), { '{"b":2}', '{"c":3}' })
  eq(feed(":4}\n"), { '{"d":4}' })
end

T["decode turns null into nil and refuses non-objects"] = function()
  eq(rpc.decode('{"id":1,"result":null}'), { id = 1 })
  local msg, err = rpc.decode("[1,2]")
  eq(msg, nil)
  eq(type(err), "string")
  eq((rpc.decode("{oops")), nil)
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

return T
