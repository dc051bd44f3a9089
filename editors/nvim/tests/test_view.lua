-- What the user sees as the chat grows and the editor changes, against the
-- real deckhand and the fake OpenAI: a narrow screen, the view following a
-- new message, footers staying under their own turn, new output folded, local
-- times, login messages that go once logged in, and auth.json's warning.
local H = require("helpers")
local eq = MiniTest.expect.equality
local has, lacks = H.has, H.lacks

local child = MiniTest.new_child_neovim()
local fake, dirs

local function start(steps, files, extra)
  fake, dirs = H.start_logged_in(child, steps, files, extra)
end

local T = H.case_set(child)

local function win_width(expr)
  return child.lua_get("vim.api.nvim_win_get_width(" .. expr .. ")")
end

T["resizing the screen to 60 columns keeps the chat readable, not one column wide"] = function()
  start({ { text = "Still readable." } })
  child.cmd("DeckhandChat hello")
  H.wait_chat(child, "Still readable.")
  child.o.columns = 60
  H.wait_for(child, "true")
  local chat = win_width("require('deckhand.chat').chat_win()")
  eq(chat >= 25, true)
  eq(win_width("require('deckhand.chat').input_win()") >= 25, true)
  -- The user's window keeps room too.
  eq(win_width("vim.fn.win_getid(1)") >= 20, true)
  H.wait_screen(child, { "Still readable." })
  -- And back: the chat grows with the screen.
  child.o.columns = 140
  H.wait_for(child, "true")
  eq(win_width("require('deckhand.chat').chat_win()") >= 40, true)
end

