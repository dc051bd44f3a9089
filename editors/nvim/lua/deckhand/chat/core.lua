--- What the parts of deckhand.chat share: the public table (M, what
--- require("deckhand.chat") returns), the private functions the parts lend
--- one another (P), the state of the conversation, namespaces and constants.
local M = {}
local P = {}
local ns = vim.api.nvim_create_namespace("deckhand.chat")
local ns_tool = vim.api.nvim_create_namespace("deckhand.chat.tools")
local ns_fold = vim.api.nvim_create_namespace("deckhand.chat.folds")
local ns_status = vim.api.nvim_create_namespace("deckhand.chat.status")
local ns_input = vim.api.nvim_create_namespace("deckhand.chat.input")
-- A running command's output so far, as virtual lines under its tool line.
local ns_live = vim.api.nvim_create_namespace("deckhand.chat.live")

-- The files a turn changed (and whether gu undoes them), under its footer.
local ns_changes = vim.api.nvim_create_namespace("deckhand.chat.changes")

M.ns = { text = ns, tool = ns_tool, fold = ns_fold, status = ns_status, input = ns_input, live = ns_live, changes = ns_changes }

M.SPINNER = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" }
M.ICONS = { pending = "◌", ok = "✓", failed = "✗", ask = "?" }
M.OUTPUT_LINES = 200

--- Highlight groups, linked to common ones; a colorscheme can set them.
function M.highlights()
  local links = {
    DeckhandTool = "Comment",
    DeckhandToolPending = "DiagnosticInfo",
    DeckhandToolOk = "DiagnosticOk",
    DeckhandToolFailed = "DiagnosticError",
    DeckhandToolAsk = "DiagnosticWarn",
    DeckhandReasoning = "Comment",
    DeckhandFooter = "Comment",
    DeckhandFooterWarn = "DiagnosticWarn",
    DeckhandStatus = "DiagnosticInfo",
    DeckhandError = "DiagnosticError",
    DeckhandNote = "Comment",
    DeckhandHint = "Comment",
    DeckhandContext = "Special",
  }
  for group, link in pairs(links) do
    vim.api.nvim_set_hl(0, group, { link = link, default = true })
  end
end
M.highlights()
vim.api.nvim_create_autocmd("ColorScheme", {
  group = vim.api.nvim_create_augroup("deckhand.chat.hl", { clear = true }),
  callback = M.highlights,
})

local state = {
  buf = nil,
  input_buf = nil,
  session_id = nil,
  busy = false,
  cancel_pending = false,
  items = {}, -- the transcript, oldest first
  tools = {}, -- callId -> tool item of the running turn
  mode = nil, -- kind of the last block in the buffer
  follow = true, -- windows stay at the end while the cursor is there
  last_message = nil,
  last_failed = false,
  failed_item = nil, -- the error item of the failure gr would send again
  attachments = {}, -- waiting for the next message
  turn = nil, -- {started, steps, waiting}
  spinner = 1,
  timer = nil,
  model = nil,
  context_tokens = nil,
  context_window = nil,
  subscribed = false,
}

local function cfg()
  return require("deckhand").config()
end


local function one_line(text, max)
  text = vim.trim(tostring(text or ""))
  local l = vim.trim(text:match("^[^\n]*") or "")
  max = max or 60
  if vim.fn.strchars(l) > max then
    l = vim.fn.strcharpart(l, 0, max - 1) .. "…"
  end
  return l
end

local function count_lines(text)
  if not text or text == "" then
    return 0
  end
  local _, n = tostring(text):gsub("\n", "")
  return n + (tostring(text):sub(-1) == "\n" and 0 or 1)
end


P.cfg = cfg
P.one_line = one_line
P.count_lines = count_lines

return { M = M, P = P, state = state }
