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
