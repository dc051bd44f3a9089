--- deckhand.mcp owns :DeckhandMcp (protocol 1.2, §18): a float listing the
--- MCP servers deckhand has (mcp/list) with their source, transport, state,
--- error and tools, kept up to date by mcp/status while it is open.
local ui = require("deckhand.ui")

local M = {}

local view = { float = nil, servers = {}, session = nil, subscribed = false }

local ICON = { ready = "●", starting = "◌", failed = "✗", stopped = "○" }

--- The float's lines for a list of servers.
function M.lines(servers, session)
  local lines = {}
  if #servers == 0 then
    lines[1] = "No MCP servers: add them to DECKHAND_HOME/config.json or the workspace's .mcp.json."
  end
  for _, s in ipairs(servers) do
    local tools = type(s.tools) == "table" and s.tools or {}
    lines[#lines + 1] = ("%s %s · %s · %s · %s · %d tool%s"):format(
      ICON[s.status] or "?",
      s.name or "?",
      s.status or "?",
      s.transport or "?",
      s.source or "?",
      #tools,
      #tools == 1 and "" or "s"
    )
    if type(s.error) == "string" and s.error ~= "" then
      lines[#lines + 1] = "    error: " .. s.error:gsub("\n", " ")
    end
    for _, t in ipairs(tools) do
      lines[#lines + 1] = "    " .. t
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = (session and ("session " .. session .. " · ") or "no session started servers yet · ") .. "r refreshes · q closes"
  return lines
end

local function redraw()
  if view.float and view.float:is_open() then
    view.float:set_lines(M.lines(view.servers, view.session))
  end
end

local function subscribe()
  if view.subscribed then
    return
  end
  view.subscribed = true
  require("deckhand").on("mcp/status", function(p)
    if type(p) ~= "table" or not p.name then
      return
    end
    -- Only the session shown (or, with none shown, the first to start).
    if view.session and p.sessionId and p.sessionId ~= view.session then
      return
    end
    view.session = view.session or p.sessionId
    local entry = { name = p.name, source = p.source, transport = p.transport, status = p.status, error = p.error, tools = p.tools }
    local found = false
    for i, s in ipairs(view.servers) do
      if s.name == p.name then
        view.servers[i] = entry
        found = true
      end
    end
    if not found then
      table.insert(view.servers, entry)
    end
    redraw()
  end)
end

--- Asks mcp/list for the chat's session (or deckhand's last) and shows it.
function M.refresh(cb)
  local dh = require("deckhand")
  local sid = require("deckhand.chat").session_id()
  dh.request("mcp/list", { sessionId = sid }, function(err, result)
    if err and sid then
      -- (A session this deckhand does not know, after a restart: its last.)
      dh.request("mcp/list", {}, function(err2, result2)
        if err2 then
          ui.error("deckhand: " .. err2.message)
          return cb and cb(nil)
        end
        view.servers, view.session = result2.servers or {}, nil
        redraw()
        return cb and cb(view.servers)
      end)
      return
    elseif err then
      ui.error("deckhand: " .. err.message)
      return cb and cb(nil)
    end
    view.servers, view.session = result.servers or {}, sid
    redraw()
    if cb then
      cb(view.servers)
    end
  end)
end

--- :DeckhandMcp: opens the float (focused; q closes it, r refreshes).
function M.show()
  local dh = require("deckhand")
  dh.ensure(function(e)
    if e then
      ui.error(e.message)
      return
    end
    if not dh.has("mcp") then
      ui.warn("deckhand: this deckhand cannot use MCP servers; update it.")
      return
    end
    subscribe()
    if not (view.float and view.float:is_open()) then
      local function close()
        view.float:close()
      end
      view.float = ui.open_float(M.lines(view.servers, view.session), {
        title = "deckhand MCP servers",
        keys = { q = close, ["<Esc>"] = close, r = function() M.refresh() end },
      })
    end
    M.refresh()
  end)
end

--- What the float holds (for tests and statuslines).
function M.servers()
  return view.servers
end

return M
