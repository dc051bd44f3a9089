-- Help, health, the binary found on its own, context (selections, files,
-- @ completion) and the protocol 1.1 sessions and undo, against the real
-- deckhand and the fake OpenAI.
local H = require("helpers")
local eq = MiniTest.expect.equality
local has, lacks = H.has, H.lacks

local child = MiniTest.new_child_neovim()
local fake, dirs

local function start(steps, files, extra)
  fake, dirs = H.start_logged_in(child, steps, files, extra)
end

local T = H.case_set(child)

T[":help deckhand opens the help; every command, key and option has a tag"] = function()
  start({})
  local doc = H.plugin_dir .. "/doc"
  local tags_dir = H.tempdir()
  vim.fn.mkdir(tags_dir .. "/doc", "p")
  vim.fn.writefile(vim.fn.readfile(doc .. "/deckhand.txt"), tags_dir .. "/doc/deckhand.txt")
  child.lua("vim.opt.runtimepath:append(...)", { tags_dir })
  child.cmd("helptags " .. tags_dir .. "/doc")
  child.cmd("help deckhand")
  eq(child.lua_get("vim.bo.buftype"), "help")
  has(child.lua_get("vim.api.nvim_buf_get_name(0)"), "deckhand.txt")
  local tags = table.concat(vim.fn.readfile(tags_dir .. "/doc/tags"), "\n")
  local commands = child.lua_get("vim.tbl_keys(vim.api.nvim_get_commands({}))")
  local n = 0
  for _, name in ipairs(commands) do
    if name:find("^Deckhand") then
      n = n + 1
      has(tags, ":" .. name .. "\t")
      child.cmd("help :" .. name)
      has(child.lua_get("vim.api.nvim_get_current_line()"), "*:" .. name .. "*")
    end
  end
  eq(n >= 12, true)
  for _, k in ipairs(child.lua_get("vim.tbl_map(function(k) return k[2] end, require('deckhand.chat').KEYS)")) do
    has(tags, "deckhand-" .. k .. "\t")
  end
  for _, k in ipairs({ "a", "A", "d", "q" }) do
    has(tags, "deckhand-review-" .. k .. "\t")
  end
  for _, opt in ipairs(child.lua_get("vim.tbl_keys(require('deckhand').config())")) do
    has(tags, "deckhand-option-" .. opt .. "\t")
  end
  has(tags, "deckhand.status()\t")
end

T[":checkhealth deckhand reports Neovim, the parser, the binary, its version and the login"] = function()
  start({})
  child.cmd("checkhealth deckhand")
  local text = H.wait_for(child, "(function() local t = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\\n'); return t:find('deckhand: login', 1, true) and t:find('API key', 1, true) and t end)()", "the health report")
  has(text, "Neovim 0.")
  has(text, "treesitter markdown")
  has(text, H.deckhand_bin)
  has(text, "deckhand 0.")
  has(text, "logged in with an API key")
  -- deckhand doctor's checks, or a note that this deckhand has no doctor.
  eq(text:find("doctor: auth.json: API key stored", 1, true) ~= nil or text:find("`deckhand doctor` is not in this deckhand", 1, true) ~= nil, true)
  lacks(text, "ERROR")
end

T["the plugin finds bin/deckhand of its own checkout when cmd is not set"] = function()
  child.lua([[require("stubs")]])
  child.lua("require('deckhand').setup({})")
  local path = child.lua_get("require('deckhand').binary()")
  eq(vim.fn.resolve(path), vim.fn.resolve(H.deckhand_bin))
  eq(child.lua_get("select(2, require('deckhand').binary())"), "built in the plugin's checkout")
  -- Installed as packadd users do: a symlink in a pack directory.
  local site = H.tempdir()
  vim.fn.mkdir(site .. "/pack/deckhand/opt", "p")
  vim.uv.fs_symlink(H.plugin_dir, site .. "/pack/deckhand/opt/deckhand.nvim")
  child.restart({ "-u", "NONE", "--cmd", "set packpath^=" .. site, "--cmd", "packadd deckhand.nvim" })
  has(child.lua_get("require('deckhand').plugin_dir"), site .. "/pack/deckhand/opt/deckhand.nvim")
  eq(vim.fn.resolve(child.lua_get("require('deckhand').binary()")), vim.fn.resolve(H.deckhand_bin))
  eq(child.lua_get("vim.fn.exists(':DeckhandChat')"), 2)
  child.restart({ "-u", H.plugin_dir .. "/tests/child_init.lua" })
  child.lua([[require("stubs")]])
  -- A cmd that is not there is said clearly.
  child.lua("require('deckhand').setup({ cmd = '/nonexistent/deckhand' })")
  child.cmd("DeckhandChat hi")
  H.wait_for(child, "T.notes_text():find('deckhand was not found', 1, true)", "the not-found message")
  -- and :checkhealth says what to do.
  child.cmd("checkhealth deckhand")
  local text = child.lua_get("table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\\n')")
  has(text, "ERROR deckhand binary not found")
  has(text, "make build")
