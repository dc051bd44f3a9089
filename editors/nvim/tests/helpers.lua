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

--- Starts fakeupstream serving steps (model replies, in order). Returns
--- {issuer, codex, api, stop()}.
function H.start_fake(steps, opts)
  opts = opts or {}
  local dir = H.tempdir()
  local script = dir .. "/script.json"
  H.write_file(script, vim.json.encode(steps or {}))
  local line
  local buf = ""
  local proc = vim.system({ H.fake_bin, "--script", script, "--auto-approve", tostring(opts.approve or 1) }, {
    stdin = true,
    stdout = function(_, chunk)
      if chunk and not line then
        buf = buf .. chunk
        line = buf:match("^([^\n]*)\n")
      end
    end,
  })
  local ok = vim.wait(H.TIMEOUT, function()
    return line ~= nil
  end, 10)
  if not ok then
    proc:kill(9)
    error("fakeupstream did not start")
  end
  local urls = vim.json.decode(line)
  urls.stop = function()
    pcall(proc.write, proc, nil)
    if not pcall(proc.wait, proc, 5000) then
      proc:kill(9)
    end
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
        child.lua("require('deckhand').stop(3000)")
        for _, f in ipairs(H.fakes) do
          f.stop()
        end
        H.fakes = {}
      end,
      post_once = child.stop,
    },
  })
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
      DECKHAND_OAUTH_PORT = tostring(20000 + math.random(0, 9999)),
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

return H
