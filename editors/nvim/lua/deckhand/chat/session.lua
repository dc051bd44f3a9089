--- The session: sending, retrying, cancelling, a new session, a reopened one.
local core = require("deckhand.chat.core")
local M, P, state = core.M, core.P, core.state
local ui = require("deckhand.ui")

--- 1234 -> "1234", 48210 -> "48.2k".
function M.count(n)
  n = tonumber(n) or 0
  if n < 10000 then
    return tostring(n)
  end
  return ("%.1fk"):format(n / 1000)
end

local function footer_text(result, model)
  local usage = result.usage or {}
  local steps = result.steps
  -- Short: virtual lines do not wrap in a narrow chat window. (A reopened
  -- turn has no count of steps or usage when it did not end.)
  local s = (result.stopReason or "?") .. (model and (" · " .. model) or "")
  if steps then
    s = s .. (" · %d %s"):format(steps, steps == 1 and "step" or "steps")
  end
  if usage.inputTokens or usage.outputTokens then
    s = s .. (" · %s in / %s out"):format(M.count(usage.inputTokens), M.count(usage.outputTokens))
  end
  if usage.contextTokens and usage.contextWindow and usage.contextWindow > 0 then
    s = s .. (" · context %d%%"):format(math.floor(usage.contextTokens * 100 / usage.contextWindow + 0.5))
  end
  if result.stopReason == "max_steps" then
    s = s .. " · send more to continue"
  end
  return "── " .. s
end

local function notify_hidden(text, level)
  if P.cfg().notify_hidden ~= false and not M.visible() then
    vim.notify(text, level or vim.log.levels.INFO, { title = "deckhand" })
  end
end
M.notify_hidden = notify_hidden

--- Sends message in the chat session (a new one on first use); with no
--- message, opens the chat with the cursor in the input area. retry_of:
--- the failed turn (its id, or true when deckhand never started it) this
--- message replaces; the chat already shows the message, above the error.
function M.send(message, retry_of)
  if not message or vim.trim(message) == "" then
    M.open({ focus = "input" })
    return
  end
  if state.busy then
    ui.warn("deckhand is still answering: wait, or stop it with :DeckhandCancel.")
    return
  end
  P.subscribe()
  local dh = require("deckhand")
  state.last_pending = vim.deepcopy(state.attachments) -- for gr
  local attachments, inline = require("deckhand.context").take(message)
  local shown = vim.list_extend({}, attachments)
  vim.list_extend(shown, inline.attachments)
  for _, w in ipairs(M.turn_warnings()) do
    P.add({ kind = "note", text = w, group = "DeckhandFooterWarn" })
  end
  -- Sending brings every chat window to the end and follows the answer,
  -- even when the user had scrolled up to read.
  state.follow = true
  if not retry_of then
    P.add({ kind = "user", text = message, attachments = shown })
  elseif state.failed_item then
    -- The failure gr replaces now reads as the reopened session shows it.
    state.failed_item.text = state.failed_item.failure .. "  (sent again)"
    if state.buf and vim.api.nvim_buf_is_valid(state.buf) then
      P.render_all(state.buf)
    end
  end
  state.failed_item = nil
  if not M.visible() then
    M.open({ focus = false })
  end
  state.last_message, state.last_failed, state.started_turn = message, false, nil
  state.streamed, state.busy, state.tools = false, true, {}
  state.turn = { started = os.time(), steps = 0 }
  P.start_spinner()
  M.draw_status()
  local c = P.cfg()
  state.sessions_last = dh.has("sessions")
  state.turn_id = (state.turn_id or 0) + 1
  local turn_id = state.turn_id
  dh.request("chat", {
    sessionId = state.session_id,
    message = inline.message,
    model = c.model,
    reasoningEffort = c.reasoning_effort,
    approvalPolicy = c.approval_policy,
    attachments = #attachments > 0 and attachments or nil,
    retryOf = type(retry_of) == "string" and retry_of or nil,
  }, function(err, result)
    if turn_id ~= state.turn_id then
      return -- this turn was given up (deckhand stopped)
    end
    state.busy, state.cancel_pending = false, false
    P.stop_spinner()
    require("deckhand.permission").drop_session(state.session_id)
    if err then
      -- What gr replaces: the turn deckhand started, or true when it
      -- failed before it started one.
      state.last_failed = state.started_turn or true
      local msg = ui.local_times(err.message)
      state.failed_item = P.add({ kind = "error", text = msg .. "  (gr sends it again)", failure = msg })
      notify_hidden("deckhand: the turn failed: " .. msg, vim.log.levels.ERROR)
      dh.handle_error(err, function()
        M.retry()
      end)
      return
    end
    state.session_id = result.sessionId or state.session_id
    state.model = c.model or state.model
    local usage = result.usage or {}
    state.context_tokens, state.context_window = usage.contextTokens, usage.contextWindow
    pcall(vim.cmd, "redrawstatus!") -- the context gauge in the winbar
    if not state.streamed and result.text and result.text ~= "" then
      P.add({ kind = "text", text = result.text })
    end
    P.add(P.turn_changes({ kind = "footer", text = footer_text(result, c.model), group = result.stopReason == "end_turn" and "DeckhandFooter" or "DeckhandFooterWarn" }))
    local steps = result.steps or 0
    notify_hidden(("deckhand: the turn ended (%s, %d %s)."):format(result.stopReason or "?", steps, steps == 1 and "step" or "steps"))
  end)
end

--- Sends the last message again (after an error).
function M.retry()
  if not state.last_message then
    ui.info("deckhand: nothing to send again.")
    return
  end
  if state.busy then
    ui.warn("deckhand is still answering: wait, or stop it with <C-c>.")
    return
  end
  -- The context that went with it goes again.
  for _, a in ipairs(state.last_pending or {}) do
    table.insert(state.attachments, a)
  end
  M.send(state.last_message, state.last_failed or nil)
end

--- Stops the running turn of the chat session.
function M.cancel()
  if not state.busy then
    ui.info("deckhand: no turn is running.")
    return
  end
  if not state.session_id then
    state.cancel_pending = true -- sent once chat/started names the session
    return
  end
  require("deckhand").request("cancel", { sessionId = state.session_id }, function(err, result)
    if err then
      ui.error(err.message)
    elseif result and result.cancelled == false then
      ui.info("deckhand: no turn is running.")
    end
  end)
end

--- Starts a new session: the transcript is cleared and the next message
--- opens a new conversation.
function M.new_session()
  if state.busy then
    ui.warn("deckhand is still answering: stop it with <C-c> first.")
    return
  end
  state.session_id, state.title = nil, nil
  state.items, state.tools = {}, {}
  state.last_message, state.context_tokens, state.context_window = nil, nil, nil
  state.failed_item = nil
  if state.buf and vim.api.nvim_buf_is_valid(state.buf) then
    P.render_all(state.buf)
  end
  ui.info("deckhand: new session.")
end
M.reset = M.new_session

function M.add_note(text)
  P.add({ kind = "note", text = text })
end

function M.session_id()
  return state.session_id
end

function M.is_busy()
  return state.busy
end

--- What status() shows: busy, spinner, model, context use.
function M.info()
  return {
    busy = state.busy,
    spinner = state.busy and M.SPINNER[state.spinner] or nil,
    model = state.model,
    session_id = state.session_id,
    context_tokens = state.context_tokens,
    context_window = state.context_window,
  }
end

--- Context waiting for the next message (deckhand.context adds to it).
function M.attachments()
  return state.attachments
end

--- Test and debugging view of the transcript.
function M.items()
  return state.items
end

P.footer_text = footer_text
P.notify_hidden = notify_hidden
