--- deckhand is the Neovim face of the deckhand coding agent. This module owns
--- the plugin's configuration and its one deckhand child: it starts the child
--- on first use, initializes it, routes its notifications to the login and chat
--- views, answers its permission requests, and offers the commands' entry points.
local rpc = require("deckhand.rpc")
local ui = require("deckhand.ui")

local M = {}

M.MIN_VERSION = "0.10"

local defaults = {
  -- deckhand's executable; when nil, the binary built in the repository this
  -- plugin comes from (bin/deckhand, `make build`), else "deckhand" on PATH.
  cmd = nil,
  args = {},
  -- environment added to the editor's for the child (DECKHAND_HOME, OPENAI_BASE_URL, ...).
  env = {},
  -- the directory the tools are confined to; the current directory when nil.
  workspace_root = nil,
  -- model for chat turns; deckhand's default when nil (:DeckhandModels picks one).
  model = nil,
  -- "low" | "medium" | "high"; deckhand's default when nil.
  reasoning_effort = nil,
  -- open the system browser for the browser login.
  open_browser = true,
  -- how the chat is opened when it is not on screen.
  chat_split = "botright vsplit",
  -- height of the input area under the chat, in lines.
  input_height = 4,
  -- vim.notify when a turn ends or needs permission while the chat is hidden.
  notify_hidden = true,
  -- reload unmodified buffers of files deckhand changed (warn on modified ones).
  reload_buffers = true,
  -- "float": permission requests show the review float (never focused until
  -- :DeckhandReview or g4); "select": vim.ui.select, opened by :DeckhandReview.
  review = "float",
  -- answer deckhand's diagnostics/request from vim.diagnostic (your language
  -- servers), so the model hears of the problems its changes introduced.
  diagnostics = true,
  -- "on-request" | "untrusted" | "never": when commands ask first (protocol
  -- 1.2; :DeckhandPolicy or gp picks it); deckhand's default when nil.
  approval_policy = nil,
  -- MCP servers this editor adds ({name = {command, args?, env?} | {url}}),
  -- beside DECKHAND_HOME/config.json's and the workspace's .mcp.json.
  mcp_servers = nil,
}

--- Everything the plugin holds while Neovim runs, in one place.
local state = {
  config = vim.deepcopy(defaults),
  client = nil, ---@type deckhand.Rpc|nil
  ready = false,
  waiting = {}, -- callbacks queued until initialize answers
  server = nil, -- the initialize result
  listeners = {}, -- method -> list of fn(params)
}

function M.supported()
  return vim.fn.has("nvim-" .. M.MIN_VERSION) == 1
end

--- Configures the plugin; opts override the defaults above. Returns false (and
--- says why) on a Neovim older than MIN_VERSION.
function M.setup(opts)
  if not M.supported() then
    ui.error(("deckhand needs Neovim %s or newer; this is %s."):format(M.MIN_VERSION, tostring(vim.version())))
    return false
  end
  state.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  M.define_commands()
  return true
end

--- Defines the :Deckhand… commands when plugin/deckhand.lua has not run:
--- a plugin manager that puts this directory on 'runtimepath' only after
--- sourcing plugin files (lazy.nvim with a subdirectory of a repository, in
--- its config function) would leave them undefined.
function M.define_commands()
  if vim.g.loaded_deckhand then
    return
  end
  local here = debug.getinfo(1, "S").source:sub(2)
  local file = vim.fn.fnamemodify(here, ":p:h:h:h") .. "/plugin/deckhand.lua"
  if vim.uv.fs_stat(file) then
    vim.cmd.source(vim.fn.fnameescape(file))
  end
end

function M.config()
  return state.config
end

--- Subscribes fn(params) to a notification method; returns the unsubscribe function.
function M.on(method, fn)
  state.listeners[method] = state.listeners[method] or {}
  table.insert(state.listeners[method], fn)
  return function()
    local list = state.listeners[method] or {}
    for i, f in ipairs(list) do
      if f == fn then
        table.remove(list, i)
        return
      end
    end
  end
