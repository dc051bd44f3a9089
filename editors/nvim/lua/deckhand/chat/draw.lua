--- Drawing the transcript into the chat buffer: markdown blocks, the status
--- line and its spinner, following the end.
local core = require("deckhand.chat.core")
local M, P, state = core.M, core.P, core.state
local ns, ns_tool, ns_fold, ns_status, ns_live = M.ns.text, M.ns.tool, M.ns.fold, M.ns.status, M.ns.live

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

--- Closes the folds of output blocks drawn since the last refresh: Neovim
--- gives a new fold the state of the fold before it, so once the user opened
--- one, every later output came open. A later edit next to a block can make
--- Neovim create its fold anew (open again): the folds closed here stay
--- closed until the user presses a key in the chat (then they are theirs).
local function close_new(buf, win, marks)
  state.managed_folds = state.managed_folds or {}
  for _, id in ipairs(marks) do
    state.managed_folds[id] = true
  end
  for id in pairs(state.managed_folds) do
    local pos = vim.api.nvim_buf_get_extmark_by_id(buf, ns_fold, id, {})
    if pos and pos[1] then
      vim.api.nvim_win_call(win, function()
        local lnum = pos[1] + 1
        if vim.fn.foldlevel(lnum) > 0 and vim.fn.foldclosed(lnum) == -1 then
          vim.cmd(lnum .. "foldclose")
        end
      end)
    else
      state.managed_folds[id] = nil
    end
  end
end

vim.on_key(function()
  if not state.own_keys and state.managed_folds and next(state.managed_folds) and state.buf and vim.api.nvim_get_current_buf() == state.buf then
    state.managed_folds = {}
  end
end, vim.api.nvim_create_namespace("deckhand.chat.keys"))

local function refresh_folds(buf)
  if refresh_queued or #vim.api.nvim_buf_get_extmarks(buf, ns_fold, 0, -1, { limit = 1 }) == 0 then
    return
  end
  refresh_queued = true
  vim.schedule(function()
    refresh_queued = false
    local new = state.new_folds or {}
    state.new_folds = {}
    if vim.api.nvim_buf_is_valid(buf) then
      for _, win in ipairs(vim.fn.win_findbuf(buf)) do
        vim.wo[win].foldmethod = "expr"
        close_new(buf, win, new)
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
    P.to_end(win)
  end
end

local function hl_line(buf, row, group, col_end)
  vim.api.nvim_buf_set_extmark(buf, ns, row, 0, { end_col = col_end or #(vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1] or ""), hl_group = group })
end

--- Tool arguments in one short line: path=a.go content="…".

--- The width a chat window has for text: the narrowest showing buf, else
--- the half screen a new chat split gets.
local function text_width(buf)
  local width
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    local info = vim.fn.getwininfo(win)[1]
    local w = vim.api.nvim_win_get_width(win) - (info and info.textoff or 0)
    width = math.min(width or w, w)
  end
  return width or math.floor(vim.o.columns / 2)
end

--- A footer as virtual lines of at most width columns: virtual lines do not
--- wrap, so a long footer goes on under itself, broken after a " ·".
function M.footer_lines(text, width)
  local parts = vim.split(text, " · ", { plain = true })
  local lines, cur = {}, parts[1]
  for i = 2, #parts do
    local joined = cur .. " · " .. parts[i]
    -- (room for the " ·" that ends a line broken here)
    if vim.fn.strdisplaywidth(joined) <= width - 2 or i == #parts and vim.fn.strdisplaywidth(joined) <= width then
      cur = joined
    else
      lines[#lines + 1] = cur .. " ·"
      cur = "   " .. parts[i]
    end
  end
  lines[#lines + 1] = cur
  return lines
end

local function draw_footer(buf, item)
  local row = line_count(buf) - 1
  local virt = {}
  for _, line in ipairs(M.footer_lines(item.text, text_width(buf))) do
    virt[#virt + 1] = { { line, item.group or "DeckhandFooter" } }
  end
  vim.api.nvim_buf_set_extmark(buf, ns, row, 0, {
    virt_lines = virt,
    -- Text put at this very spot (the next turn, when this line is empty)
    -- goes after the footer, which stays under its own turn.
    right_gravity = false,
  })
  P.draw_changes(buf, item, row)
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
    P.draw_tool(buf, item)
    P.draw_live(buf, item)
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
    hl_line(buf, line_count(buf) - 1, item.group or "DeckhandNote")
    state.mode = "note"
  end
end

--- Draws the whole transcript into a fresh buffer.
local function render_all(buf)
  edit(buf, function()
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, {})
  end)
  for _, n in ipairs({ ns, ns_tool, ns_fold, ns_status, ns_live, M.ns.changes }) do
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
  local buf = P.buffer()
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
  local buf = P.buffer()
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

P.edit = edit
P.line_count = line_count
P.last_line = last_line
P.is_empty = is_empty
P.put = put
P.open_block = open_block
P.open_line = open_line
P.refresh_folds = refresh_folds
P.follow = follow
P.hl_line = hl_line
P.draw = draw
P.render_all = render_all
P.add = add
P.extend = extend
P.start_spinner = start_spinner
P.stop_spinner = stop_spinner
