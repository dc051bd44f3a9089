-- Init file of the child Neovim each case drives: only the plugin is on
-- 'runtimepath' (its plugin/ file defines the commands) and the test stubs
-- are reachable with require("stubs").
local here = debug.getinfo(1, "S").source:sub(2)
local plugin_dir = vim.fn.fnamemodify(here, ":p:h:h")
vim.opt.runtimepath:prepend(plugin_dir)
package.path = plugin_dir .. "/tests/?.lua;" .. package.path
vim.o.swapfile = false