end

local function emit(method, params)
  for _, fn in ipairs(vim.list_slice(state.listeners[method] or {})) do
    local ok, err = pcall(fn, params)
    if not ok then
      ui.error(("deckhand: handling %s failed: %s"):format(method, err))
    end
  end
end

local function workspace_root()
  local root = state.config.workspace_root or vim.fn.getcwd()
  return vim.fn.fnamemodify(root, ":p"):gsub("/$", "")
end

local function on_request(method, params, respond, id)
  if method == "permission/request" then
    require("deckhand.permission").ask(params, respond, id)
    return
  end
  if method == "diagnostics/request" and state.config.diagnostics ~= false then
    require("deckhand.diagnostics").answer(params, respond)
    return
  end
  respond(nil, { code = -32601, message = "The editor does not serve " .. method .. "." })
end

local function on_notification(method, params)
  if method == "$/cancelRequest" then
    require("deckhand.permission").withdraw(params.id)
    return
  end
  if method == "auth/completed" and params.ok then
    M.set_auth(params.status)
  end
  if method == "account/limits" then
    M.set_limits(params)
  end
  emit(method, params)
end

--- The last non-empty line of deckhand's log, to say why it stopped.
local function log_tail()
  local ok, lines = pcall(vim.fn.readfile, M.log_file(), "", -5)
  if not ok then
    return nil
  end
  for i = #lines, 1, -1 do
    if vim.trim(lines[i]) ~= "" then
      return vim.trim(lines[i]):sub(1, 300)
    end
  end
end

local function on_exit(code, signal)
  local was_ready = state.ready
  local stopping = state.client and state.client.stopping
  state.client, state.ready, state.server = nil, false, nil
  local waiting = state.waiting
  state.waiting = {}
  local msg = ("deckhand exited (status %d%s)."):format(code, (signal and signal ~= 0) and (", signal " .. signal) or "")
  if code ~= 0 and not stopping then
    local tail = log_tail()
    msg = msg .. (tail and (" Its log ends: " .. tail) or (" See " .. M.log_file() .. "."))
  end
  if stopping then
    code = 0
  end
  for _, cb in ipairs(waiting) do
    cb({ code = -32603, message = msg })
  end
  if not stopping and (code ~= 0 or not was_ready) then
    ui.error(msg)
  end
  if package.loaded["deckhand.permission"] then
    require("deckhand.permission").drop_session(nil)
  end
  emit("deckhand/exit", { code = code })
end

--- The plugin's own directory (editors/nvim of a deckhand checkout).
M.plugin_dir = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h:h:h")

--- The deckhand executable to run and where it was found: the configured cmd,
--- else bin/deckhand of the checkout this plugin lives in, else PATH.
---@return string|nil path, string how
function M.binary()
  local cmd = state.config.cmd
  if cmd and cmd ~= "" then
    local path = vim.fn.exepath(cmd)
    return path ~= "" and path or nil, "setup({ cmd = " .. vim.inspect(cmd) .. " })"
  end
  -- The real directory: a packadd install is often a symlink to the checkout.
  local dir = vim.uv.fs_realpath(M.plugin_dir) or M.plugin_dir
  local built = vim.fn.fnamemodify(dir .. "/../../bin/deckhand", ":p")
  if vim.fn.executable(built) == 1 then
    return built, "built in the plugin's checkout"
  end
  local path = vim.fn.exepath("deckhand")
  return path ~= "" and path or nil, "PATH"
end

--- deckhand's log file: DECKHAND_LOG_FILE from setup's env, else deckhand.log
--- in Neovim's log directory (stderr would go to Neovim's LSP log).
function M.log_file()
  local env = state.config.env or {}
  if env.DECKHAND_LOG_FILE and env.DECKHAND_LOG_FILE ~= "" then
    return env.DECKHAND_LOG_FILE
  end
  if vim.env.DECKHAND_LOG_FILE and vim.env.DECKHAND_LOG_FILE ~= "" then
    return vim.env.DECKHAND_LOG_FILE
  end
  local dir = vim.fn.stdpath("log")
  vim.fn.mkdir(dir, "p")
  return dir .. "/deckhand.log"
