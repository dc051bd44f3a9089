-- Parent-side helpers: start the fake OpenAI process, make a home and a
-- workspace per case, start a child Neovim with the plugin set up against
-- the real deckhand binary, and wait for conditions inside the child.
local H = {}

local plugin_dir = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h:h")
local repo = vim.fn.fnamemodify(plugin_dir, ":h:h")

H.deckhand_bin = os.getenv("DECKHAND_BIN") or (repo .. "/bin/deckhand")
H.fake_bin = os.getenv("DECKHAND_FAKEUPSTREAM") or (repo .. "/bin/fakeupstream")
H.plugin_dir = plugin_dir

-- Generous hang guard; tests never assert on how long something took.
H.TIMEOUT = 15000

function H.tempdir()
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, "p")
  return vim.fn.resolve(dir)
end

function H.write_file(path, text)
  vim.fn.mkdir(vim.fn.fnamemodify(path, ":h"), "p")
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

function H.read_file(path)
  local f = io.open(path, "r")
  if not f then
    return nil
  end
  local text = f:read("*a")
  f:close()
  return text
end

--- Starts fakeupstream serving steps (model replies, in order). opts:
--- approve (device polls before approval), api_models (list of ids the fake
--- /v1/models serves). Returns {issuer, codex, api, stop(), requests()}.
function H.start_fake(steps, opts)
  opts = opts or {}
  local dir = H.tempdir()
  local script = dir .. "/script.json"
  H.write_file(script, vim.json.encode(steps or {}))
  local lines, buf = {}, ""
  -- The fake's issuer, like OpenAI's, refuses a callback port it does not
  -- know: register the one deckhand will listen on.
  local oauth_port = 20000 + math.random(0, 9999)
  local cmd = { H.fake_bin, "--script", script, "--auto-approve", tostring(opts.approve or 1),
    "--allow-port", tostring(oauth_port) }
  if opts.rate_limits then
    cmd[#cmd + 1] = "--rate-limits"
  end
  if opts.context_window then
    vim.list_extend(cmd, { "--context-window", tostring(opts.context_window) })
  end
  if opts.api_models then
    vim.list_extend(cmd, { "--api-models", table.concat(opts.api_models, ",") })
  end
  local proc = vim.system(cmd, {
    stdin = true,
    stdout = function(_, chunk)
      if chunk then
        buf = buf .. chunk
        while true do
          local l, rest = buf:match("^([^\n]*)\n(.*)$")
          if not l then
            break
          end
          lines[#lines + 1] = l
          buf = rest
        end
      end
    end,
  })
  local ok = vim.wait(H.TIMEOUT, function()
    return #lines > 0
  end, 10)
  if not ok then
    proc:kill(9)
    error("fakeupstream did not start")
  end
  local urls = vim.json.decode(lines[1])
  urls.oauth_port = oauth_port
  urls.stop = function()
    pcall(proc.write, proc, nil)
    if not pcall(proc.wait, proc, 5000) then
      proc:kill(9)
    end
  end
  --- Every request the fake received so far: {method, path, query, body}.
  urls.requests = function()
    local before = #lines
    proc:write("requests\n")
    assert(vim.wait(H.TIMEOUT, function()
      return #lines > before
    end, 10), "fakeupstream did not answer")
    return vim.json.decode(lines[#lines]).requests
  end
  --- The bodies of the model requests (either branch), JSON-encoded, in order.
  urls.model_requests = function()
    local out = {}
    for _, r in ipairs(urls.requests()) do
      if r.path:match("/responses$") then
        out[#out + 1] = vim.json.encode(r.body)
      end
    end
    return out
  end
  table.insert(H.fakes, urls)
  return urls
end

--- The fakes started by the case now running; case_set stops them after it.
H.fakes = {}

--- A test set whose every case runs in a fresh child Neovim with the
--- plugin loaded, and stops deckhand and the case's fakes afterwards.
function H.case_set(child)
  return MiniTest.new_set({
    hooks = {
      pre_case = function()
        child.restart({ "-u", H.plugin_dir .. "/tests/child_init.lua" })
      end,
      post_case = function()
        if child.is_running() then
          pcall(child.lua, "require('deckhand').stop(3000)")
        end
        for _, f in ipairs(H.fakes) do
          f.stop()
        end
        H.fakes = {}
      end,
      post_once = child.stop,
    },
  })
end

--- Starts the fake with steps and the child with deckhand logged in with an
--- API key, files written in its workspace. Returns the fake and the dirs.
function H.start_logged_in(child, steps, files, extra)
  local fake = H.start_fake(steps)
  local dirs = H.new_dirs({ api_key = "sk-fake", files = files })
  H.setup_child(child, fake, dirs, extra)
  return fake, dirs
end

--- Like start_logged_in, but logged in with ChatGPT (the headless device
--- flow against the fake), so that the models get their own tools
--- (apply_patch, exec_command). fake_opts go to start_fake.
function H.start_chatgpt(child, steps, files, fake_opts)
  local fake = H.start_fake(steps, fake_opts)
  local dirs = H.new_dirs({ files = files })
  H.setup_child(child, fake, dirs)
  child.lua([[T.answers = { "ChatGPT Plus/Pro (headless)" }]])
  child.cmd("DeckhandLogin")
  H.wait_for(child, "T.notes_text():find('logged in with ChatGPT', 1, true)", "the ChatGPT login")
  return fake, dirs
end

--- A home and a workspace for one case; api_key stores a login in auth.json.
function H.new_dirs(opts)
  opts = opts or {}
  local d = { home = H.tempdir(), ws = H.tempdir() }
  if opts.api_key then
    H.write_file(d.home .. "/auth.json", vim.json.encode({ openai = { type = "api", key = opts.api_key } }))
    vim.fn.setfperm(d.home .. "/auth.json", "rw-------")
  end
  for name, text in pairs(opts.files or {}) do
    H.write_file(d.ws .. "/" .. name, text)
  end
  return d
end

--- Sets the plugin up in the child against the real deckhand and the fake.
function H.setup_child(child, fake, dirs, extra)
  child.lua([[require("stubs")]])
  child.o.lines, child.o.columns = 40, 140
  local cfg = vim.tbl_deep_extend("force", {
    cmd = H.deckhand_bin,
    workspace_root = dirs.ws,
    open_browser = false,
    env = {
      DECKHAND_HOME = dirs.home,
      DECKHAND_AUTH_ISSUER = fake.issuer,
      DECKHAND_CODEX_BASE_URL = fake.codex,
      OPENAI_BASE_URL = fake.api,
      OPENAI_API_KEY = "",
      DECKHAND_LOG_FILE = dirs.home .. "/deckhand.log",
      DECKHAND_OAUTH_PORT = tostring(fake.oauth_port or (20000 + math.random(0, 9999))),
      -- The tests answer a permission request for every command: without
      -- the sandbox every command asks, as in protocol 1.0.
      DECKHAND_NO_SANDBOX = "1",
    },
  }, extra or {})
  local ok = child.lua("return require('deckhand').setup(...)", { cfg })
  assert(ok == true, "setup refused: " .. vim.inspect(child.lua_get("T.notes")))
end

--- Waits until the Lua expression (run in the child) is truthy; fails with
--- what the child showed otherwise.
function H.wait_for(child, expr, what)
  local value
  local ok = vim.wait(H.TIMEOUT, function()
    value = child.lua("return " .. expr)
    return value ~= nil and value ~= false and value ~= vim.NIL
  end, 20)
  if not ok then
    error(("timed out waiting for %s\n-- notes:\n%s\n-- chat:\n%s"):format(
      what or expr,
      child.lua("return T.notes_text()"),
      child.lua("return T.chat_text()")
    ))
  end
  return value
end

--- Waits until the chat buffer contains text (a plain substring).
function H.wait_chat(child, text)
  return H.wait_for(child, ("T.chat_text():find(%q, 1, true)"):format(text), "chat buffer to show " .. text)
end

--- The child's screen as text, one row per line.
function H.screen(child)
  local shot = child.get_screenshot()
  local rows = {}
  for i, row in ipairs(shot.text) do
    rows[i] = table.concat(row)
  end
  return table.concat(rows, "\n")
end

--- Waits until the child's screen contains every string in list.
function H.wait_screen(child, list)
  local text
  local ok = vim.wait(H.TIMEOUT, function()
    text = H.screen(child)
    for _, s in ipairs(list) do
      if not text:find(s, 1, true) then
        return false
      end
    end
    return true
  end, 20)
  if not ok then
    error("screen never showed " .. table.concat(list, ", ") .. "\n-- screen:\n" .. tostring(text))
  end
  return text
end

--- Fails unless haystack contains needle (a plain substring).
function H.has(haystack, needle)
  if type(haystack) ~= "string" or not haystack:find(needle, 1, true) then
    error(("expected to find %q in:\n%s"):format(needle, tostring(haystack)), 2)
  end
end

function H.lacks(haystack, needle)
  if type(haystack) == "string" and haystack:find(needle, 1, true) then
    error(("did not expect %q in:\n%s"):format(needle, haystack), 2)
  end
end

--- The 1.1 capability the child's deckhand announced; when absent, the case
--- is skipped with a message saying so.
function H.needs(child, capability)
  child.lua("require('deckhand').ensure(function() end)")
  H.wait_for(child, "require('deckhand').server_info() ~= nil", "deckhand to initialize")
  if not child.lua_get(("require('deckhand').has(%q)"):format(capability)) then
    MiniTest.skip(("this deckhand does not announce the %q capability (protocol 1.1) in initialize"):format(capability))
  end
end

--- Starts deckhand in the child and waits for initialize.
function H.ready(child)
  child.lua("require('deckhand').ensure(function() end)")
  H.wait_for(child, "require('deckhand').server_info() ~= nil", "deckhand to initialize")
end

return H
