--- What a turn leaves behind, drawn the same live and reopened: the files it
--- changed under its footer, with "gu undoes" on the turn undo would put
--- back; and a session from sessions/load shown as it happened (decisions and
--- their reasons, attachments, changed files, sandboxed commands, exit codes).
local core = require("deckhand.chat.core")
local M, P, state = core.M, core.P, core.state
local ui = require("deckhand.ui")

local ns_changes = M.ns.changes

--- Adds the paths a tool result changed to the running turn's list.
local function note_changed(paths)
  if type(paths) ~= "table" then
    return
  end
  state.turn = state.turn or {}
  state.turn.changed = state.turn.changed or {}
  for _, path in ipairs(paths) do
    if type(path) == "string" and not vim.tbl_contains(state.turn.changed, path) then
      table.insert(state.turn.changed, path)
    end
  end
end

--- The line under a footer: "changed a.go, b.go · gu undoes", or nil.
function M.changes_text(item)
  if type(item.changed) ~= "table" or #item.changed == 0 then
    return nil
  end
  local s = "   changed " .. P.one_line(table.concat(item.changed, ", "), 70)
  if item.undone then
    s = s .. " · undone"
  elseif item.undoable and state.undo_footer == item then
    s = s .. " · gu undoes"
  end
  return s
end

--- Draws (again) the changes line of a footer item at row.
local function draw_changes(buf, item, row)
  if item.changes_mark then
    pcall(vim.api.nvim_buf_del_extmark, buf, ns_changes, item.changes_mark)
    item.changes_mark = nil
  end
  local text = M.changes_text(item)
  if not text then
    return
  end
  item.changes_mark = vim.api.nvim_buf_set_extmark(buf, ns_changes, row, 0, {
    virt_lines = { { { text, item.undone and "DeckhandFooter" or "DeckhandContext" } } },
    right_gravity = false,
  })
end

--- Makes item (a footer that changed files and can be undone) the one "gu
--- undoes" is shown on; the one before loses it.
local function set_undo_footer(item)
  local old = state.undo_footer
  state.undo_footer = item
  local buf = state.buf
  if old and old ~= item and old.changes_mark and buf and vim.api.nvim_buf_is_valid(buf) then
    local pos = vim.api.nvim_buf_get_extmark_by_id(buf, ns_changes, old.changes_mark, {})
    if pos and pos[1] then
      draw_changes(buf, old, pos[1])
    end
  end
end

--- The footer item of a turn that ends now: the files it changed.
function P.turn_changes(footer)
  local changed = state.turn and state.turn.changed
  if changed and #changed > 0 then
    footer.changed = changed
    footer.undoable = require("deckhand").has("undo")
    if footer.undoable then
      set_undo_footer(footer)
    end
  end
  return footer
end

--- Called once undo put files back: the turn's line says so.
function M.undone()
  local item = state.undo_footer
  if not item then
    return
  end
  item.undone = true
  local buf = state.buf
  if item.changes_mark and buf and vim.api.nvim_buf_is_valid(buf) then
    local pos = vim.api.nvim_buf_get_extmark_by_id(buf, ns_changes, item.changes_mark, {})
    if pos and pos[1] then
      draw_changes(buf, item, pos[1])
    end
  end
  state.undo_footer = nil
end

local SHOWN = { allow = "allowed", allowAlways = "always allowed", deny = "denied" }

--- How a reopened call's permission reads on its line, as it did live:
--- {decision, by, reason?} (protocol "What a reopened turn carries").
function M.decision_text(perm)
  if type(perm) ~= "table" or not SHOWN[perm.decision] then
    return nil
  end
  local reason = type(perm.reason) == "string" and perm.reason ~= "" and perm.reason or nil
  if perm.by == "user" then
    return SHOWN[perm.decision] .. (reason and (": " .. reason) or "")
  elseif perm.by == "session" then
    return "allowed for the session"
  elseif perm.by == "policy" then
    return perm.decision == "deny" and ("refused by the approval policy" .. (reason and (": " .. reason) or "")) or nil
  elseif perm.by == "allowAll" then
    return "allowed: --allow-all"
  end
  return nil
end

