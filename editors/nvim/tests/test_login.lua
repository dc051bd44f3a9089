-- Login flows against the real deckhand and the fake OpenAI: the picker's
-- labels, the headless float, the API key, status, logout and the picker
-- offered on a -32000 error.
local H = require("helpers")
local expect, eq = MiniTest.expect, MiniTest.expect.equality

local child = MiniTest.new_child_neovim()
local fake, dirs

local LABELS = { "ChatGPT Plus/Pro (browser)", "ChatGPT Plus/Pro (headless)", "Manually enter API key" }

local function start(steps, fake_opts, dir_opts)
  fake = H.start_fake(steps, fake_opts)
  dirs = H.new_dirs(dir_opts)
  H.setup_child(child, fake, dirs)
end

local T = H.case_set(child)

T["first run: the chat says there is no login before the first message; gl logs in and the hint goes"] = function()
  start({ { text = "Logged in and answered." } })
  child.cmd("DeckhandChat")
  H.wait_screen(child, { "Not logged in · gl logs in" })
  eq(child.lua_get("vim.api.nvim_get_current_buf()"), child.lua_get("require('deckhand.chat').input_buffer()"))
  child.lua([[T.answers = { "Manually enter API key" }; T.input_answers = { "sk-fake" }]])
  child.cmd("stopinsert")
  child.type_keys("<Esc>", "gl")
  H.wait_for(child, "T.notes_text():find('logged in with an API key', 1, true)", "the API key login")
  local ok = vim.wait(H.TIMEOUT, function()
    return not H.screen(child):find("Not logged in", 1, true)
  end, 50)
  eq(ok, true)
  child.cmd("DeckhandChat hello")
  H.wait_chat(child, "Logged in and answered.")
end

T["headless: picker shows the three labels, float shows code and URL, status becomes oauth"] = function()
  -- Three polls before approval: the float stays up long enough to be seen.
  start({}, { approve = 3 })
  child.lua([[T.answers = { "ChatGPT Plus/Pro (headless)" }]])
  child.cmd("DeckhandLogin")
  H.wait_for(child, "#T.selects == 1", "the login picker")
  eq(child.lua_get("T.selects[1].labels"), LABELS)

  H.wait_for(child, "T.notes_text():find('enter code', 1, true)", "the device code")
  local code = child.lua_get("T.notes_text():match('enter code (%S+)')")
  local url = fake.issuer .. "/codex/device"
  local screen = H.wait_screen(child, { "Code:  " .. code, url, "Log in to ChatGPT" })
  expect.no_equality(screen:find("╭", 1, true), nil)

  H.wait_for(child, "T.notes_text():find('logged in with ChatGPT', 1, true)", "auth/completed")
  child.cmd("DeckhandStatus")
  local status = H.wait_for(child, "T.notes_text():match('deckhand: logged in with ChatGPT[^\\n]*workspace[^\\n]*')")
  expect.no_equality(status:find("(oauth", 1, true), nil)
  -- The float closes once the flow has ended.
  H.wait_for(child, "#vim.tbl_filter(function(w) return vim.api.nvim_win_get_config(w).relative ~= '' end, vim.api.nvim_list_wins()) == 0", "the float to close")
end

T["headless: q cancels the flow and says so"] = function()
  start({}, { approve = 0 })
  child.lua([[T.answers = { "ChatGPT Plus/Pro (headless)" }]])
  child.cmd("DeckhandLogin")
  H.wait_screen(child, { "Code:" })
  child.type_keys("q")
  H.wait_for(child, "T.notes_text():lower():find('cancel', 1, true)", "the cancelled login")
  child.cmd("DeckhandStatus")
  H.wait_for(child, "T.notes_text():find('deckhand: not logged in', 1, true)")
end

-- The URL in the open float's buffer (it may be wrapped on screen).
local FLOAT_URL = [[(function()
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(w).relative ~= "" then
      for _, l in ipairs(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(w), 0, -1, false)) do
        local u = l:match("(http%S+/oauth/authorize%S+)")
        if u then return u end
      end
    end
  end
end)()]]

