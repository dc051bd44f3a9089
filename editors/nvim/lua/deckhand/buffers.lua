--- deckhand.buffers keeps the user's buffers in step with what the agent did
--- on disk: a buffer whose file deckhand changed is reloaded when it holds no
--- unsaved changes, and the user is warned (nothing reloaded) when it does,
--- so that saving it cannot silently undo the agent's change. After bash,
--- which may have changed anything, every open file is checked.
local M = {}

local function root()
  local info = require("deckhand").server_info()
  local r = require("deckhand").config().workspace_root or vim.fn.getcwd()
  return vim.fn.fnamemodify((info and info.workspaceRoot) or r, ":p"):gsub("/$", "")
end

--- The absolute, symlink-resolved form of a path deckhand reported (relative
--- paths are relative to the workspace).
function M.absolute(path)
  if not path or path == "" then
    return nil
  end
  if path:sub(1, 1) ~= "/" then
    path = root() .. "/" .. path
  end
  return vim.fn.resolve(vim.fn.fnamemodify(path, ":p"))
end

--- Loaded buffers holding a file, by resolved path.
local function file_buffers()
  local out = {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].buftype == "" then
      local name = vim.api.nvim_buf_get_name(buf)
      if name ~= "" then
        out[vim.fn.resolve(vim.fn.fnamemodify(name, ":p"))] = buf
      end
    end
  end
  return out
end

local function warn(buf)
  local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ":~:.")
  vim.notify(
    ("deckhand changed %s on disk, but your buffer has unsaved changes, so it was not reloaded: :e! takes deckhand's version, :w would overwrite it."):format(name),
    vim.log.levels.WARN,
    { title = "deckhand" }
  )
end

--- Reloads buf from disk (it has no unsaved changes); windows keep their view
--- and the old text stays in the undo history.
local function reload(buf)
  local views = {}
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    views[win] = vim.api.nvim_win_call(win, vim.fn.winsaveview)
  end
  vim.api.nvim_buf_call(buf, function()
    vim.cmd("silent! keepalt keepjumps edit")
  end)
  for win, view in pairs(views) do
    if vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_win_call(win, function()
        vim.fn.winrestview(view)
      end)
    end
  end
end

--- Brings the buffers of paths up to date; returns {reloaded = {bufs}, warned = {bufs}}.
function M.sync(paths)
  local result = { reloaded = {}, warned = {} }
  if require("deckhand").config().reload_buffers == false then
    return result
  end
  local bufs = file_buffers()
  for _, p in ipairs(paths or {}) do
    local buf = bufs[M.absolute(p) or ""]
    if buf then
      if vim.bo[buf].modified then
        warn(buf)
        table.insert(result.warned, buf)
      else
        reload(buf)
        table.insert(result.reloaded, buf)
      end
    end
  end
  return result
end

-- Files of modified buffers and their times before a bash call, to tell
-- afterwards which of them bash changed.
local before = {}

local function stamp(path)
  local st = vim.uv.fs_stat(path)
  return st and (st.mtime.sec * 1e9 + st.mtime.nsec + st.size) or -1
end

function M.before_bash()
  before = {}
  for path, buf in pairs(file_buffers()) do
    if vim.bo[buf].modified then
      before[path] = stamp(path)
    end
  end
end

--- After bash: unmodified buffers are checked against their files (and
--- reloaded when the file changed); modified ones get a warning when bash
--- changed their file.
function M.check_all()
  if require("deckhand").config().reload_buffers == false then
    return
  end
  for path, buf in pairs(file_buffers()) do
    if vim.bo[buf].modified then
      if before[path] and before[path] ~= stamp(path) then
        warn(buf)
      end
    else
      local autoread = vim.bo[buf].autoread
      vim.bo[buf].autoread = true
      vim.api.nvim_buf_call(buf, function()
        vim.cmd("silent! checktime " .. buf)
      end)
      vim.bo[buf].autoread = autoread
    end
  end
  before = {}
end

--- Called for every chat/toolResult: changedPaths when deckhand sent them,
--- else the path of a successful write or edit; after bash, every file.
function M.after_tool(p, arguments)
  if p.changedPaths then
    M.sync(p.changedPaths)
  elseif p.name == "bash" then
    M.check_all()
  elseif p.ok and (p.name == "write" or p.name == "edit") and type(arguments) == "table" and arguments.path then
    M.sync({ arguments.path })
  end
end

return M
