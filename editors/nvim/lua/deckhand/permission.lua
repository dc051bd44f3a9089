--- deckhand.permission owns the answers to deckhand's permission/request. Each
--- request opens a review float (one at a time, oldest first) showing what
--- would happen: the unified diff of an edit or write (the server's preview,
--- or one computed from the arguments when the server sends none), the whole
--- bash command with its length when long. The float never takes the focus:
--- whatever the user is typing stays where it was meant. It is answered only
--- by keys pressed in the float after the user went there (:DeckhandReview or
--- g4 in the chat), where a allows, A allows always, d denies (asks for an
--- optional reason), or by the chat's own keys g1 (allow), g2 (allow always),
--- g3 (deny). A request deckhand withdrew ($/cancelRequest, a cancelled turn)
--- is dropped.
local ui = require("deckhand.ui")

local M = {}

M.CHOICES = { "Allow", "Allow always", "Deny" }
local DECISION = { Allow = "allow", ["Allow always"] = "allowAlways", Deny = "deny" }
local SHOWN = { allow = "allowed", allowAlways = "always allowed", deny = "denied" }

-- Requests waiting for the user, oldest first; the first one is on screen.
local queue = {}
local view -- the open review float

local show

local function chat()
  return require("deckhand.chat")
end

local function close_view()
  if view then
    view:close()
    view = nil
  end
end

local function answer(entry, decision, reason)
  if entry.done then
    return
  end
  entry.done = true
  local result = { decision = decision }
  if decision == "deny" and reason and vim.trim(reason) ~= "" then
    result.reason = vim.trim(reason)
  end
  close_view()
  for i, e in ipairs(queue) do
    if e == entry then
      table.remove(queue, i)
      break
    end
  end
  entry.respond(result)
  chat().decided(entry.params.callId, SHOWN[decision] .. (result.reason and (": " .. result.reason) or ""))
  if queue[1] then
    vim.schedule(show)
  end
end

local function workspace_file(path)
  if not path then
    return nil
  end
  local abs = require("deckhand.buffers").absolute(path)
  local f = abs and io.open(abs, "rb")
  if not f then
    return nil
  end
  local text = f:read("*a")
  f:close()
  return text
end

