--- The chat's buffers (the transcript and the input area) and their windows:
--- creating them, the winbar, the folds of tool output, opening and closing.
local core = require("deckhand.chat.core")
local M, P, state = core.M, core.P, core.state
local CHAT_NAME = "deckhand://chat"
local INPUT_NAME = "deckhand://input"
local ns_fold = M.ns.fold

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

local function buffer()
  if state.buf and vim.api.nvim_buf_is_valid(state.buf) and vim.api.nvim_buf_is_loaded(state.buf) then
    return state.buf
  end
  local buf = scratch(CHAT_NAME, "markdown")
  vim.bo[buf].modifiable = false
  state.buf = buf
  M.highlight(buf)
  watch(buf, "buf")
  P.set_keys(buf, false)
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
  P.render_all(buf)
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
  P.set_keys(buf, true)
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
  -- (Keys of the plugin's own, not the user's: see on_key in draw.lua.)
  state.own_keys = true
  pcall(vim.api.nvim_win_call, win, function()
    vim.cmd("normal! zb")
  end)
  state.own_keys = false
end


--- 'foldexpr' of the chat: an output block (its fences included) is a fold
--- of level 1; ">1" and "<1" mark its ends so that a partial update of the
--- folds never splits it.
function M.foldexpr(lnum)
  local buf = vim.api.nvim_get_current_buf()
  local row = lnum - 1
  local first, last
  local p = P.pending_fold
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

--- Keeps every chat window readable when the screen shrinks: Neovim takes
--- the columns from the rightmost windows first, which left the chat one
--- column wide at 60 columns. A chat beside other windows gets at least half
--- the screen, up to 40 columns (the input area is in its column).
function M.fit_width()
  local want = math.min(40, math.floor(vim.o.columns / 2))
  for _, win in ipairs(vim.fn.win_findbuf(state.buf or -1)) do
    local width = vim.api.nvim_win_get_width(win)
    -- (A chat as wide as the screen has nothing beside it to take from.)
    if width < want and width < vim.o.columns then
      pcall(vim.api.nvim_win_set_width, win, want)
    end
  end
end

vim.api.nvim_create_autocmd("VimResized", {
  group = vim.api.nvim_create_augroup("deckhand.chat.resize", { clear = true }),
  callback = function()
    M.fit_width()
  end,
})

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
      vim.cmd(P.cfg().chat_split or "botright vsplit")
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
    vim.api.nvim_win_set_height(iwin, P.cfg().input_height or 4)
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

P.scratch = scratch
P.watch = watch
P.buffer = buffer
P.input_buffer = input_buffer
P.win_of = win_of
P.to_end = to_end
