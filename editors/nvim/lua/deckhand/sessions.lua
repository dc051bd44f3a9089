--- deckhand.sessions owns the protocol 1.1 session commands as the user sees
--- them: :DeckhandSessions (a vim.ui.select of sessions/list, so any picker
--- plugin shows it; the chosen one is loaded and continued) and :DeckhandUndo
--- (undo of the last turn's file changes, then the buffers are reloaded).
local ui = require("deckhand.ui")

local M = {}

local function needs(capability, what)
  local dh = require("deckhand")
  if dh.server_info() and not dh.has(capability) then
    ui.warn(("deckhand: this deckhand does not offer %s; update it."):format(what))
    return false
  end
  return true
end

--- "3 h ago" for an RFC 3339 time.
function M.ago(at, now)
  if type(at) ~= "string" then
    return ""
  end
  local y, mo, d, h, mi, s = at:match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
  if not y then
    return at
  end
  local t = os.time({ year = y, month = mo, day = d, hour = h, min = mi, sec = s })
  local offset = os.time(os.date("*t", t)) - os.time(os.date("!*t", t))
  local secs = (now or os.time()) - (t + offset)
  local sign, zh, zm = at:match("([+-])(%d%d):(%d%d)$")
  if sign then
    secs = secs + (tonumber(zh) * 3600 + tonumber(zm) * 60) * (sign == "+" and 1 or -1)
  end
  if secs < 60 then
    return "just now"
  elseif secs < 3600 then
    return ("%d min ago"):format(math.floor(secs / 60))
  elseif secs < 86400 then
    return ("%d h ago"):format(math.floor(secs / 3600))
  end
  return ("%d days ago"):format(math.floor(secs / 86400))
end

function M.label(s)
  if s.broken then
    return ("(unreadable) %s: %s"):format(s.sessionId or "?", s.error or "")
  end
  local title = (s.title and s.title ~= "") and s.title or "(untitled)"
  return ("%s · %d turn%s · %s%s"):format(
    title,
    s.turns or 0,
    s.turns == 1 and "" or "s",
    M.ago(s.updatedAt or s.createdAt),
    s.model and (" · " .. s.model) or ""
  )
end

--- Loads a session by id and shows it in the chat.
function M.open(session_id, cb)
  local dh = require("deckhand")
  dh.request("sessions/load", { sessionId = session_id }, function(err, s)
    if err then
      ui.error("deckhand: " .. err.message)
      return cb and cb(false)
    end
    require("deckhand.chat").load_session(s)
    if cb then
      cb(true)
    end
  end)
end

--- Lists this workspace's sessions in vim.ui.select; the chosen one reopens.
function M.pick(cb)
  local dh = require("deckhand")
  dh.ensure(function(e)
    if e then
      ui.error(e.message)
      return
    end
    if not needs("sessions", "saved sessions") then
      return
    end
    dh.request("sessions/list", {}, function(err, result)
      if err then
        dh.handle_error(err)
        return
      end
      local list = vim.tbl_filter(function(s)
        return not s.broken
      end, result.sessions or {})
      if #list == 0 then
        ui.info("deckhand: no saved sessions in this workspace yet.")
        return
      end
      ui.select(list, {
        prompt = "deckhand sessions",
        kind = "deckhand.session",
        format_item = M.label,
      }, function(choice)
        if choice then
          M.open(choice.sessionId, cb)
        end
      end)
    end)
  end)
end

--- Undoes the file changes of the chat session's last turn that made some.
function M.undo(cb)
  local dh = require("deckhand")
  local chat = require("deckhand.chat")
  local sid = chat.session_id()
  if not sid then
    ui.warn("deckhand: there is no session to undo in.")
    return
  end
  if not needs("undo", "undo") then
    return
  end
  dh.request("undo", { sessionId = sid }, function(err, result)
    if err then
      ui.error("deckhand: " .. err.message)
      return cb and cb(nil)
    end
    local restored = result.restored or {}
    require("deckhand.buffers").sync(restored)
    local parts = { ("undid the turn's changes: restored %d file%s"):format(#restored, #restored == 1 and "" or "s") }
    if #restored > 0 then
      parts[1] = parts[1] .. " (" .. table.concat(restored, ", ") .. ")"
    end
    for _, s in ipairs(result.skipped or {}) do
      parts[#parts + 1] = ("skipped %s: %s"):format(s.path or "?", s.reason or "")
    end
    local text = table.concat(parts, "; ")
    if #restored > 0 then
      chat.undone()
    end
    chat.add_note("↶ " .. text)
    ui.info("deckhand: " .. text)
    if cb then
      cb(result)
    end
  end)
end

return M