--- A unified diff of an edit or write computed from its arguments against
--- the file on disk, for servers that send no preview.
function M.local_diff(tool, args)
  args = type(args) == "table" and args or {}
  local old = workspace_file(args.path)
  local new
  if tool == "write" then
    new = tostring(args.content or "")
    old = old or ""
  elseif tool == "edit" then
    if not old or type(args.oldString) ~= "string" or args.oldString == "" then
      return nil
    end
    local s, e = old:find(args.oldString, 1, true)
    if not s then
      return nil
    end
    local repl = tostring(args.newString or "")
    if args.replaceAll then
      local parts, at = {}, 1
      while true do
        local a, b = old:find(args.oldString, at, true)
        if not a then
          break
        end
        parts[#parts + 1] = old:sub(at, a - 1) .. repl
        at = b + 1
      end
      parts[#parts + 1] = old:sub(at)
      new = table.concat(parts)
    else
      new = old:sub(1, s - 1) .. repl .. old:sub(e + 1)
    end
  else
    return nil
  end
  local body = vim.diff(old, new, { result_type = "unified", ctxlen = 3 })
  if type(body) ~= "string" then
    return nil
  end
  return ("--- a/%s\n+++ b/%s\n%s"):format(args.path, args.path, body)
end

--- What the review float shows: {title, lines, filetype, footer}.
function M.render(p)
  local args = type(p.arguments) == "table" and p.arguments or {}
  local preview = type(p.preview) == "table" and p.preview or {}
  local tool = p.tool or "a tool"
  local lines, title
  local filetype = "diff"
  if tool == "apply_patch" and type(preview.files) == "table" then
    return M.render_patch(p, preview.files)
  end
  if tool == "bash" or tool == "exec_command" then
    local cmd = preview.command or args.command or args.cmd or ""
    local n = vim.fn.strchars(cmd)
    local count = select(2, cmd:gsub("\n", "")) + 1
    title = ("deckhand wants to run %s (%s)"):format(tool == "bash" and "bash" or "a command", n > 200 and ("%s characters, %d line%s"):format(M.thousands(n), count, count == 1 and "" or "s") or ("in " .. (preview.cwd or "the workspace")))
    lines = vim.split(cmd, "\n", { plain = true })
    filetype = "sh"
    if n > 200 then
      table.insert(lines, 1, ("# %s characters: read it all (j/k, <C-d>/<C-u> scroll) before allowing."):format(M.thousands(n)))
    end
    -- Where it runs and why: said above the command, as shell comments.
    local head = {}
    if preview.cwd and n > 200 then
      head[#head + 1] = "# in " .. preview.cwd
    end
    if preview.sandboxed == true then
      head[#head + 1] = "# runs sandboxed (writes only the workspace and temp folders, no network)"
    elseif preview.sandboxed == false then
      head[#head + 1] = "# runs OUTSIDE the sandbox (full access to your files and the network)"
    end
    if type(preview.justification) == "string" and preview.justification ~= "" then
      for i, l in ipairs(vim.split(preview.justification, "\n", { plain = true })) do
        head[#head + 1] = (i == 1 and "# why: " or "#      ") .. l
      end
    end
    for i = #head, 1, -1 do
      table.insert(lines, 1, head[i])
    end
  elseif tool == "edit" or tool == "write" then
    local path = preview.path or args.path or "?"
    title = ("deckhand wants to %s %s"):format(tool, path)
    local diff = preview.diff or M.local_diff(tool, args)
    if diff and diff ~= "" then
      lines = vim.split(diff:gsub("\n$", ""), "\n", { plain = true })
      local added, removed = 0, 0
      for _, l in ipairs(lines) do
        if l:sub(1, 1) == "+" and l:sub(1, 3) ~= "+++" then
          added = added + 1
        elseif l:sub(1, 1) == "-" and l:sub(1, 3) ~= "---" then
          removed = removed + 1
        end
      end
      title = ("%s (+%d −%d)"):format(title, added, removed)
    else
      lines = { p.description or (tool .. " " .. path), "", "(no preview of this change is available)" }
      filetype = "markdown"
    end
  else
    title = ("deckhand wants to run %s"):format(tool)
    lines = vim.split(p.description or vim.json.encode(args), "\n", { plain = true })
    filetype = "markdown"
  end
  if p.description and p.description ~= "" and tool ~= "bash" and filetype == "diff" then
    table.insert(lines, 1, "# " .. p.description)
  end
  return { title = title, lines = lines, filetype = filetype, footer = M.FOOTER_FOCUSED }
end

local ACTION = { add = "add", update = "update", delete = "delete", move = "move" }

--- The review of an apply_patch: every file of the patch, in its order, each
--- under a line with its action and path, then its diff.
function M.render_patch(p, files)
  local lines, added, removed = {}, 0, 0
  if p.description and p.description ~= "" then
    lines[#lines + 1] = "# " .. p.description
  end
  for i, f in ipairs(files) do
    if i > 1 or #lines > 0 then
      lines[#lines + 1] = ""
    end
    local head = ("# %d/%d %s %s"):format(i, #files, ACTION[f.action] or tostring(f.action or "change"), tostring(f.path or "?"))
    if f.movePath and f.movePath ~= "" then
      head = head .. " → " .. f.movePath
    end
    lines[#lines + 1] = head
    local diff = type(f.diff) == "string" and f.diff:gsub("\n$", "") or ""
    if diff == "" then
      lines[#lines + 1] = "(no change to the content)"
    else
      for _, l in ipairs(vim.split(diff, "\n", { plain = true })) do
        lines[#lines + 1] = l
        if l:sub(1, 1) == "+" and l:sub(1, 3) ~= "+++" then
          added = added + 1
        elseif l:sub(1, 1) == "-" and l:sub(1, 3) ~= "---" then
          removed = removed + 1
        end
      end
    end
  end
  local what = #files == 1 and ("%s %s"):format(ACTION[files[1].action] or "change", tostring(files[1].path or "?"))
    or ("change %d files"):format(#files)
  local title = ("deckhand wants to patch: %s (+%d −%d)"):format(what, added, removed)
  return { title = title, lines = lines, filetype = "diff", footer = M.FOOTER_FOCUSED }
end

-- The float's footer once the user is in it, and while they are elsewhere.
M.FOOTER_FOCUSED = " a allow · A allow always · d deny (with a reason) · q deny "
M.FOOTER_AWAY = " :DeckhandReview (g4 in the chat) to answer · g1 allow · g2 always · g3 deny "

function M.thousands(n)
  local s = tostring(n)
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  return (out:gsub("^,", ""))
end

local function open_view(entry)
  local r = M.render(entry.params)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.bo[buf].bufhidden = "wipe"
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, r.lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].filetype = r.filetype
  local width = math.max(40, vim.fn.strdisplaywidth(M.FOOTER_AWAY) + 2, vim.fn.strdisplaywidth(r.title) + 4)
  for _, l in ipairs(r.lines) do
    width = math.max(width, vim.fn.strdisplaywidth(l) + 1)
  end
  width = math.min(width, math.max(40, vim.o.columns - 6), 120)
  local rows = 0
  for _, l in ipairs(r.lines) do
    rows = rows + math.max(1, math.ceil(vim.fn.strdisplaywidth(l) / width))
  end
  local height = math.max(3, math.min(rows, vim.o.lines - 8))
  -- Not entered and not focusable: neither the keys the user is typing nor
  -- a window command that cycles through windows can land in it. M.review()
  -- makes it focusable and enters it, on the user's request.
  local win = vim.api.nvim_open_win(buf, false, {
    relative = "editor",
    row = math.max(0, math.floor((vim.o.lines - height) / 2) - 2),
    col = math.max(0, math.floor((vim.o.columns - width) / 2)),
    width = width,
    height = height,
    border = "rounded",
    title = " " .. r.title .. " ",
    title_pos = "center",
    footer = M.FOOTER_AWAY,
    footer_pos = "center",
    focusable = false,
    zindex = 60,
  })
  vim.wo[win].wrap = true
  vim.wo[win].linebreak = false
  vim.wo[win].cursorline = true
  vim.wo[win].number = false
  vim.wo[win].foldenable = false
  local v = { buf = buf, win = win, entry = entry, entered = false }
  function v:close()
    if vim.api.nvim_win_is_valid(self.win) then
      pcall(vim.api.nvim_win_close, self.win, true)
    end
  end
  --- Moves the user into the float: the only way its keys start to count.
  function v:enter()
    if not vim.api.nvim_win_is_valid(self.win) then
      return false
    end
    vim.api.nvim_win_set_config(self.win, { focusable = true, footer = M.FOOTER_FOCUSED, footer_pos = "center" })
    if vim.fn.mode() ~= "n" then
      vim.cmd("stopinsert")
    end
    self.entered = true
    vim.api.nvim_set_current_win(self.win)
    return true
  end
  vim.api.nvim_create_autocmd("WinLeave", {
    buffer = buf,
    callback = function()
      -- Left without answering: the request waits, and the float goes back
      -- to being out of the way until the user asks for it again.
      v.entered = false
      vim.schedule(function()
        if vim.api.nvim_win_is_valid(win) and vim.api.nvim_get_current_win() ~= win then
          pcall(vim.api.nvim_win_set_config, win, { focusable = false, footer = M.FOOTER_AWAY, footer_pos = "center" })
        end
      end)
    end,
  })
  -- A key counts only when the user is in the float because they went there.
  local function map(lhs, fn)
    vim.keymap.set("n", lhs, function()
      if not v.entered or vim.api.nvim_get_current_win() ~= v.win then
        return
      end
      fn()
    end, { buffer = buf, nowait = true, silent = true })
  end
  map("a", function()
    answer(entry, "allow")
  end)
  map("A", function()
    answer(entry, "allowAlways")
  end)
  map("d", function()
    M.deny_with_reason(entry)
  end)
  for _, lhs in ipairs({ "q", "<Esc>" }) do
    map(lhs, function()
      answer(entry, "deny")
    end)
  end
  -- Leaving the float without answering keeps the request; :DeckhandReview
  -- brings the user back.
  return v
end

--- Asks for an optional reason, then denies (a dismissed prompt keeps the
--- request waiting).
function M.deny_with_reason(entry)
  ui.input({ prompt = "Reason for deckhand (optional): " }, function(reason)
    if reason == nil then
      return
    end
    answer(entry, "deny", reason)
  end)
end

local function show_select(entry)
  local p = entry.params
  local r = M.render(p)
  ui.select(M.CHOICES, {
    prompt = r.title .. ": " .. (p.description or ""),
    kind = "deckhand.permission",
  }, function(choice)
    -- A dismissed picker keeps the request waiting.
    if choice and queue[1] == entry then
      answer(entry, DECISION[choice] or "deny")
    end
  end)
end

function show()
  local entry = queue[1]
  if not entry or entry.done then
    return
  end
  chat().asking(entry.params.callId, true)
  if require("deckhand").config().review == "select" then
    -- A picker takes the keys as it opens: it waits for :DeckhandReview.
    return
  end
  close_view()
  view = open_view(entry)
end

--- Takes the user to the waiting request: into its float (which only then
--- answers keys), or the vim.ui.select picker when review = "select".
function M.review()
  local entry = queue[1]
  if not entry then
    ui.info("deckhand: no permission request is waiting.")
    return
  end
  if require("deckhand").config().review == "select" then
    show_select(entry)
    return
  end
  if not (view and view.entry == entry and vim.api.nvim_win_is_valid(view.win)) then
    show()
  end
  view:enter()
end

--- Answers the waiting request from the chat's keys (g1 allow, g2 allow
--- always, g3 deny with an optional reason).
function M.answer_waiting(decision)
  local entry = queue[1]
  if not entry then
    ui.info("deckhand: no permission request is waiting.")
    return
  end
  if decision == "deny" then
    M.deny_with_reason(entry)
  else
    answer(entry, decision)
  end
end

--- Queues a permission request; respond({decision, reason?}) is called once.
function M.ask(params, respond, id)
  local entry = { params = params, respond = respond, id = id or params.callId }
  table.insert(queue, entry)
  chat().notify_hidden(("deckhand asks to run %s: %s (:DeckhandReview to answer)"):format(params.tool or "a tool", params.description or ""), vim.log.levels.WARN)
  if #queue == 1 then
    -- Shown from the main loop's next turn, so the frame reader is never held.
    vim.schedule(show)
  end
end

--- deckhand no longer waits for this request (its turn was cancelled). The
--- request is found by its JSON-RPC id, else by callId.
function M.withdraw(id)
  for i, entry in ipairs(queue) do
    if (entry.id == id or entry.params.callId == id) and not entry.done then
      entry.done = true
      table.remove(queue, i)
      if i == 1 then
        close_view()
      end
      chat().decided(entry.params.callId, "withdrawn")
      if i == 1 and queue[1] then
        vim.schedule(show)
      end
      return true
    end
  end
  return false
end

--- A turn ended: the requests of its session nobody answered are dropped
--- (vim.lsp.rpc does not hand the request's id to the handler, so a
--- $/cancelRequest is matched by the turn's end instead).
function M.drop_session(session_id)
  local keep = {}
  for i, entry in ipairs(queue) do
    if session_id == nil or entry.params.sessionId == session_id then
      entry.done = true
      if i == 1 then
        close_view()
      end
      chat().decided(entry.params.callId, "withdrawn")
    else
      keep[#keep + 1] = entry
    end
  end
  local head = queue[1]
  queue = keep
  if queue[1] and queue[1] ~= head then
    vim.schedule(show)
  end
end

--- How many requests are waiting for an answer.
function M.pending()
  return #queue
end

--- The review float's window, or nil.
function M.view_win()
  return view and vim.api.nvim_win_is_valid(view.win) and view.win or nil
end

return M
