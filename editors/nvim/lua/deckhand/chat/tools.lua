--- Tool cards: the one line a tool call gets, its folded output, and the
--- live output of a running command.
local core = require("deckhand.chat.core")
local M, P, state = core.M, core.P, core.state
local ns, ns_tool, ns_fold, ns_live = M.ns.text, M.ns.tool, M.ns.fold, M.ns.live

function M.short_args(args)
  if type(args) ~= "table" then
    return ""
  end
  local keys = vim.tbl_keys(args)
  table.sort(keys, function(a, b)
    local first = { path = 1, command = 1, pattern = 1 }
    if (first[a] or 2) ~= (first[b] or 2) then
      return (first[a] or 2) < (first[b] or 2)
    end
    return a < b
  end)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = args[k]
    v = type(v) == "string" and v or vim.json.encode(v)
    v = v:gsub("\n", "\\n")
    if #v > 40 then
      v = v:sub(1, 37) .. "..."
    end
    parts[#parts + 1] = k .. "=" .. v
  end
  return table.concat(parts, " ")
end

function M.tool_summary(name, args)
  args = type(args) == "table" and args or {}
  if name == "exec" and type(args.input) == "string" then
    -- A code-mode script: its first line and its length.
    local n = P.count_lines(args.input)
    return P.one_line(args.input, 60) .. (n > 1 and (" (%d lines)"):format(n) or "")
  end
  if name == "apply_patch" and type(args.input) == "string" then
    local files = {}
    for verb, path in args.input:gmatch("%*%*%* (%a+) File: ([^\n]+)") do
      files[#files + 1] = ({ Add = "+", Delete = "-", Update = "" })[verb] .. vim.trim(path)
    end
    return #files > 0 and P.one_line(table.concat(files, " "), 60) or "(empty patch)"
  end
  if name == "bash" or name == "exec_command" then
    local cmd = tostring((name == "bash" and args.command) or args.cmd or "")
    local lines = P.count_lines(cmd)
    local s = P.one_line(cmd, 60)
    if lines > 1 or vim.fn.strchars(cmd) > 60 then
      s = s .. (" (%d chars)"):format(vim.fn.strchars(cmd))
    end
    return s
  elseif name == "read" or name == "write" or name == "edit" or name == "list" then
    local s = tostring(args.path or ".")
    if name == "read" and args.offset then
      s = s .. (":%d"):format(args.offset)
    end
    if name == "write" and args.content then
      s = s .. (" (%d lines)"):format(P.count_lines(args.content))
    end
    return s
  elseif name == "glob" or name == "grep" then
    local s = tostring(args.pattern or "")
    if args.path then
      s = s .. " in " .. args.path
    end
    return s
  end
  return M.short_args(args)
end

--- The result half of a tool line: "12 lines", "denied", the error.
function M.result_summary(item)
  local r = item.result
  if not r then
    return item.asking and "waiting for your answer: g1 allow · g2 always · g3 deny · g4 review" or nil
  end
  if r.exit and r.exit ~= 0 then
    local n = P.count_lines(r.output)
    return ("exit %d · %s"):format(r.exit, n <= 2 and P.one_line(r.output, 60) or (n .. " lines"))
  end
  if not r.ok then
    return P.one_line(r.error or r.output or "failed", 80)
  end
  if item.name == "edit" or item.name == "write" then
    return P.one_line(r.output, 60)
  end
  local n = P.count_lines(r.output)
  if n == 0 then
    return "no output"
  end
  return n == 1 and P.one_line(r.output, 60) or (n .. " lines")
end

local function tool_text(item)
  local icon = M.ICONS.pending
  if item.result then
    icon = item.result.ok and M.ICONS.ok or M.ICONS.failed
  elseif item.asking then
    icon = M.ICONS.ask
  end
  -- A call a code-mode script made goes under its exec call (parentCallId).
  local indent = item.parent and "  ↳ " or ""
  local s = ("%s%s %s %s"):format(indent, icon, item.name, M.tool_summary(item.name, item.arguments))
  local r = M.result_summary(item)
  if r then
    s = s .. " — " .. r
  end
  if item.result and item.result.sandboxed then
    -- The command ran inside the sandbox (no network, writes only the
    -- workspace and temp folders), as the result says (protocol §17).
    s = s .. " · ran sandboxed"
  end
  if item.decision and not (r and item.result and not item.result.ok and r:lower():find((item.decision:match(": (.*)$") or "denied"):lower(), 1, true)) then
    -- Said unless the result already says it (a denial with its reason).
    -- (Parentheses: markdown would conceal a [shortcut link].)
    s = s .. " (" .. item.decision .. ")"
  end
  return s, #indent + #icon + 1 + #item.name
end

local function fence_for(text)
  local longest = 2
  for run in tostring(text):gmatch("`+") do
    longest = math.max(longest, #run)
  end
  return string.rep("`", longest + 1)
end

--- Draws a tool item's line at its row (or a new one at the end) and its
--- output, folded, under it.
local function draw_tool(buf, item)
  local row
  local mark = item.mark and vim.api.nvim_buf_get_extmark_by_id(buf, ns_tool, item.mark, {})
  local text, head = tool_text(item)
  if mark and mark[1] then
    row = mark[1]
    P.edit(buf, function()
      vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { text })
    end)
  else
    if state.mode == "tool" then
      P.open_line(buf)
    else
      P.open_block(buf)
    end
    P.put(buf, text)
    row = P.line_count(buf) - 1
    state.mode = "tool"
  end
  -- Right gravity: lines inserted at this row (the output of a call above)
  -- push the line down with its mark.
  item.mark = vim.api.nvim_buf_set_extmark(buf, ns_tool, row, 0, { id = item.mark })
  vim.api.nvim_buf_clear_namespace(buf, ns, row, row + 1)
  local group = "DeckhandToolPending"
  if item.result then
    group = item.result.ok and "DeckhandToolOk" or "DeckhandToolFailed"
  elseif item.asking then
    group = "DeckhandToolAsk"
  end
  vim.api.nvim_buf_set_extmark(buf, ns, row, 0, { end_col = #text, hl_group = "DeckhandTool" })
  vim.api.nvim_buf_set_extmark(buf, ns, row, 0, { end_col = head, hl_group = group })
  if item.result and not item.result.ok then
    vim.api.nvim_buf_set_extmark(buf, ns, row, 0, { end_col = #text, hl_group = "DeckhandToolFailed" })
  end
  local output = item.result and (item.result.ok and item.result.output or item.result.output) or nil
  if output and vim.trim(output) ~= "" and not item.output_drawn then
    item.output_drawn = true
    local lines = vim.split(output:gsub("\n$", ""), "\n", { plain = true })
    if #lines > M.OUTPUT_LINES then
      local more = #lines - M.OUTPUT_LINES
      lines = vim.list_slice(lines, 1, M.OUTPUT_LINES)
      lines[#lines + 1] = ("… %d more lines"):format(more)
    end
    local fence = fence_for(output)
    local block = { fence .. "text" }
    vim.list_extend(block, lines)
    block[#block + 1] = fence
    local at_end = row == P.line_count(buf) - 1
    P.pending_fold = { buf = buf, first = row + 1, last = row + #block }
    P.edit(buf, function()
      vim.api.nvim_buf_set_lines(buf, row + 1, row + 1, false, block)
    end)
    local fold = vim.api.nvim_buf_set_extmark(buf, ns_fold, row + 1, 0, { end_row = row + #block, end_col = 0 })
    state.new_folds = state.new_folds or {}
    table.insert(state.new_folds, fold)
    P.pending_fold = nil
    if at_end then
      state.mode = "tool"
    end
  end
end

--- How many of a running command's last output lines show under its line.
M.LIVE_LINES = 8

--- Draws (or clears, once the call has its result) the output a running
--- command has streamed so far, under its tool line.
local function draw_live(buf, item)
  if item.live_mark then
    pcall(vim.api.nvim_buf_del_extmark, buf, ns_live, item.live_mark)
    item.live_mark = nil
  end
  local had = item.live_virt
  item.live_virt = nil
  if item.result or not item.live or item.live == "" or not item.mark then
    if had then
      M.draw_status()
    end
    return
  end
  local pos = vim.api.nvim_buf_get_extmark_by_id(buf, ns_tool, item.mark, {})
  if not pos or not pos[1] then
    return
  end
  local lines = vim.split(item.live:gsub("\n$", ""), "\n", { plain = true })
  local virt = {}
  if #lines > M.LIVE_LINES then
    virt[#virt + 1] = { { ("  │ … %d lines above"):format(#lines - M.LIVE_LINES), "DeckhandFooter" } }
    lines = vim.list_slice(lines, #lines - M.LIVE_LINES + 1, #lines)
  end
  for _, l in ipairs(lines) do
    virt[#virt + 1] = { { "  │ " .. l:gsub("\r", ""), "DeckhandReasoning" } }
  end
  if pos[1] == P.line_count(buf) - 1 then
    -- On the last line: drawn with the status line, above it.
    item.live_virt = virt
    M.draw_status()
    return
  end
  item.live_mark = vim.api.nvim_buf_set_extmark(buf, ns_live, pos[1], 0, { virt_lines = virt })
end

P.tool_text = tool_text
P.fence_for = fence_for
P.draw_tool = draw_tool
P.draw_live = draw_live
