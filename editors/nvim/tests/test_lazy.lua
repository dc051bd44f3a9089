-- The README's lazy.nvim spec, loaded in lazy.nvim's order: lazy.nvim cannot
-- be installed here (it is neither an npm nor a Debian package), so its
-- loading is replayed as lazy/core/handler/cmd.lua and the loader do it. The
-- spec's commands are stubs; the first use deletes the stubs, puts the
-- repository's root (not editors/nvim) on 'runtimepath', sources the root's
-- plugin/ files (there are none), runs config(plugin), and runs the command
-- again only if it now exists ("Command ... not found after loading" else).
local H = require("helpers")
local eq = MiniTest.expect.equality

local child = MiniTest.new_child_neovim()
local T = MiniTest.new_set({
  hooks = {
    pre_case = function()
      child.restart({ "-u", "NONE", "--noplugin" })
    end,
    post_case = function()
      if child.is_running() then
        pcall(child.lua, "if package.loaded.deckhand then require('deckhand').stop(3000) end")
      end
    end,
    post_once = child.stop,
  },
})

--- The lua block of the README that follows the lazy.nvim sentence.
local function readme_spec()
  local text = H.read_file(H.plugin_dir .. "/README.md")
  local block = text:match("lazy%.nvim[^\n]*\n\n```lua\n(.-)\n```")
  assert(block, "no lazy.nvim spec in the README")
  return block
end

-- Replays lazy.nvim in the child: stub commands and keys that load the
-- plugin on first use.
local LAZY = [[
local spec, root, env, ws = ...
-- The README's setup({}) takes deckhand's environment and the current directory.
for k, v in pairs(env) do vim.env[k] = v end
vim.cmd.cd(ws)
spec = assert(loadstring("return " .. spec))()
local plugin = { dir = root, name = "deckhand" }
_G.lazy_errors = {}
local loaded = false
local function load()
  if loaded then return end
  loaded = true
  for _, c in ipairs(spec.cmd or {}) do pcall(vim.api.nvim_del_user_command, c) end
  -- The spec's own mappings replace the stubs.
  for _, k in ipairs(spec.keys or {}) do vim.keymap.set("n", k[1], k[2], { desc = k.desc }) end
  vim.opt.rtp:append(root)
  for _, f in ipairs(vim.fn.glob(root .. "/plugin/**/*.{vim,lua}", false, true)) do vim.cmd.source(f) end
  spec.config(plugin)
end
for _, c in ipairs(spec.cmd or {}) do
  vim.api.nvim_create_user_command(c, function(ev)
    load()
    if not vim.api.nvim_get_commands({})[c] then
      table.insert(_G.lazy_errors, "Command `" .. c .. "` not found after loading `deckhand`")
      return
    end
    vim.cmd(c .. (ev.args ~= "" and (" " .. ev.args) or ""))
  end, { nargs = "*", bang = true, range = true })
end
for _, k in ipairs(spec.keys or {}) do
  vim.keymap.set("n", k[1], function()
    load()
    vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(k[1], true, true, true), "m", false)
  end)
end
]]

local function start_lazy()
  local fake = H.start_fake({ { text = "Loaded the lazy way." } })
  local dirs = H.new_dirs({ api_key = "sk-fake" })
  local repo = vim.fn.fnamemodify(H.plugin_dir, ":h:h")
  child.o.lines, child.o.columns = 40, 140
  child.lua("package.path = ... .. '/tests/?.lua;' .. package.path; require('stubs')", { H.plugin_dir })
  child.lua([[vim.g.mapleader = " "]])
  child.lua(LAZY, { readme_spec(), repo, {
    DECKHAND_HOME = dirs.home,
    DECKHAND_CODEX_BASE_URL = fake.codex,
    OPENAI_BASE_URL = fake.api,
    OPENAI_API_KEY = "",
    DECKHAND_AUTH_ISSUER = fake.issuer,
    DECKHAND_LOG_FILE = dirs.home .. "/deckhand.log",
  }, dirs.ws })
  return fake, dirs
end

T["the README's lazy.nvim spec: the first :DeckhandChat loads the plugin and runs"] = function()
  start_lazy()
  eq(child.lua_get("vim.fn.exists(':DeckhandReview')"), 0) -- not loaded yet
  child.cmd("DeckhandChat hello from lazy")
  eq(child.lua_get("_G.lazy_errors"), {})
  H.wait_for(child, "require('deckhand.chat').buffer() and table.concat(vim.api.nvim_buf_get_lines(require('deckhand.chat').buffer(), 0, -1, false), '\\n'):find('Loaded the lazy way.', 1, true)", "the answer in the chat")
  -- Every command is there now, not only the spec's.
  eq(child.lua_get("vim.fn.exists(':DeckhandReview')"), 2)
  eq(child.lua_get("vim.fn.exists(':DeckhandUndo')"), 2)
end

T["the README's lazy.nvim spec: its key opens the chat"] = function()
  start_lazy()
  child.type_keys(" ac")
  eq(child.lua_get("_G.lazy_errors"), {})
  H.wait_for(child, "require('deckhand.chat').chat_win() ~= nil", "the chat window")
end

return T
