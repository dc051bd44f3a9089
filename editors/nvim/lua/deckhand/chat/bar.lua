--- The chat window's bar (its 'winbar'): the session, the model, how full the
--- model's context window is, the plan's usage windows and a spinner while a
--- turn runs, fitted to the window's width; and the warnings said before a
--- turn when a window is nearly used.
local core = require("deckhand.chat.core")
local M, P, state = core.M, core.P, core.state
local ui = require("deckhand.ui")

--- From this share (percent) of a window on, a turn is preceded by a warning
--- and the bar shows the window as an error.
M.NEARLY_USED = 90
--- From this share on, the bar shows the window as a warning.
M.FILLING = 75

--- How full the context window was at the end of the last turn, in percent,
--- with the tokens and the window; nil when unknown.
function M.context_use()
  local t, w = state.context_tokens, state.context_window
  if type(t) == "number" and type(w) == "number" and w > 0 then
    return math.floor(t * 100 / w + 0.5), t, w
  end
end

--- The plan's usage windows deckhand last reported (account/limits), each
--- {name, usedPercent, resetsAt}; empty when none.
local function plan_windows()
  local l = require("deckhand").limits()
  local out = {}
  for _, w in ipairs(type(l) == "table" and type(l.windows) == "table" and l.windows or {}) do
    if type(w) == "table" and w.name and type(w.usedPercent) == "number" then
      out[#out + 1] = w
    end
  end
  return out
end

local function group_for(pct)
  if pct >= M.NEARLY_USED then
    return "DeckhandError"
  elseif pct >= M.FILLING then
    return "DeckhandFooterWarn"
  end
  return nil
end

--- "▰▰▰▱▱▱▱▱" for pct over cells.
function M.gauge(pct, cells)
  local full = math.max(0, math.min(cells, math.floor(pct * cells / 100 + 0.5)))
  return string.rep("▰", full) .. string.rep("▱", cells - full)
end

--- Parts other modules add to the bar: functions returning a part (variants,
--- longest first, and a name) or nil.
M.bar_extras = {
  function()
    return require("deckhand.policy").bar_part()
  end,
}

-- The parts of the bar, in the order shown. Each has variants, longest
-- first, and a name (see SHRINK); `keep` parts are never dropped.
local function parts()
  local list = {}
  local title = state.title
  if not title then
    for _, item in ipairs(state.items) do
      if item.kind == "user" then
        title = item.text
        break
      end
    end
  end
  title = title or "new session"
  list[#list + 1] = { "deckhand", name = "prefix" }
  list[#list + 1] = { P.one_line(title, 40), P.one_line(title, 20), P.one_line(title, 10), name = "title" }
  list[#list + 1] = { P.cfg().model or state.model or "default model", name = "model" }
  for _, extra in ipairs(M.bar_extras) do
    local p = extra()
    if p then
      list[#list + 1] = p
    end
  end
  local windows = plan_windows()
  if #windows > 0 then
    local full, short, worst = {}, {}, nil
    for _, w in ipairs(windows) do
      local pct = math.floor(w.usedPercent + 0.5)
      local s = ("%s %d%%"):format(w.name, pct)
      short[#short + 1] = s
      if pct >= M.NEARLY_USED and w.resetsAt then
        s = s .. " (resets " .. ui.local_time(w.resetsAt) .. ")"
      end
      full[#full + 1] = s
      if not worst or pct > worst.pct then
        worst = { pct = pct, text = ("%s %d%%"):format(w.name, pct) }
      end
    end
    list[#list + 1] = {
      table.concat(full, " · "),
      table.concat(short, " · "),
      worst.text,
      hl = group_for(worst.pct),
      name = "limits",
    }
  end
  local pct, _, window = M.context_use()
  if pct then
    list[#list + 1] = {
      ("context %s %d%% of %s"):format(M.gauge(pct, 10), pct, M.count(window)),
      ("ctx %s %d%%"):format(M.gauge(pct, 5), pct),
      ("ctx %d%%"):format(pct),
      hl = group_for(pct),
      keep = true,
      name = "context",
    }
  end
  if state.busy then
    list[#list + 1] = { M.SPINNER[state.spinner], keep = true, name = "spinner" }
  end
  return list
end

local function width_of(list, chosen)
  local w, n = 0, 0
  for i, p in ipairs(list) do
    local v = p[chosen[i]]
    if v then
      w = w + vim.fn.strdisplaywidth(v)
      n = n + 1
    end
  end
  -- A space before, " · " between the parts.
  return w + math.max(n - 1, 0) * 3 + 1
end

--- What a narrow bar gives up, in order: each step shortens that part to its
--- next variant, or drops it after its last (the context gauge and the
--- spinner are only shortened): the title first, then the long forms of the
--- policy and the gauge, the policy, the plan's other windows, the word
--- "deckhand", the model.
M.SHRINK = {
  "title", "title", "title", "policy", "context", "policy", "policy", "limits", "limits",
  "prefix", "model", "context",
}

--- The bar's text for a window width: parts shortened, then dropped, in the
--- order of SHRINK, so that the context gauge, the plan's fullest window and
--- the spinner stay visible in a narrow chat.
function M.bar_text(width)
  local list = parts()
  local chosen, index = {}, {}
  for i, p in ipairs(list) do
    chosen[i] = 1
    index[p.name or i] = i
  end
  for _, name in ipairs(M.SHRINK) do
    if width_of(list, chosen) <= width then
      break
    end
    local i = index[name]
    local p = i and list[i]
    if p and p[chosen[i]] and (p[chosen[i] + 1] or not p.keep) then
      local was = p[chosen[i]]
      chosen[i] = chosen[i] + 1
      -- (A variant no shorter than the one shown is no step.)
      while p[chosen[i]] and p[chosen[i]] == was and (p[chosen[i] + 1] or not p.keep) do
        chosen[i] = chosen[i] + 1
      end
    end
  end
  local out = {}
  for i, p in ipairs(list) do
    local v = p[chosen[i]]
    if v then
      v = v:gsub("%%", "%%%%")
      out[#out + 1] = p.hl and ("%#" .. p.hl .. "#" .. v .. "%*") or v
    end
  end
  return " " .. table.concat(out, " · ")
end

--- The chat window's winbar (an expression of 'winbar'), fitted to the
--- width of the window drawn.
function M.winbar()
  -- (Drawing sets g:statusline_winid; nvim_eval_statusline makes the window
  -- current instead.)
  local win = vim.g.statusline_winid or vim.api.nvim_get_current_win()
  local width = vim.api.nvim_win_is_valid(win) and vim.api.nvim_win_get_width(win) or vim.o.columns
  return M.bar_text(width)
end

--- The warnings said before a turn: the context window nearly full (the
--- turn compacts the history), a plan window nearly used (the turn may stop
--- at the limit; said once until the window resets).
function M.turn_warnings()
  local out = {}
  local pct = M.context_use()
  if pct and pct >= M.NEARLY_USED then
    out[#out + 1] = ("⚠ The conversation fills %d%% of the model's context window: this turn compacts it (older detail is summarised). gn starts a new session."):format(pct)
  end
  state.warned = state.warned or {}
  for _, w in ipairs(plan_windows()) do
    local used = math.floor(w.usedPercent + 0.5)
    local key = w.name .. "@" .. tostring(w.resetsAt)
    if used >= M.NEARLY_USED and not state.warned[key] then
      state.warned[key] = true
      out[#out + 1] = ("⚠ Your plan's %s window is %d%% used%s: this turn may stop at the limit."):format(
        w.name, used, w.resetsAt and (" (it resets " .. ui.local_time(w.resetsAt) .. ")") or "")
    end
  end
  return out
end
