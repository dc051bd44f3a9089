--- The input area (hints, sending what it holds) and the keys of both buffers.
local core = require("deckhand.chat.core")
local M, P, state = core.M, core.P, core.state
local ui = require("deckhand.ui")
local ns_input = M.ns.input

function M.attachment_label(a)
  if a.type == "selection" or (a.type == "file" and a.range) then
    return ("%s:%d-%d"):format(a.path, a.range.startLine, a.range.endLine)
  elseif a.type == "file" then
    return a.path
  elseif a.type == "image" then
    return "image " .. (a.path or a.mimeType or "")
  end
  return a.title or a.type
end

--- Text cut at spaces into lines of at most width cells (virtual lines do
--- not wrap).
function M.wrap(text, width)
  width = math.max(width or 80, 20)
  local lines, cur = {}, ""
  for word in tostring(text):gmatch("%S+") do
    if cur ~= "" and vim.fn.strdisplaywidth(cur .. " " .. word) > width then
      lines[#lines + 1] = cur
      cur = word
    else
      cur = cur == "" and word or (cur .. " " .. word)
    end
  end
  if cur ~= "" then
    lines[#lines + 1] = cur
  end
  return lines
end

function M.draw_input_hints()
  local buf = state.input_buf
  if not buf or not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  vim.api.nvim_buf_clear_namespace(buf, ns_input, 0, -1)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local dh = require("deckhand")
  local logged_out = dh.logged_out()
  local warning = dh.auth_warning()
  if warning then
    -- Why the stored login is gone or unusable (auth.json), said where the
    -- user types, before "Not logged in".
    local virt = {}
    for _, l in ipairs(M.wrap("⚠ " .. warning, M.input_win() and vim.api.nvim_win_get_width(M.input_win()) - 1 or 80)) do
      virt[#virt + 1] = { { l, "DeckhandFooterWarn" } }
    end
    vim.api.nvim_buf_set_extmark(buf, ns_input, 0, 0, { virt_lines = virt })
  end
  if logged_out then
    -- First run: the login comes before the first message, not after it.
    vim.api.nvim_buf_set_extmark(buf, ns_input, 0, 0, {
      virt_lines = { { { "Not logged in · gl logs in (ChatGPT Plus/Pro or an API key)", "DeckhandError" } } },
      virt_lines_above = false,
    })
  end
  if #lines <= 1 and (lines[1] or "") == "" then
    vim.api.nvim_buf_set_extmark(buf, ns_input, 0, 0, {
      virt_text = { { logged_out and "Log in first (gl) · then <CR> sends" or "Message deckhand · <CR> send · @ file · ? keys", "DeckhandHint" } },
      virt_text_pos = "overlay",
    })
  end
  if #state.attachments > 0 then
    local labels = {}
    for _, a in ipairs(state.attachments) do
      labels[#labels + 1] = M.attachment_label(a)
    end
    vim.api.nvim_buf_set_extmark(buf, ns_input, 0, 0, {
      virt_text = { { "context: " .. table.concat(labels, ", "), "DeckhandContext" } },
      virt_text_pos = "right_align",
    })
  end
end

--- Sends what the input area holds and empties it.
function M.submit()
  local buf = P.input_buffer()
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
  if vim.trim(text) == "" then
    ui.warn("deckhand: type a message first.")
    return
  end
  if state.busy then
    ui.warn("deckhand is still answering: wait, or stop it with <C-c>.")
    return
  end
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, {})
  M.draw_input_hints()
  M.send(text)
end

-- Keys -------------------------------------------------------------------------

M.KEYS = {
  { "n", "<CR>", "send the message (in the input area)", "submit", input = true },
  { "i", "<C-s>", "send the message", "submit", input = true },
  { "n", "<C-s>", "send the message", "submit", input = true },
  { "n", "<CR>", "go to the input area", "focus_input", chat = true },
  { "n", "i", "go to the input area", "focus_input", chat = true },
  { "n", "q", "close the chat", "close" },
  { "n", "<C-c>", "stop the running turn", "cancel" },
  { "i", "<C-c>", "stop the running turn", "cancel", input = true },
  { "n", "gr", "send the last message again", "retry" },
  { "n", "ga", "add a file or the current buffer as context", "add_context" },
  { "n", "gm", "pick the model", "pick_model" },
  { "n", "gs", "pick a session to reopen", "sessions" },
  { "n", "gn", "start a new session", "new_session" },
  { "n", "gu", "undo the last turn's changes", "undo" },
  { "n", "gl", "log in", "login" },
  { "n", "gp", "pick the approval policy", "policy" },
  { "n", "g1", "allow the waiting request", "allow" },
  { "n", "g2", "allow the waiting request's tool for the session", "allow_always" },
  { "n", "g3", "deny the waiting request (asks for a reason)", "deny" },
  { "n", "g4", "go to the waiting request's review", "review" },
  { "n", "?", "show these keys", "help" },
}

local actions = {}

function actions.submit()
  vim.cmd("stopinsert")
  M.submit()
end

function actions.focus_input()
  M.open({ focus = "input" })
  vim.cmd("startinsert!")
end

function actions.close()
  M.close()
end

function actions.cancel()
  M.cancel()
end

function actions.retry()
  M.retry()
end

function actions.add_context()
  require("deckhand.context").pick()
end

function actions.pick_model()
  require("deckhand").models()
end

function actions.sessions()
  require("deckhand.sessions").pick()
end

function actions.new_session()
  M.new_session()
end

function actions.undo()
  require("deckhand.sessions").undo()
end

function actions.policy()
  require("deckhand.policy").pick()
end

function actions.login()
  require("deckhand").login()
end

function actions.allow()
  require("deckhand.permission").answer_waiting("allow")
end

function actions.allow_always()
  require("deckhand.permission").answer_waiting("allowAlways")
end

function actions.deny()
  require("deckhand.permission").answer_waiting("deny")
end

function actions.review()
  require("deckhand.permission").review()
end

function actions.help()
  M.show_keys()
end

local function set_keys(buf, is_input)
  for _, k in ipairs(M.KEYS) do
    local wanted = (k.input and is_input) or (k.chat and not is_input) or (not k.input and not k.chat)
    if wanted then
      vim.keymap.set(k[1], k[2], actions[k[4]], { buffer = buf, nowait = true, silent = true, desc = "deckhand: " .. k[3] })
    end
  end
  if is_input then
    -- @ opens the completion of workspace files (the omnifunc).
    vim.keymap.set("i", "@", "@<C-x><C-o>", { buffer = buf, silent = true, desc = "deckhand: complete a file" })
  end
end

function M.show_keys()
  local lines = {}
  local seen = {}
  for _, k in ipairs(M.KEYS) do
    local key = k[1] .. k[2] .. k[3]
    if not seen[key] then
      seen[key] = true
      local where = k.input and "input" or (k.chat and "chat" or "both")
      lines[#lines + 1] = ("%-6s %-2s %-6s %s"):format(k[2], k[1], where, k[3])
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "In the output folds: zo opens, zc closes.  :help deckhand for more."
  local float
  local function close()
    float:close()
  end
  float = ui.open_float(lines, { title = "deckhand keys", keys = { q = close, ["<Esc>"] = close, ["?"] = close } })
  return float
end

P.set_keys = set_keys
