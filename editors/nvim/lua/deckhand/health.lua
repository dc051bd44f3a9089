--- :checkhealth deckhand — the Neovim version, the deckhand binary and its
--- version, `deckhand doctor --json` where deckhand has it, the login state
--- and the treesitter markdown parser the chat uses.
local M = {}

local function run(cmd, timeout)
  local ok, proc = pcall(vim.system, cmd, { text = true, env = require("deckhand").config().env })
  if not ok then
    return nil, tostring(proc)
  end
  local res = proc:wait(timeout or 5000)
  return res
end

local function neovim()
  local dh = require("deckhand")
  local v = vim.version()
  local text = ("Neovim %d.%d.%d"):format(v.major, v.minor, v.patch)
  if dh.supported() then
    vim.health.ok(text)
  else
    vim.health.error(text .. " is too old", { "deckhand needs Neovim " .. dh.MIN_VERSION .. " or newer" })
  end
end

local function binary()
  local dh = require("deckhand")
  local path, how = dh.binary()
  if not path then
    vim.health.error("deckhand binary not found (" .. how .. ")", {
      "run `make build` in the deckhand checkout (the plugin finds bin/deckhand next to it)",
      "or put deckhand on PATH, or set cmd in require('deckhand').setup()",
    })
    return nil
  end
  local res = run({ path, "--version" })
  local version = res and res.code == 0 and vim.trim(res.stdout or "") or nil
  if version and version ~= "" then
    vim.health.ok(("deckhand: %s (%s; %s)"):format(path, version, how))
  else
    vim.health.warn(("deckhand: %s (%s) did not tell its version"):format(path, how), {
      res and vim.trim(res.stderr or "") or "",
    })
  end
  return path
end

local function doctor(path)
  local res, perr = run({ path, "doctor", "--json" }, 20000)
  if not res then
    vim.health.warn("`deckhand doctor --json` could not run: " .. tostring(perr))
    return
  end
  -- The report is on stdout whatever the exit status (non-zero when a check failed).
  local ok, report = pcall(vim.json.decode, res.stdout or "", { luanil = { object = true, array = true } })
  if not ok or type(report) ~= "table" then
    local err = vim.trim(res.stderr or "")
    if err:find("unknown command", 1, true) or err:find("flag provided but not defined", 1, true) then
      vim.health.info("`deckhand doctor` is not in this deckhand; skipped")
    else
      vim.health.warn("`deckhand doctor --json` failed: " .. (err ~= "" and err or ("status " .. tostring(res.code))))
    end
    return
  end
  local checks = type(report.checks) == "table" and report.checks or {}
  for _, c in ipairs(checks) do
    local msg = ("doctor: %s: %s"):format(c.name or "check", c.detail or "")
    local advice = (type(c.advice) == "string" and c.advice ~= "") and { c.advice } or nil
    if c.ok == true then
      vim.health.ok(msg)
    elseif tostring(c.detail or ""):find("^skipped") then
      vim.health.info(msg)
    else
      vim.health.error(msg, advice)
    end
  end
  if #checks == 0 then
    vim.health.info("deckhand doctor: " .. (report.ok and "ok" or "not ok"))
  end
end

local function login(path)
  local dh = require("deckhand")
  local done, status, err
  -- Ask the running deckhand, else a short-lived one.
  dh.request("authStatus", {}, function(e, s)
    done, status, err = true, s, e
  end)
  vim.wait(8000, function()
    return done
  end, 20)
  if not done then
    vim.health.warn("deckhand did not answer authStatus in time")
  elseif err then
    vim.health.warn("login state unknown: " .. err.message)
  elseif status.type == "none" then
    vim.health.warn("not logged in", { ":DeckhandLogin to log in with ChatGPT Plus/Pro or an API key" })
  else
    vim.health.ok(dh.describe_status(status))
  end
  local info = dh.server_info()
  if info then
    local caps = {}
    for k, v in pairs(info.capabilities or {}) do
      if v == true then
        caps[#caps + 1] = k
      end
    end
    table.sort(caps)
    vim.health.info(("protocol %s; workspace %s; capabilities: %s"):format(
      tostring(info.protocolVersion),
      tostring(info.workspaceRoot or dh.config().workspace_root or vim.fn.getcwd()),
      #caps > 0 and table.concat(caps, ", ") or "none beyond 1.0"
    ))
  end
  if info and type(info.instructions) == "table" and #info.instructions > 0 then
    vim.health.info("project instructions: " .. table.concat(info.instructions, ", "))
  end
  vim.health.info("log file: " .. dh.log_file())
  return path
end

local function treesitter()
  local ok = pcall(vim.treesitter.language.inspect, "markdown")
  local inline = pcall(vim.treesitter.language.inspect, "markdown_inline")
  if ok and inline then
    vim.health.ok("treesitter markdown and markdown_inline parsers found (the chat is highlighted with them)")
  elseif ok then
    vim.health.warn("treesitter markdown parser found, markdown_inline missing (inline code and emphasis are plain)")
  else
    vim.health.warn("no treesitter markdown parser: the chat falls back to regex syntax", {
      "Neovim ships the parser; a distribution that split it out needs it installed (:TSInstall markdown markdown_inline)",
    })
  end
end

function M.check()
  vim.health.start("deckhand: Neovim")
  neovim()
  treesitter()
  vim.health.start("deckhand: binary")
  local path = binary()
  if path then
    doctor(path)
    vim.health.start("deckhand: login")
    login(path)
  end
end

return M
