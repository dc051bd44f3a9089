--- deckhand.ui owns what the plugin draws: messages through vim.notify, the
--- bordered float used for login codes, and the user's pickers and inputs
--- (vim.ui.select / vim.ui.input, so telescope, fzf-lua or dressing take over
--- when they are installed).
local M = {}

local TITLE = "deckhand"

function M.info(msg)
  vim.notify(msg, vim.log.levels.INFO, { title = TITLE })
end

function M.warn(msg)
  vim.notify(msg, vim.log.levels.WARN, { title = TITLE })
end

function M.error(msg)
  vim.notify(msg, vim.log.levels.ERROR, { title = TITLE })
end

-- The last message about the login, so the next one replaces it.
local login_record

--- A message about the login ("enter code …", "not logged in", "logged
--- in …"). They share one id, so a notifier that replaces by id (snacks'
--- id, nvim-notify's replace, fidget's key) shows only the latest: once
--- logged in, the code and the "not logged in" are gone.
function M.login_note(msg, level)
  local opts = { title = TITLE, id = "deckhand.login", key = "deckhand.login", replace = login_record }
  local ok, record = pcall(vim.notify, msg, level or vim.log.levels.INFO, opts)
  if not ok and opts.replace ~= nil then
    -- (nvim-notify refuses to replace a notification already dismissed.)
    opts.replace = nil
    ok, record = pcall(vim.notify, msg, level or vim.log.levels.INFO, opts)
  end
  login_record = ok and type(record) == "table" and record or nil
end

--- Shows items with vim.ui.select; on_choice(item|nil, index|nil).
function M.select(items, opts, on_choice)
  vim.ui.select(items, opts, function(item, idx)
    -- Neovim's own select leaves its list in the message area: whatever
    -- comes next (another picker, a message) would stop at "Press ENTER".
    -- The choice is handled from the main loop, after a redraw clears it.
    vim.schedule(function()
      vim.cmd("redraw")
      on_choice(item, idx)
    end)
  end)
end

--- True when vim.ui.input is Neovim's own (a plain command-line prompt), which
--- cannot hide what is typed; a plugin's replacement is trusted as it is.
local function builtin_input()
  local info = debug.getinfo(vim.ui.input, "S")
  return info ~= nil and info.source:find("vim/ui.lua", 1, true) ~= nil
end

--- Asks for a secret. With Neovim's own input it uses inputsecret() so the
--- key is shown as stars; an installed input UI gets vim.ui.input.
function M.input_secret(prompt, on_confirm)
  if builtin_input() then
    local ok, value = pcall(vim.fn.inputsecret, prompt)
    on_confirm(ok and value or nil)
    return
  end
  vim.ui.input({ prompt = prompt }, on_confirm)
end

function M.input(opts, on_confirm)
  vim.ui.input(opts, on_confirm)
end

---@class deckhand.Float
---@field buf integer
---@field win integer
local Float = {}
Float.__index = Float

--- Opens a centred, bordered float showing lines. keys maps lhs to callbacks
--- that are active while the float is open.
---@return deckhand.Float
function M.open_float(lines, opts)
  opts = opts or {}
  local buf = vim.api.nvim_create_buf(false, true)
  vim.bo[buf].bufhidden = "wipe"
  local self = setmetatable({ buf = buf }, Float)
  self:set_lines(lines)
  local width, height = self:size(lines)
  self.win = vim.api.nvim_open_win(buf, opts.enter ~= false, {
    relative = "editor",
    row = math.max(0, math.floor((vim.o.lines - height) / 2) - 1),
    col = math.max(0, math.floor((vim.o.columns - width) / 2)),
    width = width,
    height = height,
    style = "minimal",
    border = "rounded",
    title = opts.title and (" " .. opts.title .. " ") or nil,
    title_pos = opts.title and "center" or nil,
  })
  vim.wo[self.win].wrap = true
  for lhs, fn in pairs(opts.keys or {}) do
    vim.keymap.set("n", lhs, fn, { buffer = buf, nowait = true, silent = true })
  end
  return self
