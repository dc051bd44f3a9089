--- deckhand.context owns what the user gives the chat besides the message:
--- files and selections added with :DeckhandAdd or `ga`, and `@path`
--- mentions completed in the input area. They go to deckhand as chat
--- attachments when it serves them (protocol 1.1); an older deckhand gets
--- them written into the message instead.
local ui = require("deckhand.ui")

local M = {}

M.MAX_INLINE = 64 * 1024
M.MAX_FILES = 5000

local function root()
  local info = require("deckhand").server_info()
  local r = (info and info.workspaceRoot) or require("deckhand").config().workspace_root or vim.fn.getcwd()
  return vim.fn.resolve(vim.fn.fnamemodify(r, ":p")):gsub("/$", "")
end

--- path relative to the workspace, or nil when it lies outside.
function M.relative(path)
  local abs = vim.fn.resolve(vim.fn.fnamemodify(path, ":p"))
  local r = root() .. "/"
  if abs:sub(1, #r) == r then
    return abs:sub(#r + 1)
  end
  return nil
end

local function pending()
  return require("deckhand.chat").attachments()
end

local function added(a)
  table.insert(pending(), a)
  require("deckhand.chat").draw_input_hints()
  ui.info("deckhand: added " .. require("deckhand.chat").attachment_label(a) .. " to the next message.")
end

--- Adds lines first..last of buf (a selection) or, without a range, the
--- buffer's file, to the next message.
function M.add(buf, first, last)
  buf = (buf == nil or buf == 0) and vim.api.nvim_get_current_buf() or buf
  local name = vim.api.nvim_buf_get_name(buf)
  local rel = name ~= "" and vim.bo[buf].buftype == "" and M.relative(name) or nil
  if not rel then
    ui.warn("deckhand: only files inside the workspace can be added (" .. (name ~= "" and name or "this buffer has no file") .. ").")
    return nil
  end
  local a
  if first and last then
    local text = table.concat(vim.api.nvim_buf_get_lines(buf, first - 1, last, false), "\n")
    a = { type = "selection", path = rel, range = { startLine = first, endLine = last }, text = text }
  else
    a = { type = "file", path = rel }
  end
  added(a)
  return a
end

--- Workspace files (not under .git or ignored heavy folders), relative paths.
function M.files()
  local out = {}
  local r = root()
  local skip = { [".git"] = true, node_modules = true, [".cache"] = true }
  for name, kind in vim.fs.dir(r, {
    depth = 12,
    skip = function(dir)
      return not skip[vim.fs.basename(dir)]
    end,
  }) do
    if kind == "file" then
      out[#out + 1] = name
      if #out >= M.MAX_FILES then
        break
      end
    end
  end
  table.sort(out)
  return out
end

--- `ga`: the buffer the chat was opened from, or any workspace file.
function M.pick()
  local items = {}
  local alt = vim.fn.bufnr("#")
  for _, buf in ipairs({ alt }) do
    if buf > 0 and vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].buftype == "" then
      local rel = M.relative(vim.api.nvim_buf_get_name(buf))
      if rel then
        items[#items + 1] = { path = rel, label = rel .. "  (current buffer)" }
      end
    end
  end
  for _, f in ipairs(M.files()) do
    if not items[1] or items[1].path ~= f then
      items[#items + 1] = { path = f, label = f }
    end
  end
  ui.select(items, {
    prompt = "Add to deckhand's context",
    format_item = function(i)
      return i.label
    end,
  }, function(choice)
    if choice then
      added({ type = "file", path = choice.path })
    end
  end)
end

--- omnifunc of the input area: completes @path mentions.
function M.omnifunc(findstart, base)
  if findstart == 1 then
    local line = vim.api.nvim_get_current_line():sub(1, vim.api.nvim_win_get_cursor(0)[2])
    local at = line:find("@[^%s@]*$")
    return at and (at - 1) or -3
  end
  local out = {}
  local needle = base:gsub("^@", "")
  for _, f in ipairs(M.files()) do
    if needle == "" or f:find(needle, 1, true) then
      out[#out + 1] = { word = "@" .. f, abbr = f, menu = "[deckhand]" }
    end
  end
  return out
end

local function read(path, range)
  local abs = root() .. "/" .. path
  local ok, lines = pcall(vim.fn.readfile, abs)
  if not ok then
    return nil
  end
  if range then
    lines = vim.list_slice(lines, range.startLine, range.endLine)
  end
  local text = table.concat(lines, "\n")
  if #text > M.MAX_INLINE then
    text = text:sub(1, M.MAX_INLINE) .. "\n… (cut)"
  end
  return text
end

--- Takes the waiting context and the @mentions of message. Returns the
--- attachments to send (deckhand serves them) and, for a deckhand that does
--- not, {message = the message with the context written into it,
--- attachments = what was written in}.
function M.take(message)
  local list = pending()
  local all = {}
  for _, a in ipairs(list) do
    all[#all + 1] = a
  end
  for i = #list, 1, -1 do
    list[i] = nil
  end
  local seen = {}
  for mention in message:gmatch("@([%w%._%-/]+)") do
    if not seen[mention] and vim.fn.filereadable(root() .. "/" .. mention) == 1 then
      seen[mention] = true
      all[#all + 1] = { type = "file", path = mention }
    end
  end
  require("deckhand.chat").draw_input_hints()
  if #all == 0 then
    return {}, { message = message, attachments = {} }
  end
  if require("deckhand").has("attachments") then
    return all, { message = message, attachments = {} }
  end
  local parts = { message }
  for _, a in ipairs(all) do
    local text = a.text or read(a.path, a.range)
    if text then
      local fence = "```"
      while text:find(fence, 1, true) do
        fence = fence .. "`"
      end
      local where = a.range and (" lines %d-%d"):format(a.range.startLine, a.range.endLine) or ""
      parts[#parts + 1] = ("%s%s:\n%s\n%s\n%s"):format(a.path, where, fence, text, fence)
    end
  end
  return {}, { message = table.concat(parts, "\n\n"), attachments = all }
end

return M