T["a new message while scrolled up brings the view to the end and follows the answer"] = function()
  local long = {}
  for i = 1, 60 do
    long[#long + 1] = "line " .. i
  end
  start({ { text = table.concat(long, "\n") }, { text = "The second answer, at the end." } })
  child.cmd("DeckhandChat first")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the first turn")
  local win = child.lua_get("require('deckhand.chat').chat_win()")
  -- The user scrolls up to read, then sends from the input area.
  child.lua("vim.api.nvim_set_current_win(...); vim.api.nvim_win_set_cursor(..., {1, 0})", { win })
  child.type_keys("k")
  child.lua("vim.api.nvim_set_current_win(require('deckhand.chat').input_win())")
  child.type_keys("i", "second", "<Esc>", "<CR>")
  H.wait_for(child, "#T.virt_lines() == 2 and not require('deckhand.chat').is_busy()", "the second turn")
  local last = child.lua_get("vim.api.nvim_buf_line_count(require('deckhand.chat').buffer())")
  eq(child.lua_get("vim.api.nvim_win_get_cursor(...)[1]", { win }), last)
  H.wait_screen(child, { "The second answer, at the end." })
end

T["scrolled up while a turn streams: the view stays where the user reads"] = function()
  local long = {}
  for i = 1, 60 do
    long[#long + 1] = "line " .. i
  end
  start({ { text = table.concat(long, "\n") }, { text = "Thinking hard", stall = true } })
  child.cmd("DeckhandChat first")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the first turn")
  child.cmd("DeckhandChat second")
  H.wait_chat(child, "Thinking hard")
  local win = child.lua_get("require('deckhand.chat').chat_win()")
  child.lua("vim.api.nvim_set_current_win(...); vim.api.nvim_win_set_cursor(..., {1, 0})", { win })
  child.type_keys("j")
  child.lua("require('deckhand.chat').cancel()")
  H.wait_for(child, "#T.virt_lines() == 2 and not require('deckhand.chat').is_busy()", "the cancelled turn")
  eq(child.lua_get("vim.api.nvim_win_get_cursor(...)[1]", { win }), 2)
end

-- The 1-based rows of the chat buffer that carry a footer (a virtual line).
local FOOTER_ROWS = [[(function()
  local chat = require('deckhand.chat')
  local rows = {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(chat.buffer(), chat.ns.text, 0, -1, { details = true })) do
    if m[4].virt_lines then rows[#rows + 1] = m[2] + 1 end
  end
  return rows
end)()]]

T["each footer stays under its own turn when the answer ended with a newline"] = function()
  start({ { text = "First answer.\n" }, { text = "Second answer.\n" } })
  child.cmd("DeckhandChat one")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the first turn")
  child.cmd("DeckhandChat two")
  H.wait_for(child, "#T.virt_lines() == 2 and not require('deckhand.chat').is_busy()", "the second turn")
  local rows = child.lua_get(FOOTER_ROWS)
  local second_user = child.lua_get("T.row_of('two')")
  eq(#rows, 2)
  eq(rows[1] < second_user, true)
  eq(rows[2] > child.lua_get("T.row_of('Second answer.')") - 1, true)
end

T["a fold the user opened stays open; the output of later calls comes folded"] = function()
  start({
    { calls = { { id = "c1", name = "read", arguments = { path = "a.txt" } } } },
    { text = "Read a." },
    { calls = { { id = "c2", name = "read", arguments = { path = "b.txt" } } } },
    { text = "Read b." },
  }, { ["a.txt"] = "alpha\n", ["b.txt"] = "beta\n" })
  child.cmd("DeckhandChat read a")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the first turn")
  local win = child.lua_get("require('deckhand.chat').chat_win()")
  local a = child.lua_get("T.row_of('✓ read a.txt')")
  child.lua("vim.api.nvim_set_current_win(...); vim.api.nvim_win_set_cursor(..., {" .. (a + 1) .. ", 0})", { win })
  child.type_keys("zo")
  local closed = "vim.api.nvim_win_call(%d, function() return vim.fn.foldclosed(%d) end)"
  eq(child.lua_get(closed:format(win, a + 2)), -1)
  child.lua("vim.api.nvim_set_current_win(require('deckhand.chat').input_win())")
  child.cmd("DeckhandChat read b")
  H.wait_for(child, "#T.virt_lines() == 2 and not require('deckhand.chat').is_busy()", "the second turn")
  local b = child.lua_get("T.row_of('✓ read b.txt')")
  -- (Folds are closed on the main loop's next tick after the drawing.)
  H.wait_for(child, closed:format(win, b + 2) .. " == " .. (b + 1), "the new output folded")
  eq(child.lua_get(closed:format(win, a + 2)), -1)
end

T["a usage limit says when it resets in local time, not UTC"] = function()
  -- 2030-01-01T12:00:00Z, seen from Tokyo (UTC+9, no summer time): 21:00.
  local body = '{"type":"error","error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_at":1893499200},"status_code":429}'
  start({ { error = { status = 429, body = body } } })
  child.lua("vim.env.TZ = 'Asia/Tokyo'")
  child.cmd("DeckhandChat hello")
  H.wait_chat(child, "**Error:**")
  local text = child.lua_get("T.chat_text()")
  has(text, "21:00")
  lacks(text, "12:00:00Z")
  lacks(child.lua_get("T.notes_text()"), "12:00:00Z")
end

T["login messages go once logged in (a notifier that replaces by id shows only the result)"] = function()
  fake = H.start_fake({ { text = "Hello after login." } })
  dirs = H.new_dirs({})
  H.setup_child(child, fake, dirs)
  -- A notifier as snacks or nvim-notify: a message with the id of one on
  -- screen replaces it; others stay until they time out (never, here).
  child.lua([[
    T.toasts = {}
    vim.notify = function(msg, level, opts)
      table.insert(T.notes, { msg = tostring(msg), level = level })
      opts = opts or {}
      local id = opts.id or (type(opts.replace) == 'table' and opts.replace.id) or opts.replace
      for i, t in ipairs(T.toasts) do
        if id ~= nil and t.id == id then
          T.toasts[i] = { id = id, msg = msg }
          return { id = id }
        end
      end
      local rec = { id = id or (#T.toasts + 1000), msg = msg }
      table.insert(T.toasts, rec)
      return { id = rec.id }
    end
  ]])
  child.lua([[T.answers = { "ChatGPT Plus/Pro (headless)" }]])
  child.cmd("DeckhandChat hello")
  H.wait_for(child, "T.notes_text():find('logged in with ChatGPT', 1, true)", "the login")
  H.wait_chat(child, "**Error:**")
  local toasts = child.lua_get("vim.tbl_map(function(t) return t.msg end, T.toasts)")
  local text = table.concat(toasts, "\n")
  has(text, "logged in with ChatGPT")
  lacks(text, "enter code")
  lacks(text:lower(), "not logged in")
  lacks(text:lower(), "log in")
end

T["auth.json's warning is shown: in the chat's input area and in :DeckhandStatus"] = function()
  fake = H.start_fake({})
  dirs = H.new_dirs({})
  H.write_file(dirs.home .. "/auth.json", "{ this is not json")
  H.setup_child(child, fake, dirs)
  child.cmd("DeckhandChat")
  H.wait_screen(child, { "auth.json could not be parsed" })
  child.cmd("DeckhandStatus")
  H.wait_for(child, "T.notes_text():find('moved aside', 1, true)", "the warning in the status")
  -- Shown once at start too, as a warning.
  H.wait_for(child, "vim.tbl_contains(vim.tbl_map(function(n) return n.level end, T.notes), vim.log.levels.WARN)", "a warning")
end

return T
