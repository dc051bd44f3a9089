--- deckhand.diagnostics answers deckhand's diagnostics/request (protocol 1.2,
--- §20): what the user's language servers (or any source of vim.diagnostic)
--- report for the files a step of a turn is about to change ("before") or
--- changed ("after"). deckhand tells the model the problems the change
--- introduced. For "after", the answer waits until the DiagnosticChanged
--- events of those buffers settle, within a bound.
local M = {}

--- How an "after" answer waits (ms): until the asked buffers' diagnostics
--- changed and then stayed quiet for QUIET; when none changed, FIRST after
--- the request (longer when a language server is attached: it publishes a
--- moment after the change); never more than MAX_WAIT (deckhand itself gives
--- up at 5 s).
M.QUIET = 300
M.FIRST_LSP = 1500
M.FIRST_NONE = 500
M.MAX_WAIT = 3000

local SEVERITY = {
  [vim.diagnostic.severity.ERROR] = "error",
  [vim.diagnostic.severity.WARN] = "warning",
}

local function root()
  local info = require("deckhand").server_info()
  return info and info.workspaceRoot or vim.fn.getcwd()
end

--- The buffer of a workspace path, loaded (reading the file) when it was not:
--- loading runs the user's autocommands, so its language server attaches.
local function buffer_of(path)
  local abs = path:sub(1, 1) == "/" and path or (root() .. "/" .. path)
  abs = vim.fn.fnamemodify(abs, ":p")
  local buf = vim.fn.bufnr(abs)
  if buf == -1 then
    if vim.fn.filereadable(abs) == 0 then
      return nil
    end
    buf = vim.fn.bufadd(abs)
  end
  if not vim.api.nvim_buf_is_loaded(buf) then
    -- Kept loaded (its language server goes on checking it) but out of
    -- the user's buffer list: they did not open it.
    pcall(vim.fn.bufload, buf)
    vim.bo[buf].buflisted = false
    -- bufload skips the filetype (so no language server would start).
    if vim.bo[buf].filetype == "" then
      vim.api.nvim_buf_call(buf, function()
        pcall(vim.cmd, "filetype detect")
      end)
    end
  end
  return buf
end

--- The diagnostics of buf as the protocol has them: errors and warnings,
--- lines 1-based, path as asked.
function M.collect(path, buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local severity = SEVERITY[d.severity]
    if severity and type(d.message) == "string" and d.message ~= "" then
      out[#out + 1] = {
        path = path,
        range = { startLine = d.lnum + 1, endLine = (d.end_lnum or d.lnum) + 1 },
        severity = severity,
        message = d.message,
        source = d.source,
      }
    end
  end
  return out
end

--- Answers one diagnostics/request: respond({diagnostics}) now
--- ("before") or once the asked buffers' diagnostics settle ("after").
function M.answer(params, respond)
  local paths = type(params) == "table" and type(params.paths) == "table" and params.paths or {}
  local bufs = {}
  for _, path in ipairs(paths) do
    if type(path) == "string" and path ~= "" then
      local buf = buffer_of(path)
      if buf then
        bufs[#bufs + 1] = { path = path, buf = buf }
      end
    end
  end
  local function reply()
    local list = {}
    for _, b in ipairs(bufs) do
      if vim.api.nvim_buf_is_valid(b.buf) then
        vim.list_extend(list, M.collect(b.path, b.buf))
      end
    end
    respond({ diagnostics = list })
  end
  if params.when == "before" or #bufs == 0 then
    reply()
    return
  end
  local watched, lsp = {}, false
  for _, b in ipairs(bufs) do
    watched[b.buf] = true
    if #vim.lsp.get_clients({ bufnr = b.buf }) > 0 then
      lsp = true
    end
  end
  local first = lsp and M.FIRST_LSP or M.FIRST_NONE
  local started = vim.uv.now()
  local last = nil
  local group = vim.api.nvim_create_augroup("deckhand.diagnostics." .. tostring(started) .. "." .. math.random(1e9), { clear = true })
  vim.api.nvim_create_autocmd("DiagnosticChanged", {
    group = group,
    callback = function(ev)
      if watched[ev.buf] then
        last = vim.uv.now()
      end
    end,
  })
  local timer = vim.uv.new_timer()
  timer:start(25, 25, vim.schedule_wrap(function()
    if timer:is_closing() then
      return
    end
    local now = vim.uv.now()
    local settled = last and now - last >= M.QUIET or (not last and now - started >= first)
    if settled or now - started >= M.MAX_WAIT then
      timer:stop()
      timer:close()
      pcall(vim.api.nvim_del_augroup_by_id, group)
      reply()
    end
  end))
end

return M