T["browser: shows the URL; a pasted redirect address completes the login"] = function()
  start({})
  child.lua([[T.answers = { "ChatGPT Plus/Pro (browser)" }]])
  child.cmd("DeckhandLogin")
  H.wait_screen(child, { "Log in to ChatGPT", "p: paste" })
  local url = H.wait_for(child, FLOAT_URL, "the authorize URL in the float")
  -- Play the browser on another machine: sign in, note where it is sent back to.
  local out = vim.system({ "curl", "-s", "-o", "/dev/null", "-w", "%{redirect_url}", url }):wait()
  local callback = out.stdout
  expect.no_equality(callback:find("/auth/callback?", 1, true), nil)

  -- A forged address is refused and the flow keeps waiting.
  child.lua("T.input_answers = { ... }", { (callback:gsub("state=[^&]+", "state=forged")) })
  child.type_keys("p")
  H.wait_for(child, "#vim.tbl_filter(function(n) return n.level == vim.log.levels.ERROR end, T.notes) > 0", "the refusal")
  expect.no_equality(child.lua_get(FLOAT_URL), vim.NIL)

  child.lua("T.input_answers = { ... }", { callback })
  child.type_keys("p")
  H.wait_for(child, "T.notes_text():find('logged in with ChatGPT', 1, true)", "auth/completed")
  eq(child.lua_get("T.inputs"), { "Redirect URL: ", "Redirect URL: " })
  eq(child.lua_get(FLOAT_URL), vim.NIL)
end

T["API key: entered through vim.ui.input, stored, never shown"] = function()
  start({})
  child.lua([[T.answers = { "Manually enter API key" }; T.input_answers = { "sk-fake" }]])
  child.cmd("DeckhandLogin")
  H.wait_for(child, "T.notes_text():find('logged in with an API key', 1, true)", "the API key login")
  eq(child.lua_get("T.inputs"), { "OpenAI API key: " })
  local auth = vim.json.decode(H.read_file(dirs.home .. "/auth.json"))
  eq(auth.openai, { type = "api", key = "sk-fake" })
  child.cmd("DeckhandStatus")
  H.wait_for(child, "T.notes_text():find('(api, stored)', 1, true)")
  eq(child.lua_get("T.notes_text():find('sk-fake', 1, true)"), vim.NIL)
end

T["API key: a blank answer changes nothing"] = function()
  start({})
  child.lua([[T.answers = { "Manually enter API key" }; T.input_answers = { "  " }]])
  child.cmd("DeckhandLogin")
  H.wait_for(child, "T.notes_text():find('no API key entered', 1, true)")
  eq(H.read_file(dirs.home .. "/auth.json"), nil)
end

T["logout forgets the stored key"] = function()
  start({}, nil, { api_key = "sk-fake" })
  child.cmd("DeckhandLogout")
  H.wait_for(child, "T.notes_text():find('deckhand: logged out.', 1, true)")
  child.cmd("DeckhandStatus")
  H.wait_for(child, "T.notes_text():find('deckhand: not logged in', 1, true)")
end

T["-32000 on chat shows the error and offers the login picker, then retries"] = function()
  start({ { text = "Hello after login." } })
  child.lua([[T.answers = { "Manually enter API key" }; T.input_answers = { "sk-fake" }]])
  child.cmd("DeckhandChat hi")
  H.wait_for(child, "T.notes_text():find('not logged in to OpenAI', 1, true)", "the -32000 message")
  H.wait_chat(child, "Hello after login.")
  H.wait_for(child, "#T.virt_lines() == 1", "the footer")
  eq(child.lua_get("T.selects[1].labels"), LABELS)
end

T["models lists the catalog and sets the chat model"] = function()
  -- Ids no built-in list has: the picker can only show them if it listed
  -- the upstream's catalog.
  start({}, { api_models = { "gpt-5-fake-alpha", "gpt-5-fake-beta", "dall-e-9" } }, { api_key = "sk-fake" })
  child.cmd("DeckhandModels")
  H.wait_for(child, "#T.selects == 1", "the model picker")
  local labels = child.lua_get("T.selects[1].labels")
  local ids = {}
  for _, l in ipairs(labels) do
    local id = l:gsub(" %*$", "")
    ids[#ids + 1] = id:match("%(([^)]+)%)$") or id
  end
  eq(ids, { "gpt-5-fake-alpha", "gpt-5-fake-beta" })
  local listed = vim.tbl_filter(function(r)
    return r.path == "/v1/models"
  end, fake.requests())
  eq(#listed, 1)
  child.lua("T.choose(...)", { labels[2] })
  H.wait_for(child, "require('deckhand').config().model ~= nil")
  eq(child.lua_get("require('deckhand').config().model"), "gpt-5-fake-beta")
end

T["a refused API key is said without protocol words and asked for again"] = function()
  start({ { text = "Hello with the right key." } })
  child.lua([[T.answers = { "Manually enter API key" }; T.input_answers = { "sk-wrong", "sk-fake" }]])
  child.cmd("DeckhandLogin")
  H.wait_for(child, "T.notes_text():find('logged in with an API key', 1, true)", "the second key's login")
  eq(child.lua_get("T.inputs"), { "OpenAI API key: ", "OpenAI API key (try again): " })
  local notes = child.lua_get("T.notes_text()")
  expect.no_equality(notes:find("refused", 1, true), nil)
  eq(notes:find("Invalid params", 1, true), nil)
  child.cmd("DeckhandChat hello")
  H.wait_chat(child, "Hello with the right key.")
end

return T