end

local function start()
  local cfg = state.config
  local bin, how = M.binary()
  if not bin then
    return ("deckhand was not found (%s): run `make build` in the deckhand checkout, put deckhand on PATH, or set cmd in require('deckhand').setup()."):format(how)
  end
  local cmd = vim.list_extend({ bin }, vim.deepcopy(cfg.args))
  local root = workspace_root()
  local env = vim.tbl_extend("force", { DECKHAND_LOG_FILE = M.log_file() }, cfg.env or {})
  local client, err = rpc.start(cmd, { cwd = root, env = env }, {
    on_request = on_request,
    on_notification = on_notification,
    on_exit = on_exit,
  })
  if not client then
    return err
  end
  state.client = client
  client:request("initialize", {
    clientInfo = { name = "deckhand.nvim", version = "0.1.0" },
    workspaceRoot = root,
    -- diagnostics (1.2): deckhand asks what vim.diagnostic reports for the
    -- files a step changes, and tells the model the problems it introduced.
    capabilities = { permissions = true, preview = true, changedPaths = true, diagnostics = cfg.diagnostics ~= false },
    approvalPolicy = cfg.approval_policy,
    -- (An empty table would go as a JSON array.)
    mcpServers = type(cfg.mcp_servers) == "table" and next(cfg.mcp_servers) and cfg.mcp_servers or nil,
  }, function(ierr, result)
    local waiting = state.waiting
    state.waiting = {}
    if ierr then
      ui.error("deckhand did not initialize: " .. ierr.message)
      client:stop()
    else
      state.ready, state.server = true, result
      state.auth = result and result.auth or state.auth
      M.auth_changed()
      local warning = M.auth_warning()
      if warning then
        ui.login_note("deckhand: " .. warning, vim.log.levels.WARN)
      end
      emit("deckhand/ready", result or {})
      if M.has("limits") then
        -- The last known limits (kept by deckhand across restarts).
        client:request("limits", {}, function(lerr, limits)
          if not lerr then
            M.set_limits(limits)
          end
        end)
      end
    end
    for _, cb in ipairs(waiting) do
      cb(ierr)
    end
  end)
  return nil
end

--- Runs cb(err) once the child is started and initialized.
function M.ensure(cb)
  if state.client and state.ready then
    cb(nil)
    return
  end
  table.insert(state.waiting, cb)
  if not state.client then
    local err = start()
    if err then
      state.waiting = {}
      cb({ code = -32603, message = err })
    end
  end
end

--- Sends a request once the child is ready; cb(err, result) gets JSON-RPC
--- errors as {code, message, data}. Returns nothing: answers are asynchronous.
function M.request(method, params, cb)
  M.ensure(function(err)
    if err then
      cb(err, nil)
      return
    end
    state.client:request(method, params, cb)
  end)
end

--- The initialize result of the running child (serverInfo, auth, workspaceRoot), or nil.
function M.server_info()
  return state.server
end

--- Shows an error; on -32000 (not logged in) opens the login picker with the
--- methods it carries and runs retry after a successful login.
function M.handle_error(err, retry)
  if err.code == -32000 then
    ui.login_note(err.message, vim.log.levels.ERROR)
  else
    ui.error(ui.local_times(err.message))
  end
  if err.code == -32000 then
    local methods = type(err.data) == "table" and err.data.methods or nil
    require("deckhand.login").pick(methods, function(ok)
      if ok and retry then
        retry()
      end
    end)
  elseif err.code == -32013 and type(err.data) == "table" and type(err.data.available) == "table" and #err.data.available > 0 then
    -- The model is not served for this login: pick one that is, then retry.
    ui.select(err.data.available, { prompt = "deckhand: " .. tostring(err.data.model) .. " is not available; use" }, function(choice)
      if choice then
        state.config.model = choice
        if retry then
          retry()
        end
      end
    end)
  end
