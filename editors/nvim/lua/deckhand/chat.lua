--- deckhand.chat owns the conversation as the user sees it: a transcript
--- (kept as a list of items, so the buffer can be drawn again from it at any
--- time), the `deckhand://chat` buffer that shows it (markdown, treesitter
--- highlighted, status and footers as extmarks, tool output folded), the input
--- area under it, the keys of both, and the session: sending, cancelling,
--- resending, new sessions.
local ui = require("deckhand.ui")

local M = {}

local CHAT_NAME = "deckhand://chat"
local INPUT_NAME = "deckhand://input"
local ns = vim.api.nvim_create_namespace("deckhand.chat")
local ns_tool = vim.api.nvim_create_namespace("deckhand.chat.tools")
local ns_fold = vim.api.nvim_create_namespace("deckhand.chat.folds")
local ns_status = vim.api.nvim_create_namespace("deckhand.chat.status")
local ns_input = vim.api.nvim_create_namespace("deckhand.chat.input")
-- A running command's output so far, as virtual lines under its tool line.
local ns_live = vim.api.nvim_create_namespace("deckhand.chat.live")

M.ns = { text = ns, tool = ns_tool, fold = ns_fold, status = ns_status, input = ns_input, live = ns_live }

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

-- Buffers ------------------------------------------------------------------

local render_all
local refresh_folds
local one_line

local function scratch(name, filetype)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "hide"
  vim.bo[buf].swapfile = false
  vim.bo[buf].undolevels = -1
  pcall(vim.api.nvim_buf_set_name, buf, name)
  vim.bo[buf].filetype = filetype
  return buf
end

--- Forgets a buffer that was deleted (:bd, :bw): the next use draws a new
--- one from the transcript, so nothing is lost and no modified leftover stays.
local function watch(buf, field)
  vim.api.nvim_create_autocmd({ "BufUnload", "BufWipeout" }, {
    buffer = buf,
    once = true,
    callback = function()
      if state[field] == buf then
        state[field] = nil
      end
      vim.schedule(function()
        if vim.api.nvim_buf_is_valid(buf) then
          pcall(vim.api.nvim_buf_delete, buf, { force = true })
        end
      end)
    end,
  })
end

--- Starts treesitter markdown on the chat buffer when the parser is there
--- (Neovim ships it); the regex syntax is the fallback.
function M.highlight(buf)
  local ok = pcall(vim.treesitter.start, buf, "markdown")
  if not ok then
    vim.bo[buf].syntax = "markdown"
  end
  return ok
end

local set_keys

local function buffer()
  if state.buf and vim.api.nvim_buf_is_valid(state.buf) and vim.api.nvim_buf_is_loaded(state.buf) then
    return state.buf
  end
  local buf = scratch(CHAT_NAME, "markdown")
  vim.bo[buf].modifiable = false
  state.buf = buf
  M.highlight(buf)
  watch(buf, "buf")
  set_keys(buf, false)
  -- The input area goes with the chat's window (:close, <C-w>c, :q).
  vim.api.nvim_create_autocmd("WinClosed", {
    buffer = buf,
    callback = function(ev)
      local closed = tonumber(ev.match)
      vim.schedule(function()
        local ibuf = state.input_buf
        if not ibuf or not vim.api.nvim_buf_is_valid(ibuf) then
          return
        end
        for _, tab in ipairs(vim.api.nvim_list_tabpages()) do
          local wins = vim.api.nvim_tabpage_list_wins(tab)
          local chat_here = false
          for _, w in ipairs(wins) do
            if w ~= closed and vim.api.nvim_win_get_buf(w) == state.buf then
              chat_here = true
            end
          end
          if not chat_here then
            for _, w in ipairs(wins) do
              if vim.api.nvim_win_is_valid(w) and vim.api.nvim_win_get_buf(w) == ibuf and #vim.api.nvim_tabpage_list_wins(tab) > 1 then
                pcall(vim.api.nvim_win_close, w, true)
              end
            end
          end
        end
      end)
    end,
  })
  vim.api.nvim_create_autocmd("CursorMoved", {
    buffer = buf,
    callback = function()
      local win = vim.api.nvim_get_current_win()
      state.follow = vim.api.nvim_win_get_cursor(win)[1] >= vim.api.nvim_buf_line_count(buf)
    end,
  })
  render_all(buf)
  return buf
end

--- The chat buffer's number (created on first use).
function M.buffer()
  return buffer()
end

