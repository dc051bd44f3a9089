--- deckhand.login owns the login flows as the user sees them: the picker of
--- connect's methods, the headless (device code) float with its countdown, the
--- browser flow with its paste-the-redirect fallback, and the API key prompt.
--- Every flow ends on deckhand's auth/completed notification.
local ui = require("deckhand.ui")

local M = {}

--- Flows deckhand reported finished, by flowId, and the views waiting for them.
local flows = { done = {}, waiting = {}, subscribed = false }

local function subscribe()
  if flows.subscribed then
    return
  end
  flows.subscribed = true
  require("deckhand").on("auth/completed", function(params)
    local cb = flows.waiting[params.flowId]
    if cb then
      flows.waiting[params.flowId] = nil
      cb(params)
    else
      flows.done[params.flowId] = params
    end
  end)
end

--- Runs cb(params) when the flow's auth/completed arrives (or has arrived).
local function on_completed(flow_id, cb)
  local done = flows.done[flow_id]
  if done then
    flows.done[flow_id] = nil
    cb(done)
  else
    flows.waiting[flow_id] = cb
  end
end

local function finish(params, on_done)
  local dh = require("deckhand")
  if params.ok then
    ui.login_note("deckhand: " .. dh.describe_status(params.status))
  else
    ui.login_note(params.error and params.error.message or "The login did not complete.", vim.log.levels.ERROR)
  end
  if on_done then
    on_done(params.ok == true)
  end
end

--- A float for a running flow: a countdown line kept fresh every second, q to
--- cancel the flow. Returns the float and a function that closes it.
local function flow_float(lines_for, flow_id, title, keys)
  local float
  local timer = vim.uv.new_timer()
  local function close()
    if timer and not timer:is_closing() then
      timer:stop()
      timer:close()
    end
    if float then
      float:close()
    end
  end
  local function cancel()
    require("deckhand").request("cancel", { flowId = flow_id }, function(err)
      if err then
        ui.error(err.message)
      end
    end)
    close()
  end
  keys = vim.tbl_extend("force", keys or {}, { q = cancel, ["<Esc>"] = cancel })
  float = ui.open_float(lines_for(), { title = title, keys = keys })
  timer:start(1000, 1000, vim.schedule_wrap(function()
    if float:is_open() then
      float:set_lines(lines_for())
    else
      close()
    end
  end))
  return float, close
end

function M.headless(on_done)
  subscribe()
  local dh = require("deckhand")
  dh.request("startOAuth", { provider = "openai", method = "headless" }, function(err, flow)
    if err then
      dh.handle_error(err)
      return on_done and on_done(false)
    end
    local function lines()
      local left = ui.countdown(flow.expiresAt)
      return {
        "Open this page on any device and enter the code:",
        "",
        "    " .. flow.verificationUrl,
        "",
        "    Code:  " .. flow.userCode,
        "",
        (left and ("Expires in " .. left .. ".  ") or "") .. "q: cancel",
      }
    end
    local _, close = flow_float(lines, flow.flowId, "Log in to ChatGPT", {
      y = function()
        vim.fn.setreg("+", flow.userCode)
        vim.fn.setreg('"', flow.userCode)
      end,
    })
    ui.login_note(("deckhand: enter code %s at %s"):format(flow.userCode, flow.verificationUrl))
    on_completed(flow.flowId, function(params)
      close()
      finish(params, on_done)
    end)
  end)
end

--- Sends a pasted redirect address; a wrong one leaves the flow waiting.
function M.paste_redirect(flow_id, url)
  require("deckhand").request("completeOAuth", { flowId = flow_id, callbackUrl = vim.trim(url) }, function(err)
    if err then
      ui.error(err.message)
    end
  end)
end

function M.browser(on_done)
  subscribe()
  local dh = require("deckhand")
  local open = dh.config().open_browser ~= false
  dh.request("startOAuth", { provider = "openai", method = "browser", openBrowser = open }, function(err, flow)
    if err then
      dh.handle_error(err)
      return on_done and on_done(false)
    end
    local function lines()
      local left = ui.countdown(flow.expiresAt)
      return {
        open and "Sign in in the browser that just opened. If none did, open:" or "Open this address in a browser:",
        "",
        flow.url,
        "",
        "On another machine? After signing in, press p and paste",
        "the address the browser ended on (http://localhost:...).",
        "",
        (left and ("Expires in " .. left .. ".  ") or "") .. "p: paste  y: copy URL  q: cancel",
      }
    end
    local _, close = flow_float(lines, flow.flowId, "Log in to ChatGPT", {
      p = function()
        ui.input({ prompt = "Redirect URL: " }, function(url)
          if url and vim.trim(url) ~= "" then
            M.paste_redirect(flow.flowId, url)
          end
        end)
      end,
      y = function()
        vim.fn.setreg("+", flow.url)
        vim.fn.setreg('"', flow.url)
      end,
    })
    on_completed(flow.flowId, function(params)
      close()
      finish(params, on_done)
    end)
  end)
end

--- How many times a refused key is asked for again.
M.KEY_TRIES = 3

function M.api_key(on_done, tries)
  local dh = require("deckhand")
  tries = tries or 1
  ui.input_secret(tries > 1 and "OpenAI API key (try again): " or "OpenAI API key: ", function(key)
    if not key or vim.trim(key) == "" then
      ui.warn("deckhand: no API key entered; nothing changed.")
      return on_done and on_done(false)
    end
    dh.request("connect", { provider = "openai", method = "apiKey", apiKey = vim.trim(key) }, function(err, result)
      if err then
        -- Said as the user reads it (not "Invalid params: …"); a refused
        -- key is asked for again rather than closing the prompt.
        local msg = tostring(err.message):gsub("^Invalid params: ", "")
        ui.login_note("deckhand: " .. msg, vim.log.levels.ERROR)
        if err.code == -32602 and tries < M.KEY_TRIES then
          return vim.schedule(function()
            M.api_key(on_done, tries + 1)
          end)
        end
        return on_done and on_done(false)
      end
      dh.set_auth(result.status)
      ui.login_note("deckhand: " .. dh.describe_status(result.status))
      if on_done then
        on_done(true)
      end
    end)
  end)
end

local run = { browser = M.browser, headless = M.headless, apiKey = M.api_key }

--- Shows the login methods (connect's, or the ones an error carried) and runs
--- the chosen one; on_done(ok) when it ends.
function M.pick(methods, on_done)
  local dh = require("deckhand")
  local function show(list)
    ui.select(list, {
      prompt = "Log in to OpenAI",
      format_item = function(m)
        return m.label
      end,
    }, function(choice)
      if not choice then
        return on_done and on_done(false)
      end
      local fn = run[choice.id]
      if not fn then
        ui.error("deckhand: this editor does not know the login method " .. tostring(choice.id) .. ".")
        return on_done and on_done(false)
      end
      fn(on_done)
    end)
  end
  if methods and #methods > 0 then
    show(methods)
    return
  end
  dh.request("connect", { provider = "openai" }, function(err, result)
    if err then
      ui.error(err.message)
      return on_done and on_done(false)
    end
    show(result.methods or {})
  end)
end

return M
