-- Loaded inside the child Neovim: records what the plugin shows through
-- vim.notify, vim.ui.select and vim.ui.input, and answers pickers and inputs
-- from queues the test fills (T.answers, T.input_answers).
_G.T = { notes = {}, selects = {}, inputs = {}, answers = {}, input_answers = {}, waiting = nil }

vim.notify = function(msg, level)
  table.insert(T.notes, { msg = tostring(msg), level = level })
end

local function labels_of(items, opts)
  local labels = {}
  for i, item in ipairs(items) do
    labels[i] = opts.format_item and opts.format_item(item) or tostring(item)
  end
  return labels
end

-- Answers the select on screen with the item labelled label (nil cancels).
function T.choose(label)
  local w = T.waiting
  T.waiting = nil
  if not w then
    error("no picker is open")
  end
  for i, l in ipairs(w.labels) do
    if l == label then
      vim.schedule(function() w.cb(w.items[i], i) end)
      return true
    end
  end
  vim.schedule(function() w.cb(nil, nil) end)
  return false
end

vim.ui.select = function(items, opts, cb)
  local labels = labels_of(items, opts)
  table.insert(T.selects, { prompt = opts.prompt, labels = labels })
  T.waiting = { items = items, labels = labels, cb = cb }
  if #T.answers > 0 then
    T.choose(table.remove(T.answers, 1))
  end
end

vim.ui.input = function(opts, cb)
  table.insert(T.inputs, opts.prompt or "")
  local value = table.remove(T.input_answers, 1)
  vim.schedule(function() cb(value) end)
end

function T.notes_text()
  local out = {}
  for _, n in ipairs(T.notes) do
    out[#out + 1] = n.msg
  end
  return table.concat(out, "\n")
end

function T.chat_text()
  local buf = require("deckhand.chat").buffer()
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
end

function T.last_select()
  return T.selects[#T.selects]
end

-- The virtual lines of the chat buffer (footers, status), one string per
-- mark: a footer broken over lines to fit the window reads as one line
-- again (its lines joined, the indent of the later ones dropped).
function T.virt_lines(name)
  local chat = require("deckhand.chat")
  local buf = chat.buffer()
  local out = {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, chat.ns[name or "text"], 0, -1, { details = true })) do
    local lines = {}
    for i, vl in ipairs(m[4].virt_lines or {}) do
      local s = ""
      for _, chunk in ipairs(vl) do
        s = s .. chunk[1]
      end
      lines[#lines + 1] = i > 1 and (s:gsub("^   ", "")) or s
    end
    if #lines > 0 then
      out[#out + 1] = table.concat(lines, " ")
    end
  end
  return out
end

-- The virtual lines of the chat buffer as drawn, one string each.
function T.screen_virt_lines(name)
  local chat = require("deckhand.chat")
  local out = {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(chat.buffer(), chat.ns[name or "text"], 0, -1, { details = true })) do
    for _, vl in ipairs(m[4].virt_lines or {}) do
      local s = ""
      for _, chunk in ipairs(vl) do
        s = s .. chunk[1]
      end
      out[#out + 1] = s
    end
  end
  return out
end

-- Rows (1-based) of the chat buffer highlighted with group by an extmark.
function T.hl_rows(group)
  local chat = require("deckhand.chat")
  local buf = chat.buffer()
  local rows = {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, chat.ns.text, 0, -1, { details = true })) do
    if m[4].hl_group == group then
      rows[#rows + 1] = m[2] + 1
    end
  end
  return rows
end

-- The 1-based row of the first chat line containing s.
function T.row_of(s)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(require("deckhand.chat").buffer(), 0, -1, false)) do
    if l:find(s, 1, true) then
      return i
    end
  end
end

-- Floating windows: {title, text, buf} each.
function T.floats()
  local out = {}
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    local c = vim.api.nvim_win_get_config(w)
    if c.relative ~= "" then
      local title = ""
      for _, chunk in ipairs(type(c.title) == "table" and c.title or {}) do
        title = title .. chunk[1]
      end
      local b = vim.api.nvim_win_get_buf(w)
      out[#out + 1] = { win = w, title = title, buf = b, text = table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), "\n") }
    end
  end
  return out
end

function T.float_text()
  local f = T.floats()[1]
  return f and (f.title .. "\n" .. f.text) or ""
end

-- Types into the input area and sends with the given key.
function T.input(text)
  local chat = require("deckhand.chat")
  chat.open({ focus = "input" })
  vim.api.nvim_buf_set_lines(chat.input_buffer(), 0, -1, false, vim.split(text, "\n"))
end
