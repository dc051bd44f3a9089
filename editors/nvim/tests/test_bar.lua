-- The chat's window bar against the real deckhand and the fake OpenAI: the
-- context gauge from the chat result's usage, the plan's windows, fitted to a
-- narrow window, and the warnings said before a turn when a window is nearly
-- used.
local H = require("helpers")
local eq = MiniTest.expect.equality
local has, lacks = H.has, H.lacks

local child = MiniTest.new_child_neovim()

local T = H.case_set(child)

-- The chat window's winbar as drawn: {str, width}.
local BAR = [[(function()
  local win = require('deckhand.chat').chat_win()
  local r = vim.api.nvim_eval_statusline(vim.wo[win].winbar, { winid = win, use_winbar = true })
  return { str = r.str, width = r.width, win = vim.api.nvim_win_get_width(win) }
end)()]]

local function wait_turns(n)
  H.wait_for(child, ("#T.virt_lines() == %d and not require('deckhand.chat').is_busy()"):format(n), n .. " finished turns")
end

T["the context gauge: the window's share the conversation fills, from the chat result; a warning before the next turn"] = function()
  -- The API-key models' window is 272,000 tokens: 255,000 in is 94%.
  H.start_logged_in(child, { { text = "A long one.", usage = { 255000, 100 } }, { text = "Next." }, { text = "More." } })
  child.cmd("DeckhandChat first")
  wait_turns(1)
  local info = child.lua_get("require('deckhand.chat').info()")
  eq(info.context_window, 272000)
  local pct = math.floor(info.context_tokens * 100 / info.context_window + 0.5)
  eq(pct >= 90, true)
  child.lua("vim.api.nvim_win_set_width(require('deckhand.chat').chat_win(), 120)")
  local bar = child.lua_get(BAR)
  has(bar.str, ("context ▰▰▰▰▰▰▰▰▰▱ %d%% of 272.0k"):format(pct))
  H.wait_screen(child, { ("%d%% of 272.0k"):format(pct) })
  child.cmd("DeckhandChat second")
  H.wait_chat(child, "Next.")
  local text = child.lua_get("T.chat_text()")
  local warn = text:find(("fills %d%% of the model's context window"):format(pct), 1, true)
  eq(warn ~= nil, true)
  eq(warn < text:find("## You\n\nsecond", 1, true), true)
end

T["a narrow chat keeps the gauge, the plan's windows and the spinner in its bar; the title goes first"] = function()
  H.start_logged_in(child, { { text = "Filled.", usage = { 200000, 100 } }, { text = "Thinking", stall = true } })
  child.cmd("DeckhandChat a title long enough to be cut in a narrow window")
  wait_turns(1)
  child.lua("require('deckhand').set_limits({ windows = { { name = '5h', usedPercent = 93, resetsAt = '2030-01-01T12:00:00Z' }, { name = 'weekly', usedPercent = 40 } } })")
  -- A wide bar has it all (a winbar writes % as %%).
  local wide = child.lua_get("require('deckhand.chat').bar_text(220)")
  has(wide, "a title long enough")
  has(wide, "5h 93%% (resets ")
  has(wide, "weekly 40%%")
  for _, width in ipairs({ 40, 24 }) do
    child.lua("vim.api.nvim_win_set_width(require('deckhand.chat').chat_win(), ...)", { width })
    local bar = child.lua_get(BAR)
    eq(bar.win, width)
    eq(bar.width <= width, true)
    has(bar.str, "74%")
    has(bar.str, "5h 93%")
    lacks(bar.str, "a title long enough")
  end
  -- While a turn runs, the spinner stays too.
  child.cmd("DeckhandChat go on")
  H.wait_chat(child, "Thinking")
  local bar = child.lua_get(BAR)
  eq(bar.width <= 24, true)
  local spinner = false
  for _, s in ipairs(child.lua_get("require('deckhand.chat').SPINNER")) do
    spinner = spinner or bar.str:find(s, 1, true) ~= nil
  end
  eq(spinner, true)
  child.lua("require('deckhand.chat').cancel()")
end

T["a plan window nearly used is said before the turn, once until it resets"] = function()
  local fake = H.start_logged_in(child, { { text = "One." }, { text = "Two." } })
  child.lua("require('deckhand').set_limits({ windows = { { name = '5h', usedPercent = 12 }, { name = 'weekly', usedPercent = 95.4, resetsAt = '2030-01-01T12:00:00Z' } } })")
  child.cmd("DeckhandChat one")
  wait_turns(1)
  local text = child.lua_get("T.chat_text()")
  local warn = text:find("Your plan's weekly window is 95% used (it resets ", 1, true)
  eq(warn ~= nil, true)
  eq(warn < text:find("## You\n\none", 1, true), true)
  lacks(text, "5h window")
  -- The turn still went.
  has(fake.model_requests()[1], "one")
  child.cmd("DeckhandChat two")
  wait_turns(2)
  local _, n = child.lua_get("T.chat_text()"):gsub("weekly window is 95%% used", "")
  eq(n, 1)
end

T["the gauge moves during a turn (chat/usage), before the turn's result"] = function()
  H.start_logged_in(child, {
    { calls = { { id = "r1", name = "read", arguments = { path = "a.txt" } } }, usage = { 200000, 10 } },
    { text = "Still thinking", stall = true },
  }, { ["a.txt"] = "alpha\n" })
  child.cmd("DeckhandChat read it")
  H.wait_chat(child, "Still thinking")
  eq(child.lua_get("require('deckhand.chat').is_busy()"), true)
  local info = H.wait_for(child, "require('deckhand.chat').info().context_tokens and require('deckhand.chat').info()", "the gauge during the turn")
  eq(info.context_tokens >= 200000, true)
  has(child.lua_get("require('deckhand.chat').bar_text(200)"), "74%% of 272.0k")
  child.lua("require('deckhand.chat').cancel()")
end

return T
