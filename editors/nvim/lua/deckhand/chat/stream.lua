--- Notifications of a running turn (chat/delta, chat/toolCall...) drawn as
--- they come, and the permission marks on tool lines.
local core = require("deckhand.chat.core")
local M, P, state = core.M, core.P, core.state

local handlers = {}

function handlers.started(p)
  state.session_id = p.sessionId
  state.started_turn = p.turnId -- the turn gr replaces when it fails
  if state.cancel_pending then
    state.cancel_pending = false
    M.cancel()
  end
end

function handlers.delta(p)
  state.streamed = true
  P.extend("text", p.text or "")
end

function handlers.reasoning(p)
  P.extend("reasoning", p.text or "")
end

function handlers.toolCall(p)
  local item = P.add({ kind = "tool", callId = p.callId, name = p.name, arguments = p.arguments, parent = p.parentCallId })
  state.tools[p.callId] = item
  state.turn = state.turn or {}
  state.turn.steps = (state.turn.steps or 0) + 1
  if p.name == "bash" then
    require("deckhand.buffers").before_bash()
  end
end

function handlers.toolResult(p)
  local item = state.tools[p.callId]
  if not item then
    item = P.add({ kind = "tool", callId = p.callId, name = p.name, arguments = {} })
  end
  -- The streamed output is whole; the result's copy (the model's) may be cut.
  local output = p.output
  if item.live and #item.live > #(output or "") then
    output = item.live
  end
  P.apply_result(item, p, output)
  P.note_changed(p.changedPaths)
  item.asking = nil
  local buf = P.buffer()
  P.draw_live(buf, item)
  P.draw_tool(buf, item)
  P.refresh_folds(buf)
  M.draw_status()
  P.follow(buf)
  require("deckhand.buffers").after_tool(p, item.arguments)
end

--- A running command's output as it comes: shown under its tool line.
function handlers.toolOutput(p)
  local item = state.tools[p.callId]
  if not item or item.result or type(p.text) ~= "string" then
    return
  end
  item.live = (item.live or "") .. p.text
  local buf = P.buffer()
  P.draw_live(buf, item)
  P.follow(buf)
end

--- The turn's tokens so far (1.2): the context gauge moves during a turn.
function handlers.usage(p)
  local usage = type(p.usage) == "table" and p.usage or {}
  if type(usage.contextTokens) == "number" and type(usage.contextWindow) == "number" then
    state.context_tokens, state.context_window = usage.contextTokens, usage.contextWindow
    pcall(vim.cmd, "redrawstatus!")
  end
end

function handlers.compacted(p)
  P.add({ kind = "note", text = ("(history compacted: %d → %d tokens)"):format(p.beforeTokens or 0, p.afterTokens or 0) })
end

local function subscribe()
  if state.subscribed then
    return
  end
  state.subscribed = true
  local dh = require("deckhand")
  for name, fn in pairs(handlers) do
    dh.on("chat/" .. name, function(p)
      -- One chat buffer holds one session; a turn's first frame names it.
      if p.sessionId == state.session_id or (state.busy and name == "started" and not state.session_id) then
        fn(p)
      end
    end)
  end
  dh.on("deckhand/exit", function(p)
    if state.busy then
      state.busy = false
      state.last_failed = state.started_turn or true
      state.turn_id = (state.turn_id or 0) + 1 -- a late answer of the lost turn is ignored
      P.stop_spinner()
      local what = ("deckhand stopped (status %s) while answering"):format(tostring(p and p.code))
      state.failed_item = P.add({ kind = "error", text = what .. "; the next message starts it again (gr sends this one again).", failure = what .. "." })
      M.notify_hidden("deckhand stopped while answering.", vim.log.levels.ERROR)
    end
    if state.session_id and not state.sessions_last then
      -- This deckhand kept the session in memory only: the next message
      -- starts a new one.
      state.session_id = nil
      P.add({ kind = "note", text = "(the next message starts a new session: this deckhand did not keep this one)" })
    end
    state.cancel_pending = false
  end)
end

--- A permission request for callId: marks its tool line as asking.
function M.asking(call_id, on)
  local item = state.tools[call_id]
  state.turn = state.turn or {}
  state.turn.waiting = on or nil
  if item and state.buf then
    item.asking = on or nil
    P.draw_tool(P.buffer(), item)
    P.refresh_folds(state.buf)
  end
  M.draw_status()
end

--- Records the user's decision on the tool line of callId.
function M.decided(call_id, decision)
  local item = state.tools[call_id]
  if item then
    item.decision = decision
    item.asking = nil
    P.draw_tool(P.buffer(), item)
    P.refresh_folds(state.buf)
  end
  state.turn = state.turn or {}
  state.turn.waiting = nil
  M.draw_status()
end

P.subscribe = subscribe