local function input_buffer()
  if state.input_buf and vim.api.nvim_buf_is_valid(state.input_buf) and vim.api.nvim_buf_is_loaded(state.input_buf) then
    return state.input_buf
  end
  local buf = scratch(INPUT_NAME, "markdown")
  vim.bo[buf].undolevels = 100
  vim.bo[buf].omnifunc = "v:lua.require'deckhand.context'.omnifunc"
  state.input_buf = buf
  M.highlight(buf)
  watch(buf, "input_buf")
  set_keys(buf, true)
  vim.api.nvim_create_autocmd({ "TextChanged", "TextChangedI", "BufEnter" }, {
    buffer = buf,
    callback = function()
      M.draw_input_hints()
    end,
  })
  -- @ completion must not put the first file in by itself (with the default
  -- 'completeopt', "@he" became "@README.mdhe"): while typing here the list
  -- only narrows until a file is chosen. 'completeopt' is global before
  -- Neovim 0.11, so the user's value is put back on leaving insert mode.
  local saved
  vim.api.nvim_create_autocmd("InsertEnter", {
    buffer = buf,
    callback = function()
      saved = saved or vim.go.completeopt
      vim.go.completeopt = "menu,menuone,noinsert,noselect"
    end,
  })
  vim.api.nvim_create_autocmd({ "InsertLeave", "BufLeave" }, {
    buffer = buf,
    callback = function()
      if saved then
        vim.go.completeopt, saved = saved, nil
      end
    end,
  })
  M.draw_input_hints()
  return buf
end

function M.input_buffer()
  return input_buffer()
end

-- Windows ------------------------------------------------------------------

local function win_of(buf)
  if not buf or not vim.api.nvim_buf_is_valid(buf) then
    return nil
  end
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == buf then
      return win
    end
  end
end

--- The window of the chat in the current tab, or nil.
function M.chat_win()
  return win_of(state.buf)
end

function M.input_win()
  return win_of(state.input_buf)
end

--- True when the chat is in a window of any tab.
function M.visible()
  return state.buf ~= nil and vim.api.nvim_buf_is_valid(state.buf) and #vim.fn.win_findbuf(state.buf) > 0
end

local function to_end(win)
  local buf = vim.api.nvim_win_get_buf(win)
  local last = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_win_set_cursor(win, { last, 0 })
  -- Show the status and footer lines drawn under the last line.
  vim.api.nvim_win_call(win, function()
    vim.cmd("normal! zb")
  end)
end

-- Rows of an output block being inserted: folds are computed as the lines
-- go in, before the block's extmark can be set.
local pending_fold = nil

--- 'foldexpr' of the chat: an output block (its fences included) is a fold
--- of level 1; ">1" and "<1" mark its ends so that a partial update of the
--- folds never splits it.
function M.foldexpr(lnum)
  local buf = vim.api.nvim_get_current_buf()
  local row = lnum - 1
  local first, last
  local p = pending_fold
  if p and p.buf == buf and p.first <= row and row <= p.last then
    first, last = p.first, p.last
  else
    local marks = vim.api.nvim_buf_get_extmarks(buf, ns_fold, { row, 0 }, { row, -1 }, { overlap = true, details = true })
    for _, m in ipairs(marks) do
      local d = m[4]
      if d.end_row and m[2] <= row and row <= d.end_row then
        first, last = m[2], d.end_row
        break
      end
    end
  end
  if not first then
    return "0"
  elseif row == first then
    return ">1"
  elseif row == last then
    return "<1"
  end
  return "1"
end

function M.foldtext()
  local n = vim.v.foldend - vim.v.foldstart - 1
  return ("    ▸ %d line%s of output (zo opens, zc closes)"):format(n, n == 1 and "" or "s")
end

--- The chat window's winbar: the session (its first message), the model,
--- and a spinner while a turn runs.
function M.winbar()
  local title = state.title
  if not title then
    for _, item in ipairs(state.items) do
      if item.kind == "user" then
        title = item.text
        break
      end
    end
  end
  title = title and one_line(title, 40) or "new session"
  local model = cfg().model or state.model or "default model"
  local s = (" deckhand · %s · %s"):format(title, model)
  local limits = require("deckhand").limits_text()
  if limits then
    s = s .. " · " .. limits
  end
  if state.busy then
    s = s .. " · " .. M.SPINNER[state.spinner]
  end
  return (s:gsub("%%", "%%%%"))
end

local function style_chat_win(win)
  local wo = vim.wo[win]
  wo.winbar = "%{%v:lua.require'deckhand.chat'.winbar()%}"
  wo.wrap = true
  wo.linebreak = true
  wo.number = false
  wo.relativenumber = false
  wo.signcolumn = "no"
  wo.foldmethod = "expr"
  wo.foldexpr = "v:lua.require'deckhand.chat'.foldexpr(v:lnum)"
  wo.foldtext = "v:lua.require'deckhand.chat'.foldtext()"
  wo.foldlevel = 0
  wo.foldenable = true
  wo.fillchars = "fold: ,eob: "
  wo.winfixwidth = false
end