--- Puts a tool result on its item: the same code for a live
--- chat/toolResult and a reopened call of sessions/load, which carry the
--- same fields (ok, output, error, exitCode, changedPaths, sandboxed,
--- permission). output may be given when the streamed copy is longer.
local function apply_result(item, t, output)
  -- A command that ran but exited non-zero failed, though the tool worked.
  local exit = type(t.exitCode) == "number" and t.exitCode or nil
  item.result = {
    ok = t.ok and (exit == nil or exit == 0),
    output = output or t.output,
    error = t.error,
    changedPaths = t.changedPaths,
    exit = exit,
    sandboxed = t.sandboxed == true,
  }
  -- Who let it run or refused it, and why (a live answer of the user's
  -- already put the same words there).
  item.decision = M.decision_text(t.permission) or item.decision
  return item
end

local function tool_item(t)
  return apply_result({ kind = "tool", callId = t.callId, name = t.name, arguments = t.arguments, parent = t.parentCallId }, t)
end

local function turn_items(turn, model)
  local items = { { kind = "user", text = turn.message or "", attachments = type(turn.attachments) == "table" and turn.attachments or nil } }
  if type(turn.retriedError) == "string" and turn.retriedError ~= "" then
    -- The turn sent the message again after this failure (gr), as live.
    items[#items + 1] = { kind = "error", text = ui.local_times(turn.retriedError) .. "  (sent again)" }
  end
  local tools = {}
  if type(turn.steps) == "table" and #turn.steps > 0 then
    -- As it happened: reasoning, text and tools in their order.
    for _, t in ipairs(turn.tools or {}) do
      tools[t.callId] = t
    end
    for _, st in ipairs(turn.steps) do
      if st.kind == "reasoning" or st.kind == "text" then
        items[#items + 1] = { kind = st.kind, text = st.text or "" }
      elseif st.kind == "tool" and tools[st.callId] then
        items[#items + 1] = tool_item(tools[st.callId])
      end
    end
  else
    for _, t in ipairs(turn.tools or {}) do
      items[#items + 1] = tool_item(t)
    end
    if turn.text and turn.text ~= "" then
      items[#items + 1] = { kind = "text", text = turn.text }
    end
  end
  if type(turn.error) == "string" and turn.error ~= "" then
    items[#items + 1] = { kind = "error", text = ui.local_times(turn.error) }
  end
  local footer = {
    kind = "footer",
    text = P.footer_text({ stopReason = turn.stopReason, steps = turn.stepCount, usage = turn.usage }, model),
    group = (turn.stopReason == "end_turn" or turn.stopReason == nil) and "DeckhandFooter" or "DeckhandFooterWarn",
  }
  if type(turn.changedPaths) == "table" and #turn.changedPaths > 0 then
    footer.changed = turn.changedPaths
    footer.undoable = turn.undoable == true
    footer.undone = turn.undone == true
  end
  items[#items + 1] = footer
  return items, footer
end

--- Shows a session's transcript (from sessions/load) as it was shown live,
--- and continues it.
function M.load_session(s)
  if state.busy then
    ui.warn("deckhand is still answering: stop it with <C-c> first.")
    return false
  end
  P.subscribe()
  state.session_id = s.sessionId
  state.title = s.title
  state.sessions_last = true
  state.items, state.tools = {}, {}
  state.model = s.model
  state.failed_item = nil
  state.undo_footer = nil
  state.context_tokens, state.context_window = nil, nil
  local n = #(s.turns or {})
  table.insert(state.items, {
    kind = "note",
    text = ("Session “%s” · %d turn%s%s · continued"):format(s.title or "untitled", n, n == 1 and "" or "s", s.model and (" · " .. s.model) or ""),
  })
  for _, turn in ipairs(s.turns or {}) do
    local items, footer = turn_items(turn, s.model)
    vim.list_extend(state.items, items)
    -- undo puts back the last turn that changed files and can be undone.
    if footer.undoable and not footer.undone then
      state.undo_footer = footer
    end
    local usage = type(turn.usage) == "table" and turn.usage or {}
    if type(usage.contextTokens) == "number" and type(usage.contextWindow) == "number" then
      state.context_tokens, state.context_window = usage.contextTokens, usage.contextWindow
    end
  end
  P.render_all(P.buffer())
  state.follow = true
  M.open({ focus = "input" })
  -- At the end, where the conversation goes on (a chat window already open
  -- kept its place).
  P.follow(P.buffer())
  pcall(vim.cmd, "redrawstatus!")
  return true
end

P.note_changed = note_changed
P.apply_result = apply_result
P.draw_changes = draw_changes
