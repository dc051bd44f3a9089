-- Init file of the Neovim that runs the suite: puts the plugin and mini.test
-- on 'runtimepath' and loads mini.test.
local here = debug.getinfo(1, "S").source:sub(2)
local plugin_dir = vim.fn.fnamemodify(here, ":p:h:h")
vim.opt.runtimepath:prepend(plugin_dir)
local mini = os.getenv("MINI_TEST_DIR")
if mini and mini ~= "" then
  vim.opt.runtimepath:append(mini)
end
package.path = plugin_dir .. "/tests/?.lua;" .. package.path
require("mini.test").setup()