--- Shows the chat and its input area in the current tab (a split when they
--- are not on screen) and returns the chat's window. opts.focus: "input"
--- (default), "chat" or false.
function M.open(opts)
  opts = opts or {}
  local buf = buffer()
  local ibuf = input_buffer()
  local win = win_of(buf)
  local prev = vim.api.nvim_get_current_win()
  if not win then
    local iwin = win_of(ibuf)
    if iwin then
      vim.api.nvim_set_current_win(iwin)
      vim.cmd("aboveleft split")
    else
      vim.cmd(cfg().chat_split or "botright vsplit")
    end
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, buf)
    style_chat_win(win)
    if state.follow then
      to_end(win)
    end
  end
  local iwin = win_of(ibuf)
  if not iwin then
    vim.api.nvim_set_current_win(win)
    vim.cmd("belowright split")
    iwin = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(iwin, ibuf)
    vim.api.nvim_win_set_height(iwin, cfg().input_height or 4)
    vim.wo[iwin].winfixheight = true
    vim.wo[iwin].wrap = true
    vim.wo[iwin].number = false
    vim.wo[iwin].relativenumber = false
    vim.wo[iwin].signcolumn = "no"
  end
  -- Started now, so a missing login is said before the first message.
  local dh = require("deckhand")
  if dh.supported() and not dh.server_info() then
    dh.ensure(function() end)
  end
  local focus = opts.focus == nil and "input" or opts.focus
  if focus == "input" then
    vim.api.nvim_set_current_win(iwin)
  elseif focus == "chat" then
    vim.api.nvim_set_current_win(win)
  elseif vim.api.nvim_win_is_valid(prev) then
    vim.api.nvim_set_current_win(prev)
  end
  M.draw_status()
  return win
end

--- Closes the chat's and the input's windows (the buffers stay).
function M.close()
  for _, buf in ipairs({ state.input_buf, state.buf }) do
    if buf and vim.api.nvim_buf_is_valid(buf) then
      for _, win in ipairs(vim.fn.win_findbuf(buf)) do
        if #vim.api.nvim_tabpage_list_wins(vim.api.nvim_win_get_tabpage(win)) == 1 then
          -- The last window of its tab: show an empty buffer instead.
          vim.api.nvim_win_call(win, function()
            vim.cmd("enew")
          end)
        else
          pcall(vim.api.nvim_win_close, win, true)
        end
      end
    end
  end
end

function M.toggle()
  if M.chat_win() then
    M.close()
  else
    M.open()
  end
end

-- Drawing --------------------------------------------------------------------

local set_option = vim.api.nvim_set_option_value
local function edit(buf, fn)
  set_option("modifiable", true, { buf = buf })
  local ok, err = pcall(fn)
  set_option("modifiable", false, { buf = buf })
  if not ok then
    error(err)
  end
end

local function line_count(buf)
  return vim.api.nvim_buf_line_count(buf)
end

local function last_line(buf, n)
  n = n or line_count(buf)
  return vim.api.nvim_buf_get_lines(buf, n - 1, n, false)[1] or ""
end

local function is_empty(buf)
  return line_count(buf) == 1 and last_line(buf) == ""
end

