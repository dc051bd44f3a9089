--- deckhand.policy owns the approval policy as the user sees it (protocol
--- 1.2, §17): a picker (:DeckhandPolicy, gp in the chat) whose choice goes
--- with every later chat turn as `approvalPolicy`, and its name in the chat's
--- window bar, with a word when the machine has no sandbox.
local ui = require("deckhand.ui")

local M = {}

--- The policies, in the picker's order, with what each means for commands.
M.POLICIES = {
  { id = "on-request", label = "on-request: commands run in the sandbox; asks only to leave it" },
  { id = "untrusted", label = "untrusted: asks before any command but read-only ones" },
  { id = "never", label = "never: never asks; what would need asking is refused" },
}

--- The policy the next turn goes with: the one picked (or set up), else
--- deckhand's default (nil).
function M.current()
  return require("deckhand").config().approval_policy
end

--- The sandbox deckhand reported in initialize ({kind, networkClosed,
--- reason}), or nil before it started.
function M.sandbox()
  local info = require("deckhand").server_info()
  local caps = info and info.capabilities
  return type(caps) == "table" and type(caps.sandbox) == "table" and caps.sandbox or nil
end

--- The bar's part: "policy on-request", "never" when narrow; "no sandbox"
--- when commands cannot be sandboxed here (then every command asks).
function M.bar_part()
  local dh = require("deckhand")
  if not dh.server_info() then
    return nil
  end
  local name = M.current() or "on-request"
  local sb = M.sandbox()
  local suffix = (sb and sb.kind == "none") and " (no sandbox)" or ""
  return {
    "policy " .. name .. suffix,
    name .. ((sb and sb.kind == "none") and ", no sandbox" or ""),
    name,
    name = "policy",
    hl = name == "never" and "DeckhandFooterWarn" or nil,
  }
end

--- Opens the picker; the choice holds for the next turns of every session.
function M.pick(cb)
  local current = M.current() or "on-request"
  ui.select(M.POLICIES, {
    prompt = "deckhand approval policy",
    format_item = function(p)
      return p.label .. (p.id == current and " *" or "")
    end,
  }, function(choice)
    if not choice then
      return cb and cb(nil)
    end
    require("deckhand").config().approval_policy = choice.id
    pcall(vim.cmd, "redrawstatus!")
    ui.info("deckhand: approval policy " .. choice.id .. " for the next turns.")
    if cb then
      cb(choice.id)
    end
  end)
end

return M