end

function Float:size(lines)
  local natural = 20
  for _, l in ipairs(lines) do
    natural = math.max(natural, vim.fn.strdisplaywidth(l) + 2)
  end
  local width = math.min(natural, math.max(20, vim.o.columns - 4))
  -- Long lines (a login URL) wrap; count the screen rows they take.
  local height = 0
  for _, l in ipairs(lines) do
    height = height + math.max(1, math.ceil((vim.fn.strdisplaywidth(l) + 1) / width))
  end
  return width, math.min(height, math.max(1, vim.o.lines - 4))
end

function Float:is_open()
  return self.win ~= nil and vim.api.nvim_win_is_valid(self.win)
end

function Float:set_lines(lines)
  if not vim.api.nvim_buf_is_valid(self.buf) then
    return
  end
  local padded = {}
  for i, l in ipairs(lines) do
    padded[i] = " " .. l
  end
  vim.bo[self.buf].modifiable = true
  vim.api.nvim_buf_set_lines(self.buf, 0, -1, false, padded)
  vim.bo[self.buf].modifiable = false
  if self:is_open() then
    local width, height = self:size(lines)
    vim.api.nvim_win_set_config(self.win, { width = width, height = height })
  end
end

function Float:close()
  if self:is_open() then
    pcall(vim.api.nvim_win_close, self.win, true)
  end
  self.win = nil
end

--- The Unix time of an RFC 3339 instant ("2026-12-07T18:00:00Z", or with an
--- offset), nil when it is not one.
function M.epoch(at)
  if type(at) ~= "string" then
    return nil
  end
  local y, mo, d, h, mi, s = at:match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
  if not y then
    return nil
  end
  -- os.time reads a table as local time; shift by the local UTC offset.
  local t = os.time({ year = y, month = mo, day = d, hour = h, min = mi, sec = s })
  t = t + os.time(os.date("*t", t)) - os.time(os.date("!*t", t))
  local sign, zh, zm = at:match("([+-])(%d%d):?(%d%d)$")
  if sign then
    t = t - (tonumber(zh) * 3600 + tonumber(zm) * 60) * (sign == "+" and 1 or -1)
  end
  return t
end

--- An instant as the user's clock shows it: "21:00" today, "Tue 8 Dec 21:00"
--- another day.
function M.local_time(at, now)
  local t = M.epoch(at)
  if not t then
    return at
  end
  if os.date("%Y-%m-%d", t) == os.date("%Y-%m-%d", now or os.time()) then
    return os.date("%H:%M", t)
  end
  return (os.date("%a %d %b %H:%M", t):gsub(" 0(%d) ", " %1 "))
end

--- Text with every RFC 3339 instant in it (deckhand's messages say when a
--- limit resets in UTC) put in the user's local time.
function M.local_times(text)
  if type(text) ~= "string" then
    return text
  end
  return (text:gsub("%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[%.%d]*Z", function(at)
    return M.local_time(at)
  end):gsub("%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[%.%d]*[+-]%d%d:%d%d", function(at)
    return M.local_time(at)
  end))
end

--- "14:59" for the time left until an RFC 3339 UTC instant, nil when unknown.
function M.countdown(expires_at, now)
  if type(expires_at) ~= "string" then
    return nil
  end
  local y, mo, d, h, mi, s = expires_at:match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
  if not y then
    return nil
  end
  -- os.time reads a table as local time; shift by the local UTC offset.
  local t = os.time({ year = y, month = mo, day = d, hour = h, min = mi, sec = s })
  local offset = os.time(os.date("*t", t)) - os.time(os.date("!*t", t))
  local left = t + offset - (now or os.time())
  local sign, zh, zm = expires_at:match("([+-])(%d%d):(%d%d)$")
  if sign then
    left = left - (tonumber(zh) * 3600 + tonumber(zm) * 60) * (sign == "+" and 1 or -1)
  end
  if left < 0 then
    left = 0
  end
  return ("%d:%02d"):format(math.floor(left / 60), left % 60)
end

return M