--- Appends text (it may hold newlines) at the end of the last line.
local function put(buf, text)
  local n = line_count(buf)
  local tail = last_line(buf, n)
  edit(buf, function()
    vim.api.nvim_buf_set_text(buf, n - 1, #tail, n - 1, #tail, vim.split(text, "\n", { plain = true }))
  end)
end

--- Makes the last line an empty one, separated from what is above it by one
--- blank line (markdown blocks: a reply never joins a quote or a list).
local function open_block(buf)
  if is_empty(buf) then
    return
  end
  local n = line_count(buf)
  if last_line(buf, n) ~= "" then
    put(buf, "\n\n")
  elseif n > 1 and last_line(buf, n - 1) ~= "" then
    put(buf, "\n")
  end
end

--- A new line right under the last one (tool lines follow each other).
local function open_line(buf)
  if is_empty(buf) then
    return
  end
  if last_line(buf) ~= "" then
    put(buf, "\n")
  end
end

-- Neovim's partial update of expr folds can cut the first line off an
-- output block when lines near it change; setting 'foldmethod' again
-- recomputes the folds (and keeps the ones the user opened open). Done once
-- per tick of the main loop, and only when the chat has output blocks.
local refresh_queued = false
function refresh_folds(buf)
  if refresh_queued or #vim.api.nvim_buf_get_extmarks(buf, ns_fold, 0, -1, { limit = 1 }) == 0 then
    return
  end
  refresh_queued = true
  vim.schedule(function()
    refresh_queued = false
    if vim.api.nvim_buf_is_valid(buf) then
      for _, win in ipairs(vim.fn.win_findbuf(buf)) do
        vim.wo[win].foldmethod = "expr"
      end
    end
  end)
end

--- Keeps the windows that were at the end at the end.
local function follow(buf)
  if not state.follow then
    return
  end
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    to_end(win)
  end
end

local function hl_line(buf, row, group, col_end)
  vim.api.nvim_buf_set_extmark(buf, ns, row, 0, { end_col = col_end or #(vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1] or ""), hl_group = group })
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

function one_line(text, max)
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

--- What a tool call is about, in a few words: the path, the command, the pattern.
function M.tool_summary(name, args)
  args = type(args) == "table" and args or {}
  if name == "apply_patch" and type(args.input) == "string" then
    local files = {}
    for verb, path in args.input:gmatch("%*%*%* (%a+) File: ([^\n]+)") do
      files[#files + 1] = ({ Add = "+", Delete = "-", Update = "" })[verb] .. vim.trim(path)
    end
    return #files > 0 and one_line(table.concat(files, " "), 60) or "(empty patch)"
  end
  if name == "bash" or name == "exec_command" then
    local cmd = tostring((name == "bash" and args.command) or args.cmd or "")
    local lines = count_lines(cmd)
    local s = one_line(cmd, 60)
    if lines > 1 or vim.fn.strchars(cmd) > 60 then
      s = s .. (" (%d chars)"):format(vim.fn.strchars(cmd))
    end
    return s
  elseif name == "read" or name == "write" or name == "edit" or name == "list" then
    local s = tostring(args.path or ".")
    if name == "read" and args.offset then
      s = s .. (":%d"):format(args.offset)
    end
    if name == "write" and args.content then
      s = s .. (" (%d lines)"):format(count_lines(args.content))
    end
    return s
  elseif name == "glob" or name == "grep" then
    local s = tostring(args.pattern or "")
    if args.path then
      s = s .. " in " .. args.path
    end
    return s
  end
  return M.short_args(args)
end

--- The result half of a tool line: "12 lines", "denied", the error.
function M.result_summary(item)
  local r = item.result
  if not r then
    return item.asking and "waiting for your answer: g1 allow · g2 always · g3 deny · g4 review" or nil
  end
  if r.exit and r.exit ~= 0 then
    local n = count_lines(r.output)
    return ("exit %d · %s"):format(r.exit, n <= 2 and one_line(r.output, 60) or (n .. " lines"))
  end
  if not r.ok then
    return one_line(r.error or r.output or "failed", 80)
  end
  if item.name == "edit" or item.name == "write" then
    return one_line(r.output, 60)
  end
  local n = count_lines(r.output)
  if n == 0 then
    return "no output"
  end
  return n == 1 and one_line(r.output, 60) or (n .. " lines")
end

local function tool_text(item)
  local icon = M.ICONS.pending
  if item.result then
    icon = item.result.ok and M.ICONS.ok or M.ICONS.failed
  elseif item.asking then
    icon = M.ICONS.ask
  end
  local s = ("%s %s %s"):format(icon, item.name, M.tool_summary(item.name, item.arguments))
  local r = M.result_summary(item)
  if r then
    s = s .. " — " .. r
  end
  if item.decision and not (r and item.result and not item.result.ok and r:lower():find((item.decision:match(": (.*)$") or "denied"):lower(), 1, true)) then
    -- Said unless the result already says it (a denial with its reason).
    -- (Parentheses: markdown would conceal a [shortcut link].)
    s = s .. " (" .. item.decision .. ")"
  end
  return s, #icon + 1 + #item.name
end

local function fence_for(text)
  local longest = 2
  for run in tostring(text):gmatch("`+") do
    longest = math.max(longest, #run)
  end
  return string.rep("`", longest + 1)
end

--- Draws a tool item's line at its row (or a new one at the end) and its
--- output, folded, under it.
local function draw_tool(buf, item)
  local row
  local mark = item.mark and vim.api.nvim_buf_get_extmark_by_id(buf, ns_tool, item.mark, {})
  local text, head = tool_text(item)
  if mark and mark[1] then
    row = mark[1]
    edit(buf, function()
      vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { text })
    end)
  else
    if state.mode == "tool" then
      open_line(buf)
    else
      open_block(buf)
    end
    put(buf, text)
    row = line_count(buf) - 1
    state.mode = "tool"
  end
  -- Right gravity: lines inserted at this row (the output of a call above)
  -- push the line down with its mark.
  item.mark = vim.api.nvim_buf_set_extmark(buf, ns_tool, row, 0, { id = item.mark })
  vim.api.nvim_buf_clear_namespace(buf, ns, row, row + 1)
  local group = "DeckhandToolPending"
  if item.result then
    group = item.result.ok and "DeckhandToolOk" or "DeckhandToolFailed"
  elseif item.asking then
    group = "DeckhandToolAsk"
  end
  vim.api.nvim_buf_set_extmark(buf, ns, row, 0, { end_col = #text, hl_group = "DeckhandTool" })
  vim.api.nvim_buf_set_extmark(buf, ns, row, 0, { end_col = head, hl_group = group })
  if item.result and not item.result.ok then
    vim.api.nvim_buf_set_extmark(buf, ns, row, 0, { end_col = #text, hl_group = "DeckhandToolFailed" })
  end
  local output = item.result and (item.result.ok and item.result.output or item.result.output) or nil
  if output and vim.trim(output) ~= "" and not item.output_drawn then
    item.output_drawn = true
    local lines = vim.split(output:gsub("\n$", ""), "\n", { plain = true })
    if #lines > M.OUTPUT_LINES then
      local more = #lines - M.OUTPUT_LINES
      lines = vim.list_slice(lines, 1, M.OUTPUT_LINES)
      lines[#lines + 1] = ("… %d more lines"):format(more)
    end
    local fence = fence_for(output)
    local block = { fence .. "text" }
    vim.list_extend(block, lines)
    block[#block + 1] = fence
    local at_end = row == line_count(buf) - 1
    pending_fold = { buf = buf, first = row + 1, last = row + #block }
    edit(buf, function()
      vim.api.nvim_buf_set_lines(buf, row + 1, row + 1, false, block)
    end)
    vim.api.nvim_buf_set_extmark(buf, ns_fold, row + 1, 0, { end_row = row + #block, end_col = 0 })
    pending_fold = nil
    if at_end then
      state.mode = "tool"
    end
  end
end

--- How many of a running command's last output lines show under its line.
M.LIVE_LINES = 8

--- Draws (or clears, once the call has its result) the output a running
--- command has streamed so far, under its tool line.
local function draw_live(buf, item)
  if item.live_mark then
    pcall(vim.api.nvim_buf_del_extmark, buf, ns_live, item.live_mark)
    item.live_mark = nil
  end
  local had = item.live_virt
  item.live_virt = nil
  if item.result or not item.live or item.live == "" or not item.mark then
    if had then
      M.draw_status()
    end
    return
  end
  local pos = vim.api.nvim_buf_get_extmark_by_id(buf, ns_tool, item.mark, {})
  if not pos or not pos[1] then
    return
  end
  local lines = vim.split(item.live:gsub("\n$", ""), "\n", { plain = true })
  local virt = {}
  if #lines > M.LIVE_LINES then
    virt[#virt + 1] = { { ("  │ … %d lines above"):format(#lines - M.LIVE_LINES), "DeckhandFooter" } }
    lines = vim.list_slice(lines, #lines - M.LIVE_LINES + 1, #lines)
  end
  for _, l in ipairs(lines) do
    virt[#virt + 1] = { { "  │ " .. l:gsub("\r", ""), "DeckhandReasoning" } }
  end
  if pos[1] == line_count(buf) - 1 then
    -- On the last line: drawn with the status line, above it.
    item.live_virt = virt
    M.draw_status()
    return
  end
  item.live_mark = vim.api.nvim_buf_set_extmark(buf, ns_live, pos[1], 0, { virt_lines = virt })
end

local function draw_footer(buf, item)
  local row = line_count(buf) - 1
  vim.api.nvim_buf_set_extmark(buf, ns, row, 0, {
    virt_lines = { { { item.text, item.group or "DeckhandFooter" } } },
  })
  state.mode = "footer"
end

--- Draws one transcript item at the end of buf.
local function draw(buf, item)
  local k = item.kind
  if k == "user" then
    open_block(buf)
    local text = "## You\n\n" .. item.text
    for _, a in ipairs(item.attachments or {}) do
      text = text .. "\n- " .. M.attachment_label(a)
    end
    put(buf, text .. "\n\n## deckhand")
    state.mode = "header"
  elseif k == "text" then
    open_block(buf)
    put(buf, item.text)
    state.mode = "text"
  elseif k == "reasoning" then
    open_block(buf)
    local first = line_count(buf) - 1
    put(buf, "> " .. item.text:gsub("\n", "\n> "))
    for r = first, line_count(buf) - 1 do
      hl_line(buf, r, "DeckhandReasoning")
    end
    state.mode = "reasoning"
  elseif k == "tool" then
    item.mark = nil
    item.output_drawn = nil
    item.live_mark = nil
    draw_tool(buf, item)
    draw_live(buf, item)
  elseif k == "footer" then
    draw_footer(buf, item)
  elseif k == "error" then
    open_block(buf)
    put(buf, "**Error:** " .. item.text)
    hl_line(buf, line_count(buf) - 1, "DeckhandError")
    state.mode = "error"
  elseif k == "note" then
    open_block(buf)
    put(buf, item.text)
    hl_line(buf, line_count(buf) - 1, "DeckhandNote")
    state.mode = "note"
  end
end

--- Draws the whole transcript into a fresh buffer.
function render_all(buf)
  edit(buf, function()
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, {})
  end)
  for _, n in ipairs({ ns, ns_tool, ns_fold, ns_status, ns_live }) do
    vim.api.nvim_buf_clear_namespace(buf, n, 0, -1)
  end
  state.mode = nil
  for _, item in ipairs(state.items) do
    draw(buf, item)
  end
  M.draw_status()
  refresh_folds(buf)
end

--- Adds an item to the transcript and draws it.
local function add(item)
  local buf = buffer()
  table.insert(state.items, item)
  draw(buf, item)
  -- (Streamed text that extends an item changes lines two below an output
  -- block at the nearest, which leaves its fold alone: no refresh there.)
  refresh_folds(buf)
  M.draw_status()
  follow(buf)
  return item
end

--- Extends the last item when it is of kind (streamed text, reasoning);
--- starts one otherwise.
local function extend(kind, text)
  local last = state.items[#state.items]
  if not (last and last.kind == kind and state.mode == kind) then
    return add({ kind = kind, text = text })
  end
  local buf = buffer()
  last.text = last.text .. text
  if kind == "reasoning" then
    local first = line_count(buf) - 1
    put(buf, (text:gsub("\n", "\n> ")))
    for r = first, line_count(buf) - 1 do
      hl_line(buf, r, "DeckhandReasoning")
    end
  else
    put(buf, text)
  end
  M.draw_status()
  follow(buf)
  return last
end

--- The status drawn under the last line: a spinner while a turn runs.
function M.draw_status()
  local buf = state.buf
  if not buf or not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  vim.api.nvim_buf_clear_namespace(buf, ns_status, 0, -1)
  if not state.busy then
    return
  end
  local t = state.turn or {}
  local parts = { M.SPINNER[state.spinner] .. " deckhand is working" }
  if t.waiting then
    parts[1] = M.ICONS.ask .. " deckhand waits for your answer"
  end
  if t.steps and t.steps > 0 then
    parts[#parts + 1] = ("%d tool call%s"):format(t.steps, t.steps == 1 and "" or "s")
  end
  if t.started then
    parts[#parts + 1] = ("%ds"):format(os.time() - t.started)
  end
  parts[#parts + 1] = "<C-c> stops"
  -- A running command's output on the last line goes above the status line.
  local virt = {}
  for _, item in pairs(state.tools or {}) do
    if item.live_virt and not item.result then
      vim.list_extend(virt, item.live_virt)
    end
  end
  virt[#virt + 1] = { { table.concat(parts, " · "), "DeckhandStatus" } }
  vim.api.nvim_buf_set_extmark(buf, ns_status, line_count(buf) - 1, 0, { virt_lines = virt })
end

local function start_spinner()
  if state.timer then
    return
  end
  state.timer = vim.uv.new_timer()
  state.timer:start(120, 120, vim.schedule_wrap(function()
    if not state.busy then
      return
    end
    state.spinner = state.spinner % #M.SPINNER + 1
    M.draw_status()
    if M.chat_win() then
      vim.cmd("redrawstatus!") -- the winbar's spinner
    end
  end))
end

local function stop_spinner()
  if state.timer then
    state.timer:stop()
    state.timer:close()
    state.timer = nil
  end
  M.draw_status()
end

-- The input area -------------------------------------------------------------

function M.attachment_label(a)
  if a.type == "selection" or (a.type == "file" and a.range) then
    return ("%s:%d-%d"):format(a.path, a.range.startLine, a.range.endLine)
  elseif a.type == "file" then
    return a.path
  end
  return a.title or a.type
end

function M.draw_input_hints()
  local buf = state.input_buf
  if not buf or not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  vim.api.nvim_buf_clear_namespace(buf, ns_input, 0, -1)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local logged_out = require("deckhand").logged_out()
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
  local buf = input_buffer()
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

function set_keys(buf, is_input)
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

-- Notifications from deckhand --------------------------------------------------------

local handlers = {}

function handlers.started(p)
  state.session_id = p.sessionId
  if state.cancel_pending then
    state.cancel_pending = false
    M.cancel()
  end
end

function handlers.delta(p)
  state.streamed = true
  extend("text", p.text or "")
end

function handlers.reasoning(p)
  extend("reasoning", p.text or "")
end

function handlers.toolCall(p)
  local item = add({ kind = "tool", callId = p.callId, name = p.name, arguments = p.arguments })
  state.tools[p.callId] = item
  state.turn = state.turn or {}
  state.turn.steps = (state.turn.steps or 0) + 1
  if p.name == "bash" then
    require("deckhand.buffers").before_bash()
  end
end

function handlers.toolResult(p)
  local item = state.tools[p.callId]
  if not item then
    item = add({ kind = "tool", callId = p.callId, name = p.name, arguments = {} })
  end
  -- A command that ran but exited non-zero failed, though the tool worked.
  local exit = type(p.exitCode) == "number" and p.exitCode or nil
  -- The streamed output is whole; the result's copy (the model's) may be cut.
  local output = p.output
  if item.live and #item.live > #(output or "") then
    output = item.live
  end
  item.result = { ok = p.ok and (exit == nil or exit == 0), output = output, error = p.error, changedPaths = p.changedPaths, exit = exit }
  item.asking = nil
  local buf = buffer()
  draw_live(buf, item)
  draw_tool(buf, item)
  refresh_folds(buf)
  M.draw_status()
  follow(buf)
  require("deckhand.buffers").after_tool(p, item.arguments)
end

--- A running command's output as it comes: shown under its tool line.
function handlers.toolOutput(p)
  local item = state.tools[p.callId]
  if not item or item.result or type(p.text) ~= "string" then
    return
  end
  item.live = (item.live or "") .. p.text
  local buf = buffer()
  draw_live(buf, item)
  follow(buf)
end

function handlers.compacted(p)
  add({ kind = "note", text = ("(history compacted: %d → %d tokens)"):format(p.beforeTokens or 0, p.afterTokens or 0) })
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
      if p.sessionId == state.session_id or (state.busy and name == "started" and not state.session_id) then
        fn(p)
      end
    end)
  end
  dh.on("deckhand/exit", function(p)
    if state.busy then
      state.busy = false
      state.last_failed = true
      state.turn_id = (state.turn_id or 0) + 1 -- a late answer of the lost turn is ignored
      stop_spinner()
      add({ kind = "error", text = ("deckhand stopped (status %s) while answering; the next message starts it again (gr sends this one again)."):format(tostring(p and p.code)) })
      M.notify_hidden("deckhand stopped while answering.", vim.log.levels.ERROR)
    end
    if state.session_id and not state.sessions_last then
      -- This deckhand kept the session in memory only: the next message
      -- starts a new one.
      state.session_id = nil
      add({ kind = "note", text = "(the next message starts a new session: this deckhand did not keep this one)" })
    end
    state.cancel_pending = false
  end)
end

--- A permission request for callId: marks its tool line as asking.
function M.asking(call_id, on)
  local item = state.tools[call_id]
  state.turn = state.turn or {}
  state.turn.waiting = on or nil
  if item and state.buf then
    item.asking = on or nil
    draw_tool(buffer(), item)
    refresh_folds(state.buf)
  end
  M.draw_status()
end

--- Records the user's decision on the tool line of callId.
function M.decided(call_id, decision)
  local item = state.tools[call_id]
  if item then
    item.decision = decision
    item.asking = nil
    draw_tool(buffer(), item)
    refresh_folds(state.buf)
  end
  state.turn = state.turn or {}
  state.turn.waiting = nil
  M.draw_status()
end

--- 1234 -> "1234", 48210 -> "48.2k".
function M.count(n)
  n = tonumber(n) or 0
  if n < 10000 then
    return tostring(n)
  end
  return ("%.1fk"):format(n / 1000)
end

local function footer_text(result, model)
  local usage = result.usage or {}
  local steps = result.steps or 0
  -- Short: virtual lines do not wrap in a narrow chat window.
  local s = ("%s%s · %d %s · %s in / %s out"):format(
    result.stopReason or "?",
    model and (" · " .. model) or "",
    steps,
    steps == 1 and "step" or "steps",
    M.count(usage.inputTokens),
    M.count(usage.outputTokens)
  )
  if usage.contextTokens and usage.contextWindow and usage.contextWindow > 0 then
    s = s .. (" · context %d%%"):format(math.floor(usage.contextTokens * 100 / usage.contextWindow + 0.5))
  end
  if result.stopReason == "max_steps" then
    s = s .. " · send more to continue"
  end
  return "── " .. s
end

local function notify_hidden(text, level)
  if cfg().notify_hidden ~= false and not M.visible() then
    vim.notify(text, level or vim.log.levels.INFO, { title = "deckhand" })
  end
end
M.notify_hidden = notify_hidden

--- Sends message in the chat session (a new one on first use); with no
--- message, opens the chat with the cursor in the input area.
function M.send(message)
  if not message or vim.trim(message) == "" then
    M.open({ focus = "input" })
    return
  end
  if state.busy then
    ui.warn("deckhand is still answering: wait, or stop it with :DeckhandCancel.")
    return
  end
  subscribe()
  local dh = require("deckhand")
  state.last_pending = vim.deepcopy(state.attachments) -- for gr
  local attachments, inline = require("deckhand.context").take(message)
  local shown = vim.list_extend({}, attachments)
  vim.list_extend(shown, inline.attachments)
  add({ kind = "user", text = message, attachments = shown })
  if not M.visible() then
    M.open({ focus = false })
  end
  state.last_message, state.last_failed = message, false
  state.streamed, state.busy, state.tools = false, true, {}
  state.turn = { started = os.time(), steps = 0 }
  start_spinner()
  M.draw_status()
  local c = cfg()
  state.sessions_last = dh.has("sessions")
  state.turn_id = (state.turn_id or 0) + 1
  local turn_id = state.turn_id
  dh.request("chat", {
    sessionId = state.session_id,
    message = inline.message,
    model = c.model,
    reasoningEffort = c.reasoning_effort,
    attachments = #attachments > 0 and attachments or nil,
  }, function(err, result)
    if turn_id ~= state.turn_id then
      return -- this turn was given up (deckhand stopped)
    end
    state.busy, state.cancel_pending = false, false
    stop_spinner()
    require("deckhand.permission").drop_session(state.session_id)
    if err then
      state.last_failed = true
      add({ kind = "error", text = err.message .. "  (gr sends it again)" })
      notify_hidden("deckhand: the turn failed: " .. err.message, vim.log.levels.ERROR)
      dh.handle_error(err, function()
        M.retry()
      end)
      return
    end
    state.session_id = result.sessionId or state.session_id
    state.model = c.model or state.model
    local usage = result.usage or {}
    state.context_tokens, state.context_window = usage.contextTokens, usage.contextWindow
    if not state.streamed and result.text and result.text ~= "" then
      add({ kind = "text", text = result.text })
    end
    add({ kind = "footer", text = footer_text(result, c.model), group = result.stopReason == "end_turn" and "DeckhandFooter" or "DeckhandFooterWarn" })
    local steps = result.steps or 0
    notify_hidden(("deckhand: the turn ended (%s, %d %s)."):format(result.stopReason or "?", steps, steps == 1 and "step" or "steps"))
  end)
end

--- Sends the last message again (after an error).
function M.retry()
  if not state.last_message then
    ui.info("deckhand: nothing to send again.")
    return
  end
  if state.busy then
    ui.warn("deckhand is still answering: wait, or stop it with <C-c>.")
    return
  end
  -- The context that went with it goes again.
  for _, a in ipairs(state.last_pending or {}) do
    table.insert(state.attachments, a)
  end
  M.send(state.last_message)
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

--- Starts a new session: the transcript is cleared and the next message
--- opens a new conversation.
function M.new_session()
  if state.busy then
    ui.warn("deckhand is still answering: stop it with <C-c> first.")
    return
  end
  state.session_id, state.title = nil, nil
  state.items, state.tools = {}, {}
  state.last_message, state.context_tokens, state.context_window = nil, nil, nil
  if state.buf and vim.api.nvim_buf_is_valid(state.buf) then
    render_all(state.buf)
  end
  ui.info("deckhand: new session.")
end
M.reset = M.new_session

--- Shows a session's transcript (from sessions/load) and continues it.
function M.load_session(s)
  if state.busy then
    ui.warn("deckhand is still answering: stop it with <C-c> first.")
    return false
  end
  subscribe()
  state.session_id = s.sessionId
  state.title = s.title
  state.sessions_last = true
  state.items, state.tools = {}, {}
  state.model = s.model
  local n = #(s.turns or {})
  table.insert(state.items, {
    kind = "note",
    text = ("Session “%s” · %d turn%s%s · continued"):format(s.title or "untitled", n, n == 1 and "" or "s", s.model and (" · " .. s.model) or ""),
  })
  for _, turn in ipairs(s.turns or {}) do
    table.insert(state.items, { kind = "user", text = turn.message or "" })
    local tools = {}
    local function tool_item(t)
      return {
        kind = "tool",
        callId = t.callId,
        name = t.name,
        arguments = t.arguments,
        result = { ok = t.ok, output = t.output, error = t.error },
      }
    end
    if type(turn.steps) == "table" and #turn.steps > 0 then
      -- As it happened: reasoning, text and tools in their order.
      for _, t in ipairs(turn.tools or {}) do
        tools[t.callId] = t
      end
      for _, st in ipairs(turn.steps) do
        if st.kind == "reasoning" or st.kind == "text" then
          table.insert(state.items, { kind = st.kind, text = st.text or "" })
        elseif st.kind == "tool" and tools[st.callId] then
          table.insert(state.items, tool_item(tools[st.callId]))
        end
      end
    else
      for _, t in ipairs(turn.tools or {}) do
        table.insert(state.items, tool_item(t))
      end
      if turn.text and turn.text ~= "" then
        table.insert(state.items, { kind = "text", text = turn.text })
      end
    end
    if type(turn.error) == "string" and turn.error ~= "" then
      table.insert(state.items, { kind = "error", text = turn.error })
    end
    table.insert(state.items, { kind = "footer", text = "── " .. (turn.stopReason or "?") .. " ──" })
  end
  render_all(buffer())
  state.follow = true
  M.open({ focus = "input" })
  return true
end

function M.add_note(text)
  add({ kind = "note", text = text })
end

function M.session_id()
  return state.session_id
end

function M.is_busy()
  return state.busy
end

--- What status() shows: busy, spinner, model, context use.
function M.info()
  return {
    busy = state.busy,
    spinner = state.busy and M.SPINNER[state.spinner] or nil,
    model = state.model,
    session_id = state.session_id,
    context_tokens = state.context_tokens,
    context_window = state.context_window,
  }
end

--- Context waiting for the next message (deckhand.context adds to it).
function M.attachments()
  return state.attachments
end

--- Test and debugging view of the transcript.
function M.items()
  return state.items
end

return M
