--- deckhand.chat owns the conversation: the chat buffer (markdown) that shows
--- the user's messages, the streamed reply, reasoning, tool calls and results
--- and each turn's stop reason; the session kept for follow-ups; cancelling a
--- turn.
local ui = require("deckhand.ui")

local M = {}

local BUF_NAME = "deckhand://chat"

local state = {
  buf = nil,
  session_id = nil,
  busy = false,
  cancel_pending = false,
  mode = "text", -- what the last line holds: "text", "reasoning" or "line"
  streamed = false,
  subscribed = false,
  permissions = {}, -- queued permission prompts, the first one is on screen
}

local function buffer()
  if state.buf and vim.api.nvim_buf_is_valid(state.buf) then
    return state.buf
  end
  local buf = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_buf_set_name(buf, BUF_NAME)
  vim.bo[buf].filetype = "markdown"
  vim.bo[buf].swapfile = false
  vim.bo[buf].modifiable = false
  state.buf = buf
  return buf
end

--- The chat buffer's number (created on first use).
function M.buffer()
  return buffer()
end

--- Shows the chat buffer in a window of the current tab, splitting when needed.
function M.open()
  local buf = buffer()
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == buf then
      return win
    end
  end
  vim.cmd(require("deckhand").config().chat_split or "botright split")
  local win = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_buf(win, buf)
  vim.wo[win].wrap = true
  vim.wo[win].linebreak = true
  return win
end

--- Appends text at the end of the buffer (it may hold newlines) and keeps
--- windows that were showing the last line scrolled to the end.
local function append(text)
  local buf = buffer()
  local last = vim.api.nvim_buf_line_count(buf)
  local follow = {}
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    follow[win] = vim.api.nvim_win_get_cursor(win)[1] >= last
  end
  local tail = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1] or ""
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_text(buf, last - 1, #tail, last - 1, #tail, vim.split(text, "\n", { plain = true }))
  vim.bo[buf].modifiable = false
  local count = vim.api.nvim_buf_line_count(buf)
  for win, at_end in pairs(follow) do
    if at_end and vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_win_set_cursor(win, { count, 0 })
    end
  end
end

--- Starts a fresh line (unless the last one is empty) and writes text there.
local function line(text, mode)
  local buf = buffer()
  local last = vim.api.nvim_buf_line_count(buf)
  local tail = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1] or ""
  append((tail == "" and "" or "\n") .. text)
  state.mode = mode or "line"
end

--- Tool arguments in one short line: path=a.go content="…".
function M.short_args(args)
  if type(args) ~= "table" then
    return ""
  end
  local keys = vim.tbl_keys(args)
  table.sort(keys, function(a, b)
    local first = { path = 1, command = 1, pattern = 1 }
    if (first[a] or 2) ~= (first[b] or 2) then
      return (first[a] or 2) < (first[b] or 2)
    end
    return a < b
  end)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = args[k]
    v = type(v) == "string" and v or vim.json.encode(v)
    v = v:gsub("\n", "\\n")
    if #v > 40 then
      v = v:sub(1, 37) .. "..."
    end
    parts[#parts + 1] = k .. "=" .. v
  end
  return table.concat(parts, " ")
end

local function first_line(text)
  text = vim.trim(tostring(text or ""))
  local l = text:match("^[^\n]*") or ""
  l = vim.trim(l)
  if #l > 60 then
    l = l:sub(1, 57) .. "..."
  end
  return l
end

local handlers = {}

function handlers.started(p)
  state.session_id = p.sessionId
  if state.cancel_pending then
    state.cancel_pending = false
    M.cancel()
  end
end

function handlers.delta(p)
  if state.mode ~= "text" then
    line("", "text")
  end
  state.streamed = true
  append(p.text or "")
end

function handlers.reasoning(p)
  if state.mode ~= "reasoning" then
    line("> thinking: ", "reasoning")
  end
  append((p.text or ""):gsub("\n", "\n> "))
end

function handlers.toolCall(p)
  line(("[tool] %s %s"):format(p.name, M.short_args(p.arguments)))
end

function handlers.toolResult(p)
  if p.ok then
    line(("[ok] %s: %s"):format(p.name, first_line(p.output)))
  else
    line(("[failed] %s: %s"):format(p.name, first_line(p.error or p.output)))
  end
end

local function subscribe()
  if state.subscribed then
    return
  end
  state.subscribed = true
  local dh = require("deckhand")
  for name, fn in pairs(handlers) do
    dh.on("chat/" .. name, function(p)
      -- One chat buffer holds one session; a turn's first frame names it.
      if p.sessionId == state.session_id or (state.busy and name == "started") then
        fn(p)
      end
    end)
  end
  dh.on("deckhand/exit", function()
    state.session_id, state.busy, state.cancel_pending = nil, false, false
  end)
end

local function footer(result)
  local usage = result.usage or {}
  local steps = result.steps or 0
  local s = ("-- %s · %d %s · %d in / %d out tokens --"):format(
    result.stopReason or "?",
    steps,
    steps == 1 and "step" or "steps",
    usage.inputTokens or 0,
    usage.outputTokens or 0
  )
  if result.stopReason == "max_steps" then
    s = s .. "  (send another message to continue)"
  end
  return s
end

--- Sends message in the chat session (a new one on first use); asks for the
--- message when none is given.
function M.send(message)
  if not message or vim.trim(message) == "" then
    ui.input({ prompt = "Message deckhand: " }, function(input)
      if input and vim.trim(input) ~= "" then
        M.send(input)
      end
    end)
    return
  end
  if state.busy then
    ui.warn("deckhand is still answering: wait, or stop it with :DeckhandCancel.")
    return
  end
  subscribe()
  M.open()
  local first = vim.api.nvim_buf_line_count(buffer()) == 1 and vim.api.nvim_buf_get_lines(buffer(), 0, 1, false)[1] == ""
  append((first and "" or "\n\n") .. "## You\n\n" .. message .. "\n\n## deckhand\n\n")
  state.mode, state.streamed, state.busy = "text", false, true
  local dh = require("deckhand")
  local cfg = dh.config()
  dh.request("chat", {
    sessionId = state.session_id,
    message = message,
    model = cfg.model,
    reasoningEffort = cfg.reasoning_effort,
  }, function(err, result)
    state.busy, state.cancel_pending = false, false
    if err then
      line("[error] " .. err.message)
      dh.handle_error(err, function()
        M.send(message)
      end)
      return
    end
    state.session_id = result.sessionId or state.session_id
    if not state.streamed and result.text and result.text ~= "" then
      line(result.text, "text")
    end
    line(footer(result))
  end)
end

--- Stops the running turn of the chat session.
function M.cancel()
  if not state.busy then
    ui.info("deckhand: no turn is running.")
    return
  end
  if not state.session_id then
    state.cancel_pending = true -- sent once chat/started names the session
    return
  end
  require("deckhand").request("cancel", { sessionId = state.session_id }, function(err, result)
    if err then
      ui.error(err.message)
    elseif result and result.cancelled == false then
      ui.info("deckhand: no turn is running.")
    end
  end)
end

--- Forgets the session: the next message starts a new conversation.
function M.reset()
  state.session_id = nil
  if state.buf and vim.api.nvim_buf_is_valid(state.buf) then
    line("-- new session --")
  end
end

function M.session_id()
  return state.session_id
end

function M.is_busy()
  return state.busy
end

--- Writes a line of its own in the chat buffer (permission answers, notes).
function M.note(text)
  line(text)
end

return M
