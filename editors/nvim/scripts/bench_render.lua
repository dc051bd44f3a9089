-- Rendering cost of the chat, without deckhand: feeds the chat's handlers
-- 10,000 streamed deltas and 200 tool calls with 40-line outputs, as deckhand
-- would send them, into a visible chat window, and prints the CPU time.
--   nvim --clean --headless -l editors/nvim/scripts/bench_render.lua
local dir = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h:h")
vim.opt.runtimepath:prepend(dir)
local dh = require("deckhand")
dh.setup({})
local listeners = {}
dh.on = function(method, fn)
  listeners[method] = listeners[method] or {}
  table.insert(listeners[method], fn)
end
dh.request = function() end -- the turn never ends: only its notifications count
package.loaded["deckhand.buffers"] = { before_bash = function() end, after_tool = function() end }
local chat = require("deckhand.chat")
chat.send("bench")
local function notify(method, params)
  params.sessionId = "ses_bench"
  for _, fn in ipairs(listeners[method] or {}) do
    fn(params)
  end
end
notify("chat/started", {})
local output = string.rep("a line of tool output\n", 40)
local c0 = os.clock()
for i = 1, 200 do
  for j = 1, 50 do
    notify("chat/delta", { text = "word" .. j .. (j % 10 == 0 and "\n" or " ") })
  end
  notify("chat/toolCall", { callId = "c" .. i, name = "read", arguments = { path = "f" .. i .. ".go" } })
  notify("chat/toolResult", { callId = "c" .. i, name = "read", ok = true, output = output })
end
local cpu = os.clock() - c0
io.stdout:write(("10000 deltas + 200 tool calls: %.0f ms CPU (%.3f ms per notification), %d chat lines, %.1f MB Lua heap\n"):format(
  cpu * 1000, cpu * 1000 / 10400, vim.api.nvim_buf_line_count(chat.buffer()), collectgarbage("count") / 1024))
vim.cmd("qa!")
