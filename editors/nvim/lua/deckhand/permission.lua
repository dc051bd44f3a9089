--- deckhand.permission owns the answers to deckhand's permission/request: it
--- shows each request (tool and description) as an Allow / Allow always / Deny
--- picker, one at a time, answers deckhand as soon as the user chooses, and
--- drops a request deckhand withdrew ($/cancelRequest).
local ui = require("deckhand.ui")

local M = {}

M.CHOICES = { "Allow", "Allow always", "Deny" }
local DECISION = { Allow = "allow", ["Allow always"] = "allowAlways", Deny = "deny" }

-- Requests waiting for the user, oldest first; the first one is on screen.
local queue = {}

local function note(text)
  require("deckhand.chat").note(text)
end

local show

local function answer(entry, choice)
  if entry.done then
    return
  end
  entry.done = true
  local decision = DECISION[choice] or "deny"
  entry.respond({ decision = decision })
  note(("[permission] %s: %s"):format(entry.params.tool or "?", decision))
  table.remove(queue, 1)
  if queue[1] then
    vim.schedule(show)
  end
end

function show()
  local entry = queue[1]
  if not entry then
    return
  end
  local p = entry.params
  ui.select(M.CHOICES, {
    prompt = ("deckhand wants to run %s: %s"):format(p.tool or "a tool", p.description or ""),
    kind = "deckhand.permission",
  }, function(choice)
    if queue[1] == entry then
      answer(entry, choice)
    end
  end)
end

--- Queues a permission request; respond({decision}) is called once.
function M.ask(params, respond, id)
  local entry = { params = params, respond = respond, id = id }
  table.insert(queue, entry)
  note(("[permission?] %s: %s"):format(params.tool or "?", params.description or ""))
  if #queue == 1 then
    -- Shown from the main loop's next turn, so the frame reader is never held.
    vim.schedule(show)
  end
end

--- deckhand no longer waits for request id (its turn was cancelled).
function M.withdraw(id)
  for i, entry in ipairs(queue) do
    if entry.id == id and not entry.done then
      entry.done = true
      table.remove(queue, i)
      note(("[permission] %s: withdrawn"):format(entry.params.tool or "?"))
      if i == 1 and queue[1] then
        vim.schedule(show)
      end
      return
    end
  end
end

--- How many requests are waiting for an answer.
function M.pending()
  return #queue
end

return M
