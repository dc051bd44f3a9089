-- The chat against the real deckhand and the fake OpenAI: the transcript as
-- buffer text and extmarks, tool lines paired with their results, folds,
-- treesitter, the input area and its keys, :bd / :close / reopen, cancel,
-- resend, notifications while hidden, status().
local H = require("helpers")
local eq = MiniTest.expect.equality
local has, lacks = H.has, H.lacks

local child = MiniTest.new_child_neovim()
local fake, dirs

local function start(steps, files, extra)
  fake, dirs = H.start_logged_in(child, steps, files, extra)
end

local function chat_lines()
  return vim.split(child.lua_get("T.chat_text()"), "\n", { plain = true })
end

local T = H.case_set(child)

T["a turn: text, reasoning apart from the reply, tool line paired with its result, output folded, footer as extmark"] = function()
  start({
    { reasoning = "Pondering the file.", text = "Let me read the file.", calls = { { id = "c1", name = "read", arguments = { path = "hello.txt" } } }, delayMs = 5 },
    { text = "The file greets the world.", delayMs = 5 },
  }, { ["hello.txt"] = "hello world\n" })
  child.cmd("DeckhandChat what does hello.txt say?")
  H.wait_for(child, "#T.virt_lines() > 0", "the footer")
  local text = child.lua_get("T.chat_text()")
  has(text, "## You\n\nwhat does hello.txt say?\n\n## deckhand")
  -- The reply does not join the reasoning quote: a blank line between them.
  has(text, "> Pondering the file.\n\nLet me read the file.")
  -- One line per tool call, with its result on the same line.
  has(text, "\n✓ read hello.txt — 1\thello world\n")
  lacks(text, "[tool]")
  has(text, "The file greets the world.")
  -- The footer is an extmark, not buffer text.
  lacks(text, "end_turn")
  has(child.lua_get("T.virt_lines()")[1], "end_turn · 2 steps")
  -- The output is under the tool line, in a closed fold.
  local row = child.lua_get("T.row_of('✓ read hello.txt')")
  eq(chat_lines()[row + 1], "```text")
  eq(chat_lines()[row + 2], "     1\thello world")
  local win = child.lua_get("require('deckhand.chat').chat_win()")
  eq(child.lua_get("vim.api.nvim_win_call(...,function() return vim.fn.foldclosed(" .. (row + 2) .. ") end)", { win }), row + 1)
  eq(child.lua_get("vim.api.nvim_win_call(...,function() return vim.fn.foldclosed(" .. row .. ") end)", { win }), -1)
  -- The ok icon is highlighted as ok.
  eq(vim.tbl_contains(child.lua_get("T.hl_rows('DeckhandToolOk')"), row), true)
  -- Treesitter markdown highlights the chat (Neovim ships the parser).
  eq(child.lua_get("vim.treesitter.highlighter.active[require('deckhand.chat').buffer()] ~= nil"), true)
  eq(child.lua_get("vim.bo[require('deckhand.chat').buffer()].buftype"), "nofile")
  -- The model saw the file's content as the call's output.
  local reqs = fake.model_requests()
  eq(#reqs, 2)
  has(reqs[1], "what does hello.txt say?")
  has(reqs[2], "hello world")
  H.wait_screen(child, { "The file greets the world.", "end_turn · 2 steps" })
end

T["a footer longer than a narrow chat goes on under itself: its end stays on screen, one footer a turn"] = function()
  start({ { text = "First." }, { text = "Second." } })
  child.cmd("DeckhandChat")
  local win = child.lua_get("require('deckhand.chat').chat_win()")
  child.lua("vim.api.nvim_win_set_width(..., 30)", { win })
  child.lua("require('deckhand.chat').send('one')")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the first footer")
  child.lua("require('deckhand.chat').send('two')")
  H.wait_for(child, "#T.virt_lines() == 2 and not require('deckhand.chat').is_busy()", "the second footer")
  -- Virtual lines do not wrap: each drawn line fits the window.
  local width = child.lua_get("vim.api.nvim_win_get_width(...) - vim.fn.getwininfo((...))[1].textoff", { win })
  eq(width <= 30, true)
  local drawn = child.lua_get("T.screen_virt_lines()")
  eq(#drawn > 2, true)
  for _, l in ipairs(drawn) do
    eq(vim.fn.strdisplaywidth(l) <= width, true)
  end
  -- Read as one, each footer is whole, its context use at its end.
  for _, f in ipairs(child.lua_get("T.virt_lines()")) do
    has(f, "── end_turn · 1 step · ")
    MiniTest.expect.no_equality(f:find("context %d+%%$"), nil)
  end
end

T["a turn that ends while the chat is hidden is notified, with one step said in the singular"] = function()
  start({ { text = "Quick answer." } })
  child.lua("require('deckhand.chat').send('quick'); require('deckhand.chat').close()")
  H.wait_for(child, "T.notes_text():find('the turn ended', 1, true)", "the end notification")
  has(child.lua_get("T.notes_text()"), "deckhand: the turn ended (end_turn, 1 step).")
end

T["two calls of one step: each line paired with its own result and output"] = function()
  start({
    { text = "Looking.", calls = { { id = "c1", name = "read", arguments = { path = "hello.txt" } }, { id = "c2", name = "grep", arguments = { pattern = "wor+ld" } } } },
    { text = "Both done." },
  }, { ["hello.txt"] = "hello world\n" })
  child.cmd("DeckhandChat look twice")
  H.wait_for(child, "#T.virt_lines() > 0", "the footer")
  local lines = chat_lines()
  local read = child.lua_get("T.row_of('✓ read hello.txt — ')")
  local grep = child.lua_get("T.row_of('✓ grep wor+ld — ')")
  MiniTest.expect.no_equality(read, vim.NIL)
  MiniTest.expect.no_equality(grep, vim.NIL)
  -- read, its output block, then grep and its output block.
  eq(lines[read + 1], "```text")
  eq(lines[read + 2], "     1\thello world")
  eq(lines[read + 3], "```")
  eq(grep, read + 4)
  eq(lines[grep + 1], "```text")
  has(lines[grep + 2], "hello.txt")
  eq(child.lua_get("T.row_of('◌')"), vim.NIL)
  local win = child.lua_get("require('deckhand.chat').chat_win()")
  for _, r in ipairs({ read, grep }) do
    eq(child.lua_get("vim.api.nvim_win_call(...,function() return vim.fn.foldclosed(" .. (r + 1) .. ") end)", { win }), r + 1)
    eq(child.lua_get("vim.api.nvim_win_call(...,function() return vim.fn.foldclosed(" .. r .. ") end)", { win }), -1)
  end
end

T["a failed tool is one highlighted line with its error"] = function()
  start({
    { calls = { { id = "c1", name = "read", arguments = { path = "missing.txt" } } } },
    { text = "No such file." },
  })
  child.cmd("DeckhandChat read missing.txt")
  H.wait_for(child, "#T.virt_lines() > 0", "the footer")
  local row = child.lua_get("T.row_of('✗ read missing.txt — ')")
  MiniTest.expect.no_equality(row, vim.NIL)
  eq(vim.tbl_contains(child.lua_get("T.hl_rows('DeckhandToolFailed')"), row), true)
  eq(vim.tbl_contains(child.lua_get("T.hl_rows('DeckhandToolOk')"), row), false)
end

T["the spinner runs while a turn runs; status() shows it; <C-c> in the chat stops the turn"] = function()
  start({ { text = "Thinking hard", stall = true }, { text = "After cancel." } })
  child.cmd("DeckhandChat take your time")
  H.wait_chat(child, "Thinking hard")
  local status = H.wait_for(child, "T.virt_lines('status')[1]", "the status line")
  has(status, "deckhand is working")
  local spinner = vim.split(status, " ")[1]
  eq(vim.tbl_contains(child.lua_get("require('deckhand.chat').SPINNER"), spinner), true)
  eq(child.lua_get("require('deckhand').status({ table = true }).busy"), true)
  has(child.lua_get("require('deckhand').status()"), "deckhand")
  -- <C-c> in the chat window.
  child.lua("vim.api.nvim_set_current_win(require('deckhand.chat').chat_win())")
  child.type_keys("<C-c>")
  H.wait_for(child, "T.virt_lines()[1] and T.virt_lines()[1]:find('cancelled', 1, true)", "the cancelled footer")
  eq(child.lua_get("T.virt_lines('status')"), {})
  eq(child.lua_get("require('deckhand').status({ table = true }).busy"), false)
  -- The session stays usable.
  child.cmd("DeckhandChat go on")
  H.wait_chat(child, "After cancel.")
end

T["deckhand dying mid-turn is said in the chat; the next message starts it again"] = function()
  start({ { text = "Thinking hard", stall = true }, { text = "Back again." } })
  child.cmd("DeckhandChat take your time")
  H.wait_chat(child, "Thinking hard")
  -- Kill the deckhand child of the child Neovim.
  local killed = child.lua([[
    for _, pid in ipairs(vim.api.nvim_get_proc_children(vim.fn.getpid())) do
      local p = vim.api.nvim_get_proc(pid)
      if p and p.name and p.name:find("deckhand", 1, true) then
        vim.uv.kill(pid, 9)
        return pid
      end
    end
  ]])
  MiniTest.expect.no_equality(killed, vim.NIL)
  H.wait_chat(child, "deckhand stopped (status")
  eq(child.lua_get("require('deckhand.chat').is_busy()"), false)
  eq(child.lua_get("T.virt_lines('status')"), {})
  -- The stalled request is still open on the fake; the next turn gets the
  -- next reply (in a new session unless this deckhand keeps sessions).
  child.cmd("DeckhandChat hello")
  H.wait_chat(child, "Back again.")
end

T["after deckhand died mid-turn, gr sends the message again and the failure says so"] = function()
  start({ { text = "Thinking hard", stall = true }, { text = "Back again." } })
  child.cmd("DeckhandChat take your time")
  H.wait_chat(child, "Thinking hard")
  child.lua([[
    for _, pid in ipairs(vim.api.nvim_get_proc_children(vim.fn.getpid())) do
      local p = vim.api.nvim_get_proc(pid)
      if p and p.name and p.name:find("deckhand", 1, true) then
        vim.uv.kill(pid, 9)
      end
    end
  ]])
  H.wait_chat(child, "gr sends this one again")
  child.lua("require('deckhand.chat').retry()")
  H.wait_chat(child, "Back again.")
  local text = child.lua_get("T.chat_text()")
  H.has(text, "while answering.  (sent again)")
  H.lacks(text, "gr sends this one again")
end

T["input area: <CR> in normal mode and <C-s> in insert mode send; q closes both windows"] = function()
  start({ { text = "First answer." }, { text = "Second answer." } })
  child.cmd("DeckhandChat")
  eq(child.lua_get("vim.api.nvim_get_current_buf() == require('deckhand.chat').input_buffer()"), true)
  child.type_keys("i", "hello from the input", "<Esc>", "<CR>")
  H.wait_chat(child, "First answer.")
  H.wait_for(child, "#T.virt_lines() == 1", "the first footer")
  eq(child.lua_get("vim.api.nvim_buf_get_lines(require('deckhand.chat').input_buffer(), 0, -1, false)"), { "" })
  child.lua("vim.api.nvim_set_current_win(require('deckhand.chat').input_win())")
  child.type_keys("i", "second via ctrl-s", "<C-s>")
  H.wait_chat(child, "Second answer.")
  H.wait_for(child, "#T.virt_lines() == 2", "the second footer")
  local reqs = fake.model_requests()
  has(reqs[1], "hello from the input")
  has(reqs[2], "second via ctrl-s")
  has(child.lua_get("T.chat_text()"), "## You\n\nsecond via ctrl-s")
  -- q closes the chat and the input area.
  child.type_keys("<Esc>", "q")
  eq(child.lua_get("require('deckhand.chat').chat_win()"), vim.NIL)
  eq(child.lua_get("require('deckhand.chat').input_win()"), vim.NIL)
  eq(#child.lua_get("vim.api.nvim_list_wins()"), 1)
end

T[":close on the chat window takes the input area with it; reopening brings both back"] = function()
  start({ { text = "Kept." } })
  child.cmd("DeckhandChat one")
  H.wait_for(child, "#T.virt_lines() == 1", "the footer")
  local win = child.lua_get("require('deckhand.chat').chat_win()")
  child.lua("vim.api.nvim_set_current_win(...)", { win })
  child.cmd("close")
  H.wait_for(child, "require('deckhand.chat').input_win() == nil", "the input area to close")
  eq(#child.lua_get("vim.api.nvim_list_wins()"), 1)
  child.cmd("DeckhandToggle")
  MiniTest.expect.no_equality(child.lua_get("require('deckhand.chat').chat_win()"), vim.NIL)
  MiniTest.expect.no_equality(child.lua_get("require('deckhand.chat').input_win()"), vim.NIL)
  has(child.lua_get("T.chat_text()"), "Kept.")
end

T["? lists every key; gm picks the model, which the footer, status() and the request show"] = function()
  start({ { text = "Answered." } })
  child.cmd("DeckhandChat")
  child.type_keys("<Esc>", "?")
  local text = H.wait_for(child, "T.float_text() ~= '' and T.float_text()", "the keys float")
  for _, k in ipairs({ "<CR>", "<C-s>", "q ", "<C-c>", "gr", "ga", "gm", "gs", "gu", "?" }) do
    has(text, k)
  end
  child.type_keys("q")
  eq(child.lua_get("#T.floats()"), 0)
  child.type_keys("gm")
  H.wait_for(child, "#T.selects == 1", "the model picker")
  has(child.lua_get("T.selects[1].prompt"), "model")
  local labels = child.lua_get("T.selects[1].labels")
  local pick = labels[2]:gsub(" %*$", "")
  local id = pick:match("%(([^)]+)%)$") or pick
  child.lua("T.choose(...)", { labels[2] })
  H.wait_for(child, "require('deckhand').config().model ~= nil", "the chosen model")
  has(child.lua_get("require('deckhand').status()"), id)
  -- The chat's winbar names the model too.
  has(child.lua_get("require('deckhand.chat').winbar()"), id)
  child.cmd("DeckhandChat which model?")
  H.wait_for(child, "#T.virt_lines() == 1", "the footer")
  has(child.lua_get("T.virt_lines()[1]"), " · " .. id .. " · ")
  has(fake.model_requests()[1], '"model":"' .. id .. '"')
end

T[":DeckhandNew clears the chat and starts a new conversation"] = function()
  start({ { text = "The secret is 7." }, { text = "Fresh start." } })
  child.cmd("DeckhandChat tell me the secret")
  H.wait_for(child, "#T.virt_lines() == 1", "the first footer")
  local sid = child.lua_get("require('deckhand.chat').session_id()")
  child.cmd("DeckhandNew")
  eq(child.lua_get("T.chat_text()"), "")
  eq(child.lua_get("require('deckhand.chat').session_id()"), vim.NIL)
  child.cmd("DeckhandChat hello again")
  H.wait_chat(child, "Fresh start.")
  MiniTest.expect.no_equality(child.lua_get("require('deckhand.chat').session_id()"), sid)
  lacks(child.lua_get("T.chat_text()"), "The secret is 7.")
  -- The model saw none of the old conversation.
  local reqs = fake.model_requests()
  eq(#reqs, 2)
  lacks(reqs[2], "The secret is 7.")
  lacks(reqs[2], "tell me the secret")
end

T["gr sends the last message again after an error"] = function()
  start({ { error = { status = 400, body = '{"error":{"message":"Bad things","type":"invalid_request_error"}}' } }, { text = "Worked the second time." } }, { ["ctx.txt"] = "context line\n" })
  -- The context added for the message goes again with it.
  child.cmd("edit " .. dirs.ws .. "/ctx.txt")
  child.cmd("DeckhandAdd")
  child.cmd("DeckhandChat try this")
  H.wait_chat(child, "**Error:**")
  eq(#child.lua_get("T.hl_rows('DeckhandError')"), 1)
  child.lua("vim.api.nvim_set_current_win(require('deckhand.chat').chat_win())")
  -- What the resend asks deckhand: to replace the failed turn.
  child.lua([[
    local dh = require('deckhand')
    local request = dh.request
    dh.request = function(method, params, ...)
      if method == 'chat' then _G.resent = params end
      return request(method, params, ...)
    end]])
  child.type_keys("gr")
  H.wait_chat(child, "Worked the second time.")
  eq(child.lua_get("type(_G.resent.retryOf) == 'string' and _G.resent.retryOf:match('^turn_') ~= nil"), true)
  local reqs = fake.model_requests()
  eq(#reqs, 2)
  has(reqs[1], "context line")
  has(reqs[2], "context line")
  -- The resend replaces the failed turn: the model gets the message once,
  -- and the chat shows it once, the error under it.
  eq(select(2, reqs[2]:gsub("try this", "")), 1)
  local text = child.lua_get("T.chat_text()")
  eq(select(2, text:gsub("## You", "")), 1)
  has(text, "## You\n\ntry this")
  H.wait_for(child, "#T.virt_lines() == 1", "the footer")
end

-- Regression: :bd on the chat buffer lost the transcript, brought the buffer
-- back as a modified plain buffer and made :qa fail with E37/E162.
T[":bd on the chat keeps the transcript (drawn again), the stream goes on, :qa quits"] = function()
  start({ { text = "Before the bd." }, { text = "After the bd.", delayMs = 5 } })
  child.cmd("DeckhandChat one")
  H.wait_for(child, "#T.virt_lines() == 1", "the first footer")
  local old = child.lua_get("require('deckhand.chat').buffer()")
  child.cmd("bd " .. old)
  eq(child.lua_get("vim.api.nvim_buf_is_valid(...) and vim.api.nvim_buf_is_loaded(...)", { old }), false)
  child.cmd("DeckhandChat two")
  H.wait_chat(child, "After the bd.")
  H.wait_for(child, "#T.virt_lines() == 2", "both footers")
  local buf = child.lua_get("require('deckhand.chat').buffer()")
  MiniTest.expect.no_equality(buf, old)
  -- No leftover: the deleted buffer is gone and the new one has the name.
  eq(child.lua_get("vim.api.nvim_buf_is_valid(...)", { old }), false)
  eq(child.lua_get("vim.api.nvim_buf_get_name(...)", { buf }), "deckhand://chat")
  local text = child.lua_get("T.chat_text()")
  has(text, "## You\n\none")
  has(text, "Before the bd.")
  has(text, "## You\n\ntwo")
  eq(child.lua_get("vim.bo[...].buftype", { buf }), "nofile")
  eq(child.lua_get("vim.bo[...].modified", { buf }), false)
  eq(child.lua_get("require('deckhand.chat').chat_win() ~= nil"), true)
  -- Nothing asks to be saved: :qa ends Neovim, with status 0 (VimLeave
  -- writes v:exiting, since the job may be reaped before jobwait asks).
  local exiting = vim.fn.tempname()
  child.lua(
    "local f = ...; vim.api.nvim_create_autocmd('VimLeave', { callback = function() vim.fn.writefile({ tostring(vim.v.exiting) }, f) end })",
    { exiting }
  )
  child.lua("require('deckhand').stop(2000)")
  -- (The child's RPC channel closes under the request when it quits.)
  local ok, err = pcall(child.cmd, "qa")
  if ok then
    error("Neovim is still running after :qa")
  end
  lacks(tostring(err), "E37")
  lacks(tostring(err), "E162")
  -- jobwait: 0 once exited cleanly, -1 still running, -3 already reaped.
  local code = vim.fn.jobwait({ child.job.id }, 5000)[1]
  if code ~= -3 then
    eq(code, 0)
  end
  eq(vim.fn.readfile(exiting), { "0" })
  child.stop()
end

-- Regression: a chat window closed and reopened stopped following the
-- stream (its cursor came back where it was when the window closed).
T["a chat window closed and reopened follows the stream again"] = function()
  local long = {}
  for i = 1, 60 do
    long[#long + 1] = "line " .. i
  end
  start({ { text = "First reply." }, { text = table.concat(long, "\n") }, { text = "Third reply, at the end." } })
  child.cmd("DeckhandChat first")
  H.wait_for(child, "#T.virt_lines() == 1", "the first footer")
  -- Closed from the input area, as a user does with q there; the next turn
  -- streams while the chat is hidden.
  child.lua("vim.api.nvim_set_current_win(require('deckhand.chat').input_win())")
  child.type_keys("q")
  eq(child.lua_get("require('deckhand.chat').chat_win()"), vim.NIL)
  child.lua("require('deckhand.chat').send('second'); require('deckhand.chat').close()")
  H.wait_for(child, "#T.virt_lines() == 2 and not require('deckhand.chat').is_busy()", "the second turn")
  eq(child.lua_get("require('deckhand.chat').chat_win()"), vim.NIL)
  child.cmd("DeckhandToggle")
  local win = child.lua_get("require('deckhand.chat').chat_win()")
  local count = "vim.api.nvim_buf_line_count(require('deckhand.chat').buffer())"
  eq(child.lua_get("vim.api.nvim_win_get_cursor(...)[1] == " .. count, { win }), true)
  child.cmd("DeckhandChat third")
  H.wait_for(child, "#T.virt_lines() == 3 and not require('deckhand.chat').is_busy()", "the third turn")
  local last = child.lua_get(count)
  eq(child.lua_get("vim.api.nvim_win_get_cursor(...)[1]", { win }), last)
  eq(child.lua_get("vim.api.nvim_win_call(..., function() return vim.fn.line('w$') end)", { win }), last)
  H.wait_screen(child, { "Third reply, at the end." })
  -- (Scrolled up while a turn streams, the window stays: test_view.lua.)
end

T["a turn that ends while the chat is hidden is notified; a visible one is not"] = function()
  start({ { text = "Visible reply." }, { text = "Hidden reply." } })
  child.cmd("DeckhandChat one")
  H.wait_for(child, "#T.virt_lines() == 1", "the first footer")
  eq(child.lua_get("T.notes_text():find('the turn ended', 1, true)"), vim.NIL)
  child.lua("require('deckhand.chat').close()")
  -- Sending opens the chat; hide it again while the turn runs.
  child.lua("require('deckhand.chat').send('two'); require('deckhand.chat').close()")
  H.wait_for(child, "T.notes_text():find('the turn ended', 1, true)", "the notification")
end

return T