end

T[":'<,'>DeckhandAdd sends the selection with the next message; @file adds a file"] = function()
  start({ { text = "Seen them." } }, { ["src/a.lua"] = "local a = 1\nlocal b = 2\nlocal c = 3\n", ["notes.md"] = "note body here\n" })
  child.cmd("edit " .. dirs.ws .. "/src/a.lua")
  child.cmd("2,3DeckhandAdd")
  eq(child.lua_get("require('deckhand.chat').attachments()"), {
    { type = "selection", path = "src/a.lua", range = { startLine = 2, endLine = 3 }, text = "local b = 2\nlocal c = 3" },
  })
  -- @ completion in the input area lists workspace files.
  child.cmd("DeckhandChat")
  local items = child.lua_get("require('deckhand.context').omnifunc(0, '@no')")
  eq(#items, 1)
  eq(items[1].word, "@notes.md")
  eq(child.lua_get("(function() vim.api.nvim_set_current_line('see @no'); vim.api.nvim_win_set_cursor(0, {1, 7}); return require('deckhand.context').omnifunc(1, '') end)()"), 4)
  -- Typing @ in insert mode opens the completion of workspace files.
  eq(child.lua_get("vim.go.completeopt"), "menu,preview") -- Neovim's default
  child.lua("vim.api.nvim_buf_set_lines(0, 0, -1, false, {})")
  child.type_keys("i", "@")
  H.wait_for(child, "vim.fn.pumvisible() == 1", "the completion menu")
  local words = child.lua_get("vim.tbl_map(function(i) return i.word end, vim.fn.complete_info({ 'items' }).items)")
  eq(words, { "@notes.md", "@src/a.lua" })
  -- With Neovim's default 'completeopt' the first file is not put in by
  -- itself: typing goes on narrowing the list, <C-n> <C-y> takes a file.
  child.type_keys("n", "o")
  eq(child.lua_get("vim.api.nvim_get_current_line()"), "@no")
  child.type_keys("<C-n>", "<C-y>")
  eq(child.lua_get("vim.api.nvim_get_current_line()"), "@notes.md")
  child.type_keys("<Esc>")
  eq(child.lua_get("vim.go.completeopt"), "menu,preview") -- the user's own again
  child.lua("vim.api.nvim_buf_set_lines(0, 0, -1, false, {})")
  child.type_keys("<Esc>")
  child.lua("vim.api.nvim_buf_set_lines(0, 0, -1, false, { 'look at these and @notes.md' })")
  child.type_keys("<Esc>", "<CR>")
  H.wait_chat(child, "Seen them.")
  has(child.lua_get("T.chat_text()"), "- src/a.lua:2-3")
  has(child.lua_get("T.chat_text()"), "- notes.md")
  local req = fake.model_requests()[1]
  has(req, "local b = 2")
  has(req, "local c = 3")
  lacks(req, "local a = 1")
  has(req, "note body here")
  eq(child.lua_get("require('deckhand.chat').attachments()"), {})
end

T["ga offers the workspace's files and adds the chosen one"] = function()
  start({}, { ["a.txt"] = "a\n", ["sub/b.txt"] = "b\n" })
  child.cmd("DeckhandChat")
  child.type_keys("<Esc>", "ga")
  H.wait_for(child, "T.waiting ~= nil", "the file picker")
  local sel = child.lua_get("T.last_select()")
  eq(sel.labels, { "a.txt", "sub/b.txt" })
  child.lua("T.choose('sub/b.txt')")
  H.wait_for(child, "#require('deckhand.chat').attachments() == 1", "the attachment")
  eq(child.lua_get("require('deckhand.chat').attachments()[1]"), { type = "file", path = "sub/b.txt" })
  -- Shown above the input area.
  H.wait_screen(child, { "context: sub/b.txt" })
end

T["sessions: :DeckhandSessions lists through vim.ui.select and reopens a session after a restart"] = function()
  start({ { text = "Remember the number 42." }, { text = "It was 42." } })
  H.needs(child, "sessions")
  child.cmd("DeckhandChat remember a number")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the first turn")
  local sid = child.lua_get("require('deckhand.chat').session_id()")
  -- A new deckhand process and a new chat.
  child.lua("require('deckhand').stop(3000)")
  H.wait_for(child, "require('deckhand').server_info() == nil", "deckhand to stop")
  child.cmd("DeckhandNew")
  eq(child.lua_get("T.chat_text()"), "")
  child.cmd("DeckhandSessions")
  H.wait_for(child, "T.waiting ~= nil", "the sessions picker")
  local sel = child.lua_get("T.last_select()")
  eq(#sel.labels, 1)
  has(sel.labels[1], "1 turn")
  child.lua("T.choose(...)", { sel.labels[1] })
  H.wait_chat(child, "Remember the number 42.")
  has(child.lua_get("T.chat_text()"), "## You\n\nremember a number")
  eq(child.lua_get("require('deckhand.chat').session_id()"), sid)
  child.cmd("DeckhandChat what was it?")
  H.wait_chat(child, "It was 42.")
  local reqs = fake.model_requests()
  has(reqs[#reqs], "Remember the number 42.")
end

T["a reopened session shows the model it uses and keeps its model and effort"] = function()
  fake = H.start_fake({ { text = "Answered by b." }, { text = "Still b." } }, { api_models = { "gpt-5-a", "gpt-5-b" } })
  dirs = H.new_dirs({ api_key = "sk-fake" })
  H.setup_child(child, fake, dirs, { model = "gpt-5-b", reasoning_effort = "high" })
  H.needs(child, "sessions")
  child.cmd("DeckhandChat first")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the first turn")
  -- Later, a Neovim whose setup names no model or effort reopens it.
  child.lua("require('deckhand').config().model = nil; require('deckhand').config().reasoning_effort = nil")
  child.lua("require('deckhand').stop(3000)")
  H.wait_for(child, "require('deckhand').server_info() == nil", "deckhand to stop")
  child.cmd("DeckhandNew")
  child.cmd("DeckhandSessions")
  H.wait_for(child, "T.waiting ~= nil", "the sessions picker")
  child.lua("T.choose(...)", { child.lua_get("T.last_select()").labels[1] })
  H.wait_chat(child, "Answered by b.")
  has(child.lua_get("require('deckhand.chat').winbar()"), "gpt-5-b")
  child.cmd("DeckhandChat second")
  H.wait_chat(child, "Still b.")
  local body = vim.json.decode(fake.model_requests()[2])
  eq(body.model, "gpt-5-b")
  eq(body.reasoning and body.reasoning.effort, "high")
end

T["a reopened session shows each turn as it happened: reasoning, text, then its tool, then more text"] = function()
  start({
    { reasoning = "Looking first.", text = "Let me look.", calls = { { id = "c1", name = "list", arguments = {} } } },
    { text = "Nothing here." },
  })
  H.needs(child, "sessions")
  child.cmd("DeckhandChat what is here?")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the turn")
  local sid = child.lua_get("require('deckhand.chat').session_id()")
  child.cmd("DeckhandNew")
  child.lua("_G.opened = nil; require('deckhand.sessions').open(..., function(ok) _G.opened = ok end)", { sid })
  H.wait_for(child, "_G.opened == true", "the session to reopen")
  local text = child.lua_get("T.chat_text()")
  local function at(s)
    local i = text:find(s, 1, true)
    assert(i, ("%q not in the reopened chat:\n%s"):format(s, text))
    return i
  end
  local r, t1, tool, t2 = at("Looking first."), at("Let me look."), at("list ."), at("Nothing here.")
  eq(r < t1 and t1 < tool and tool < t2, true)
end

T["undo: :DeckhandUndo restores the file of the last turn and reloads its buffer"] = function()
  start({
    { calls = { { id = "e1", name = "edit", arguments = { path = "hello.txt", oldString = "hello world", newString = "hello deckhand" } } } },
    { text = "Edited." },
  }, { ["hello.txt"] = "hello world\n" })
  H.needs(child, "undo")
  child.cmd("edit " .. dirs.ws .. "/hello.txt")
  local buf = child.lua_get("vim.api.nvim_get_current_buf()")
  child.cmd("DeckhandChat edit it")
  H.wait_for(child, "#T.floats() > 0", "the review float")
  child.cmd("DeckhandReview")
  child.type_keys("a")
  H.wait_for(child, "#T.virt_lines() == 1 and not require('deckhand.chat').is_busy()", "the turn")
  eq(H.read_file(dirs.ws .. "/hello.txt"), "hello deckhand\n")
  child.cmd("DeckhandUndo")
  H.wait_chat(child, "restored 1 file")
  eq(H.read_file(dirs.ws .. "/hello.txt"), "hello world\n")
  eq(child.lua_get("vim.api.nvim_buf_get_lines(..., 0, -1, false)", { buf }), { "hello world" })
end

return T
