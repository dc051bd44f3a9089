-- What a ChatGPT login's models do with their own tools, against the real
-- deckhand and the fake OpenAI: an apply_patch review that lists every file,
-- a command's output streamed into its tool line while it runs, the
-- exec_command review (sandboxed or not, and why), and the plan limits.
local H = require("helpers")
local eq = MiniTest.expect.equality
local has = H.has

local child = MiniTest.new_child_neovim()
local _, dirs -- the fake stops with the case (case_set)

local T = H.case_set(child)

local function wait_float()
  return H.wait_for(child, "#T.floats() > 0 and T.floats()[1].title:find('deckhand wants', 1, true) and T.floats()[1]", "the review float")
end

local function wait_turns(n)
  H.wait_for(child, ("#T.virt_lines() == %d and not require('deckhand.chat').is_busy()"):format(n), n .. " finished turns")
end

local PATCH = table.concat({
  "*** Begin Patch",
  "*** Add File: docs/new.txt",
  "+brand new",
  "*** Update File: hello.txt",
  "@@",
  "-hello world",
  "+hello patch",
  "*** Delete File: old.txt",
  "*** End Patch",
}, "\n")

T["apply_patch: the float lists every file with its action and diff; g1 from the chat allows it"] = function()
  _, dirs = H.start_chatgpt(child, {
    { calls = { { id = "p1", name = "apply_patch", input = PATCH } } },
    { text = "Patched." },
  }, { ["hello.txt"] = "hello world\n", ["old.txt"] = "old\n" })
  child.cmd("DeckhandChat patch three files")
  local f = wait_float()
  has(f.title, "deckhand wants to patch: change 3 files")
  has(f.text, "# 1/3 add docs/new.txt")
  has(f.text, "+brand new")
  has(f.text, "# 2/3 update hello.txt")
  has(f.text, "-hello world")
  has(f.text, "+hello patch")
  has(f.text, "# 3/3 delete old.txt")
  eq(child.lua_get("vim.bo[...].filetype", { f.buf }), "diff")
  -- Never focused on its own.
  MiniTest.expect.no_equality(child.lua_get("vim.api.nvim_get_current_win()"), f.win)
  H.wait_screen(child, { "# 1/3 add docs/new.txt", ":DeckhandReview (g4 in the chat) to answer" })
  child.lua("require('deckhand.chat').open({ focus = 'chat' })")
  child.type_keys("<Esc>", "g1")
  wait_turns(1)
  eq(H.read_file(dirs.ws .. "/docs/new.txt"), "brand new\n")
  eq(H.read_file(dirs.ws .. "/hello.txt"), "hello patch\n")
  eq(H.read_file(dirs.ws .. "/old.txt"), nil)
  -- The tool line names the files (+ added, - deleted), not the raw patch.
  has(child.lua_get("T.chat_text()"), "✓ apply_patch +docs/new.txt hello.txt -old.txt")
end

T["exec_command: the review says it runs outside the sandbox and why; its output streams into the chat"] = function()
  local cmd = "for i in 1 2 3; do echo tick-$i; sleep 0.4; done"
  _, dirs = H.start_chatgpt(child, {
    { calls = { { id = "x1", name = "exec_command", arguments = {
      cmd = cmd, sandbox_permissions = "require_escalated", justification = "needs to tick outside", yield_time_ms = 5000 } } } },
    { text = "Ticked." },
  })
  child.cmd("DeckhandChat tick")
  local f = wait_float()
  has(f.text, cmd)
  has(f.text, "# runs OUTSIDE the sandbox")
  has(f.text, "# why: needs to tick outside")
  child.cmd("DeckhandReview")
  child.type_keys("a")
  -- While the command runs, its first lines are under its tool line.
  local seen
  vim.wait(H.TIMEOUT, function()
    local screen = H.screen(child)
    if screen:find("tick-1", 1, true) then
      seen = { screen = screen, busy = child.lua_get("require('deckhand.chat').is_busy()") }
      return true
    end
  end, 20)
  assert(seen, "tick-1 never showed while the command ran:\n" .. H.screen(child))
  eq(seen.busy, true)
  MiniTest.expect.no_equality(seen.screen:find("tick-3", 1, true) and "tick-3 on screen" or nil, "tick-3 on screen")
  -- Under its tool line: on the last line, above the status line.
  local under = vim.list_extend(child.lua_get("T.virt_lines('live')"), child.lua_get("T.virt_lines('status')"))
  has(table.concat(under, "\n"), "│ tick-1")
  wait_turns(1)
  has(child.lua_get("T.chat_text()"), "tick-3")
end

T["plan limits: each window by name in the chat's winbar and in status()"] = function()
  _, dirs = H.start_chatgpt(child, { { text = "Hi." } }, nil, { rate_limits = true })
  child.cmd("DeckhandChat hello")
  wait_turns(1)
  local st = H.wait_for(child, "require('deckhand').status():find('5h', 1, true) and require('deckhand').status()", "the limits in status()")
  has(st, "5h 12% · weekly 40%")
  H.wait_screen(child, { "5h 12% · weekly 40%" })
  eq(child.lua_get("require('deckhand').status({ table = true }).limits[1].name"), "5h")
end

return T