end

--- "ChatGPT (account acct_1)" / "API key (stored)" / "not logged in".
function M.describe_status(status)
  local warning = type(status) == "table" and type(status.warning) == "string" and status.warning ~= "" and status.warning or nil
  local s = M.describe_login(status)
  -- Why a stored login was lost or cannot be used, and what to do (§4.1).
  return warning and (s .. ". " .. warning) or s
end

--- The login alone, without the warning.
function M.describe_login(status)
  if type(status) ~= "table" or status.type == "none" or status.type == nil then
    return "not logged in"
  end
  if status.type == "oauth" then
    local s = "logged in with ChatGPT Plus/Pro (oauth"
    if status.accountId then
      s = s .. ", account " .. status.accountId
    end
    return s .. ")"
  end
  return ("logged in with an API key (api, %s)"):format(status.source or "stored")
end

--- True when the running deckhand announced the protocol 1.1 feature name
--- (sessions, attachments, preview, undo, compaction) in initialize.
function M.has(capability)
  local caps = state.server and state.server.capabilities
  return type(caps) == "table" and caps[capability] == true
end

--- Remembers the plan's usage windows deckhand last reported
--- (account/limits, limits) and redraws what shows them.
function M.set_limits(limits)
  if type(limits) ~= "table" or type(limits.windows) ~= "table" then
    return
  end
  state.limits = limits
  vim.schedule(function()
    vim.cmd("redrawstatus!")
  end)
end

--- The plan's limits deckhand last reported ({planType, windows}), or nil.
function M.limits()
  return state.limits
end

