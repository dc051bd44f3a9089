-- deckhand's user commands. They load the plugin on first use; setup() is
-- optional and only needed to change the defaults.
if vim.g.loaded_deckhand then
  return
end
vim.g.loaded_deckhand = true

local function run(fn)
  return function(opts)
    local dh = require("deckhand")
    if not dh.supported() then
      dh.setup() -- says which version is needed
      return
    end
    fn(dh, opts)
  end
end

local commands = {
  DeckhandLogin = { function(dh) dh.login() end, {} },
  DeckhandChat = { function(dh, o) dh.chat(o.args) end, { nargs = "*" } },
  DeckhandToggle = { function() require("deckhand.chat").toggle() end, {} },
  DeckhandCancel = { function(dh) dh.cancel() end, {} },
  DeckhandStatus = { function(dh) dh.show_status() end, {} },
  DeckhandLogout = { function(dh) dh.logout() end, {} },
  DeckhandModels = { function(dh) dh.models() end, {} },
  DeckhandNew = { function() require("deckhand.chat").new_session() end, {} },
  DeckhandSessions = { function() require("deckhand.sessions").pick() end, {} },
  DeckhandUndo = { function() require("deckhand.sessions").undo() end, {} },
  DeckhandReview = { function() require("deckhand.permission").review() end, {} },
  DeckhandMcp = { function() require("deckhand.mcp").show() end, {} },
  DeckhandPolicy = { function() require("deckhand.policy").pick() end, {} },
  DeckhandAdd = {
    function(_, o)
      if o.range > 0 then
        require("deckhand.context").add(0, o.line1, o.line2)
      else
        require("deckhand.context").add(0)
      end
    end,
    { range = true },
  },
}

for name, spec in pairs(commands) do
  local opts = vim.tbl_extend("force", { desc = "deckhand: " .. name:sub(9):lower() }, spec[2])
  vim.api.nvim_create_user_command(name, run(spec[1]), opts)
end

vim.api.nvim_create_autocmd("VimLeavePre", {
  group = vim.api.nvim_create_augroup("deckhand", { clear = true }),
  callback = function()
    if package.loaded["deckhand"] then
      require("deckhand").stop(1000)
    end
  end,
})
