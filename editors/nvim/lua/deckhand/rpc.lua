--- deckhand.rpc owns the connection to one deckhand child process: it spawns the
--- binary, speaks newline-delimited JSON-RPC 2.0 over its stdin/stdout, matches
--- answers to requests by id, and hands notifications and server requests
--- (permission/request) to the caller on the main loop.
---
--- Reading never waits for the editor: bytes are split into lines and decoded in
--- libuv's callback, and every handler runs later through vim.schedule, so a
--- prompt that is still open does not stop the next frame from being read.
local M = {}

--- Splits a byte stream into lines. feed(chunk) returns the complete lines the
--- chunk finished (without their line ends); the tail waits for the next chunk.
---@return fun(chunk: string): string[]
function M.line_splitter()
  local partial = ""
  return function(chunk)
    local lines = {}
    local data = partial .. chunk
    local start = 1
    while true do
      local nl = data:find("\n", start, true)
      if not nl then
        break
      end
      local line = data:sub(start, nl - 1):gsub("\r$", "")
      if line:find("%S") then
        lines[#lines + 1] = line
      end
      start = nl + 1
    end
    partial = data:sub(start)
    return lines
  end
end

local decode_opts = { luanil = { object = true, array = true } }

--- Decodes one frame; nil and a message when it is not a JSON object.
---@return table|nil, string|nil
function M.decode(line)
  if not line:find("^%s*{") then
    return nil, "frame is not a JSON object"
  end
  local ok, msg = pcall(vim.json.decode, line, decode_opts)
  if not ok then
    return nil, tostring(msg)
  end
  if type(msg) ~= "table" then
    return nil, "frame is not an object"
  end
  return msg
end

---@class deckhand.RpcError
---@field code integer
---@field message string
---@field data any

---@class deckhand.RpcHandlers
---@field on_notification fun(method: string, params: table)
---@field on_request fun(method: string, params: table, respond: fun(result: any, err: deckhand.RpcError|nil), id: any)
---@field on_exit fun(code: integer, stderr_tail: string[])|nil
---@field on_stderr fun(line: string)|nil

---@class deckhand.Rpc
---@field private proc vim.SystemObj
---@field private next_id integer
---@field private pending table<integer, fun(err: deckhand.RpcError|nil, result: any)>
---@field private closed boolean
local Rpc = {}
Rpc.__index = Rpc

local STDERR_KEEP = 50

--- Starts the child. cmd is the argv list; opts.cwd and opts.env (merged into
--- the editor's environment) are passed to the process.
---@param cmd string[]
---@param opts {cwd: string|nil, env: table|nil}
---@param handlers deckhand.RpcHandlers
---@return deckhand.Rpc|nil, string|nil
function M.start(cmd, opts, handlers)
  local self = setmetatable({ next_id = 0, pending = {}, closed = false, stderr_tail = {} }, Rpc)
  local split_out = M.line_splitter()
  local split_err = M.line_splitter()

  local function on_stdout(_, chunk)
    if not chunk then
      return
    end
    for _, line in ipairs(split_out(chunk)) do
      local msg, err = M.decode(line)
      vim.schedule(function()
        if msg then
          self:dispatch(msg)
        else
          self:log("unreadable frame from deckhand: " .. err)
        end
      end)
    end
  end

  local function on_stderr(_, chunk)
    if not chunk then
      return
    end
    for _, line in ipairs(split_err(chunk)) do
      table.insert(self.stderr_tail, line)
      if #self.stderr_tail > STDERR_KEEP then
        table.remove(self.stderr_tail, 1)
      end
      if handlers.on_stderr then
        vim.schedule(function()
          handlers.on_stderr(line)
        end)
      end
    end
  end

  local function on_exit(out)
    vim.schedule(function()
      self.closed = true
      local pending = self.pending
      self.pending = {}
      for _, cb in pairs(pending) do
        cb({ code = -32603, message = "deckhand exited (status " .. out.code .. ") before it answered." }, nil)
      end
      if handlers.on_exit then
        handlers.on_exit(out.code, self.stderr_tail)
      end
    end)
  end

  self.handlers = handlers
  local ok, proc = pcall(vim.system, cmd, {
    cwd = opts.cwd,
    env = opts.env,
    stdin = true,
    stdout = on_stdout,
    stderr = on_stderr,
    text = false,
  }, on_exit)
  if not ok then
    return nil, ("could not start %s: %s"):format(cmd[1], tostring(proc))
  end
  self.proc = proc
  return self
end

function Rpc:log(text)
  if self.handlers.on_stderr then
    self.handlers.on_stderr(text)
  end
end

--- Routes one decoded frame by its shape: a method with an id is a request from
--- deckhand, a method alone a notification, anything else an answer.
function Rpc:dispatch(msg)
  if type(msg.method) == "string" then
    local params = msg.params or {}
    if msg.id ~= nil then
      local answered = false
      self.handlers.on_request(msg.method, params, function(result, err)
        if answered then
          return
        end
        answered = true
        self:respond(msg.id, result, err)
      end, msg.id)
    else
      self.handlers.on_notification(msg.method, params)
    end
    return
  end
  if msg.id == nil then
    -- An answer without an id is deckhand refusing a frame it could not read.
    if msg.error then
      self:log("deckhand refused a frame: " .. tostring(msg.error.message))
    end
    return
  end
  local cb = self.pending[msg.id]
  if not cb then
    return
  end
  self.pending[msg.id] = nil
  if msg.error then
    cb({ code = msg.error.code, message = msg.error.message or "unknown error", data = msg.error.data }, nil)
  else
    cb(nil, msg.result)
  end
end

function Rpc:send(msg)
  if self.closed then
    return false
  end
  msg.jsonrpc = "2.0"
  local ok = pcall(self.proc.write, self.proc, vim.json.encode(msg) .. "\n")
  return ok
end

--- Params as a JSON object even when empty (an empty Lua table would encode as []).
local function object(params)
  if params == nil or next(params) == nil then
    return vim.empty_dict()
  end
  return params
end

--- Sends a request; cb(err, result) runs on the main loop when the answer arrives.
---@return integer|nil id
function Rpc:request(method, params, cb)
  self.next_id = self.next_id + 1
  local id = self.next_id
  self.pending[id] = cb
  if not self:send({ id = id, method = method, params = object(params) }) then
    self.pending[id] = nil
    vim.schedule(function()
      cb({ code = -32603, message = "deckhand is not running." }, nil)
    end)
    return nil
  end
  return id
end

function Rpc:notify(method, params)
  return self:send({ method = method, params = object(params) })
end

function Rpc:respond(id, result, err)
  if err then
    return self:send({ id = id, error = err })
  end
  return self:send({ id = id, result = result == nil and vim.NIL or result })
end

function Rpc:is_running()
  return not self.closed
end

--- Closes deckhand's stdin, which makes it cancel its work and exit; a child
--- still alive after timeout_ms is killed.
function Rpc:stop(timeout_ms)
  if self.closed then
    return
  end
  pcall(self.proc.write, self.proc, nil)
  local proc = self.proc
  vim.defer_fn(function()
    if not self.closed then
      pcall(proc.kill, proc, 15)
    end
  end, timeout_ms or 2000)
end

--- Blocks until the child has exited (used when the editor quits).
function Rpc:wait(timeout_ms)
  pcall(self.proc.wait, self.proc, timeout_ms)
end

return M