--- The plan's usage windows by name, "5h 12% · weekly 40%", or nil when
--- deckhand has reported none.
function M.limits_text()
  local l = state.limits
  if not (l and type(l.windows) == "table" and #l.windows > 0) then
    return nil
  end
  local parts = {}
  for _, w in ipairs(l.windows) do
    if type(w) == "table" and w.name and type(w.usedPercent) == "number" then
      parts[#parts + 1] = ("%s %d%%"):format(w.name, math.floor(w.usedPercent + 0.5))
    end
  end
  return #parts > 0 and table.concat(parts, " · ") or nil
end

--- Remembers the last known login (for status()).
function M.set_auth(status)
  if type(status) == "table" then
    state.auth = status
    M.auth_changed()
  end
end

--- auth.json's trouble as deckhand last reported it (AuthStatus.warning:
--- a stored login lost or unusable, and what to do), or nil.
function M.auth_warning()
  local w = type(state.auth) == "table" and state.auth.warning or nil
  return type(w) == "string" and w ~= "" and w or nil
end

--- True when deckhand said there is no login (not while it is unknown).
function M.logged_out()
  return state.client ~= nil and type(state.auth) == "table" and state.auth.type == "none"
end

--- Redraws what depends on the login (the chat's input hint).
function M.auth_changed()
  local chat = package.loaded["deckhand.chat"]
  if chat then
    vim.schedule(chat.draw_input_hints)
  end
end

--- A short text for statuslines: login, model, busy (with a spinner), context
--- use. With opts.table, the same as fields: {running, ready, login, model,
--- busy, context_tokens, context_window, text}.
function M.status(opts)
  local chat = package.loaded["deckhand.chat"]
  local info = chat and chat.info() or {}
  local auth = state.auth
  local login = (not state.client) and "off"
    or (auth == nil and "…")
    or (auth.type == "oauth" and "chatgpt")
    or (auth.type == "api" and "api key")
    or "logged out"
  local model = state.config.model or info.model or (state.server and state.server.defaultModel) or nil
  local parts = { "deckhand" }
  if login ~= "chatgpt" and login ~= "api key" then
    parts[#parts + 1] = login
  end
  if model then
    parts[#parts + 1] = model
  end
  if info.busy then
    parts[#parts + 1] = info.spinner or "…"
  end
  if info.context_tokens and info.context_window and info.context_window > 0 then
    parts[#parts + 1] = ("%d%%"):format(math.floor(info.context_tokens * 100 / info.context_window + 0.5))
  end
  local limits = M.limits_text()
  if limits then
    parts[#parts + 1] = limits
  end
  local text = table.concat(parts, " ")
  if opts and opts.table then
    return {
      running = state.client ~= nil,
      ready = state.ready,
      login = login,
      model = model,
      busy = info.busy == true,
      context_tokens = info.context_tokens,
      context_window = info.context_window,
      limits = state.limits and state.limits.windows or nil,
      text = text,
    }
  end
  return text
end

function M.show_status(cb)
  M.request("authStatus", {}, function(err, status)
    if err then
      M.handle_error(err)
    else
      M.set_auth(status)
      local root = state.server and state.server.workspaceRoot
      ui.info("deckhand: " .. M.describe_status(status) .. (root and ("; workspace " .. root) or ""))
    end
    if cb then
      cb(err, status)
    end
  end)
end

function M.logout(cb)
  M.request("logout", { provider = "openai" }, function(err, status)
    if err then
      M.handle_error(err)
    elseif status and status.type ~= "none" then
      M.set_auth(status)
      ui.warn("deckhand: logged out, but OPENAI_API_KEY is still in use (" .. M.describe_status(status) .. ").")
    else
      M.set_auth(status)
      ui.info("deckhand: logged out.")
    end
    if cb then
      cb(err, status)
    end
  end)
end

--- Lists the models and lets the user pick the one chat turns use.
function M.models(cb)
  M.request("models", {}, function(err, result)
    if err then
      M.handle_error(err, function()
        M.models(cb)
      end)
      return
    end
    local models = result.models or {}
    if #models == 0 then
      ui.warn("deckhand: no models are available for this login.")
      return cb and cb(nil)
    end
    ui.select(models, {
      prompt = "deckhand model (default " .. tostring(result.default) .. (result.source and (", " .. result.source) or "") .. ")",
      format_item = function(m)
        local mark = m.id == (state.config.model or result.default) and " *" or ""
        return (m.label and m.label ~= m.id) and (m.label .. " (" .. m.id .. ")" .. mark) or (m.id .. mark)
      end,
    }, function(choice)
      if not choice then
        return cb and cb(nil)
      end
      state.config.model = choice.id
      local efforts = type(choice.reasoningEfforts) == "table" and choice.reasoningEfforts or {}
      if #efforts == 0 then
        ui.info("deckhand: chat uses " .. choice.id)
        return cb and cb(choice.id)
      end
      -- Protocol 1.1: the model says which reasoning efforts it takes.
      local items = vim.list_extend({ "default" }, efforts)
      ui.select(items, { prompt = "Reasoning effort for " .. choice.id }, function(effort)
        if effort and effort ~= "default" then
          state.config.reasoning_effort = effort
        elseif effort == "default" then
          state.config.reasoning_effort = nil
        end
        ui.info("deckhand: chat uses " .. choice.id .. (state.config.reasoning_effort and (" (" .. state.config.reasoning_effort .. " reasoning)") or ""))
        if cb then
          cb(choice.id)
        end
      end)
    end)
  end)
end

--- Ends the child: shutdown then exit, which makes deckhand cancel its work and exit.
function M.stop(wait_ms)
  local client = state.client
  if not client then
    return
  end
  client:stop()
  if wait_ms then
    client:wait(wait_ms)
  end
end

function M.login()
  require("deckhand.login").pick()
end

function M.chat(message)
  require("deckhand.chat").send(message)
end

function M.cancel()
  require("deckhand.chat").cancel()
end

return M
