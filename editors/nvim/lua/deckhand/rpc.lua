--- deckhand.rpc owns the connection to one deckhand child process. It is a
--- thin layer over Neovim's own JSON-RPC client, vim.lsp.rpc (Content-Length
--- framing, which deckhand serves): it starts the child, sends requests and
--- notifications, and hands notifications and server requests
--- (permission/request) to the caller on the main loop.
---
--- Server requests may be answered later: the handler gets a respond function,
--- and vim.lsp.rpc's reply is held in a coroutine until it is called.
local M = {}

--- Params as a JSON object even when empty (an empty Lua table would encode as []).
function M.object(params)
  if params == nil or next(params) == nil then
    return vim.empty_dict()
  end
  return params
end

---@class deckhand.RpcError
---@field code integer
---@field message string
---@field data any

---@class deckhand.RpcHandlers
---@field on_notification fun(method: string, params: table)
---@field on_request fun(method: string, params: table, respond: fun(result: any, err: deckhand.RpcError|nil), id: any)
---@field on_exit fun(code: integer, signal: integer)|nil

---@class deckhand.Rpc
---@field private client table vim.lsp.rpc's client
---@field private closed boolean
local Rpc = {}
Rpc.__index = Rpc

--- Calls vim.lsp.rpc.start with the signature of the running Neovim:
--- start(cmd, dispatchers, extra) on 0.10 and later (cmd a list; 0.11 also
--- takes a function), start(cmd, args, dispatchers, extra) before 0.10.
---@param start function vim.lsp.rpc.start (a parameter so tests can pass their own)
function M.lsp_start(start, cmd, dispatchers, extra)
  if vim.fn.has("nvim-0.10") == 1 then
    return start(cmd, dispatchers, extra)
  end
  return start(cmd[1], vim.list_slice(cmd, 2), dispatchers, extra)
end

--- Starts the child. cmd is the argv list; opts.cwd and opts.env (merged into
--- the editor's environment) are passed to the process.
---@param cmd string[]
---@param opts {cwd: string|nil, env: table|nil}
---@param handlers deckhand.RpcHandlers
---@return deckhand.Rpc|nil, string|nil
function M.start(cmd, opts, handlers)
  local self = setmetatable({ closed = false, handlers = handlers }, Rpc)
  -- vim.lsp.rpc already runs notifications, server requests and answers on
  -- the main loop, each scheduled once in the order the frames came; a
  -- second vim.schedule here would let a turn's answer overtake its last
  -- notifications. Only a callback from a fast context is scheduled.
  local function main(fn)
    if vim.in_fast_event() then
      vim.schedule(fn)
    else
      fn()
    end
  end
  local dispatchers = {
    notification = function(method, params)
      main(function()
        handlers.on_notification(method, params or {})
      end)
    end,
    -- Runs inside a coroutine that vim.lsp.rpc resumes on the main loop; the
    -- answer it returns is sent as the reply, so wait here for the user.
    server_request = function(method, params)
      local co = coroutine.running()
      local done, result, err = false, nil, nil
      local waiting = false
      local function respond(r, e)
        if done then
          return
        end
        done, result, err = true, r, e
        if waiting then
          local ok, msg = coroutine.resume(co)
          if not ok then
            vim.notify("deckhand: answering " .. method .. " failed: " .. tostring(msg), vim.log.levels.ERROR)
          end
        end
      end
      handlers.on_request(method, params or {}, respond, nil)
      if not done then
        waiting = true
        coroutine.yield()
      end
      if err then
        return nil, err
      end
      return result == nil and vim.NIL or result, nil
    end,
    on_exit = function(code, signal)
      vim.schedule(function()
        self.closed = true
        if handlers.on_exit then
          handlers.on_exit(code, signal)
        end
      end)
    end,
    on_error = function(code, err)
      main(function()
        local name = vim.lsp.rpc.client_errors[code] or tostring(code)
        vim.notify(("deckhand: connection error %s: %s"):format(name, vim.inspect(err)), vim.log.levels.WARN)
      end)
    end,
  }
  local ok, client = pcall(M.lsp_start, vim.lsp.rpc.start, cmd, dispatchers, { cwd = opts.cwd, env = opts.env })
  if not ok or not client then
    return nil, ("could not start %s: %s"):format(cmd[1], tostring(client))
  end
  self.client = client
  return self
end

--- Sends a request; cb(err, result) runs on the main loop when the answer arrives.
---@return integer|nil id
function Rpc:request(method, params, cb)
  local function fail()
    vim.schedule(function()
      cb({ code = -32603, message = "deckhand is not running." }, nil)
    end)
  end
  if self.closed then
    fail()
    return nil
  end
  local ok, sent, id = pcall(self.client.request, method, M.object(params), function(err, result)
    if err then
      err = { code = err.code, message = err.message or "unknown error", data = err.data }
    end
    cb(err, result)
  end)
  if not ok or not sent then
    fail()
    return nil
  end
  return id
end

function Rpc:notify(method, params)
  if self.closed then
    return false
  end
  return pcall(self.client.notify, method, M.object(params))
end

function Rpc:is_running()
  return not self.closed
end

--- Asks deckhand to finish (shutdown, then exit: it cancels its work and
--- writes its state); a child still running after timeout_ms is killed.
function Rpc:stop(timeout_ms)
  if self.closed then
    return
  end
  local client = self.client
  local function exit()
    pcall(client.notify, "exit", vim.empty_dict())
    vim.defer_fn(function()
      if not self.closed then
        pcall(client.terminate)
      end
    end, timeout_ms or 2000)
  end
  local sent = pcall(client.request, "shutdown", vim.empty_dict(), function()
    exit()
  end)
  if not sent then
    pcall(client.terminate)
  end
  self.stopping = true
end

--- Blocks until the child has exited (used when the editor quits); kills it
--- when it has not after timeout_ms.
function Rpc:wait(timeout_ms)
  local ok = vim.wait(timeout_ms or 1000, function()
    return self.closed or (self.client.is_closing and self.client.is_closing())
  end, 10)
  if not ok then
    pcall(self.client.terminate)
  end
end

return M
