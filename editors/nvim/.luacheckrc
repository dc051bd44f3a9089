-- luacheck configuration for the Neovim plugin (run by scripts/test.sh,
-- so by `make test-nvim`): undefined and unused names are errors.
std = "luajit"
-- Plugins set options and variables through vim.bo, vim.wo, vim.g.
globals = { "vim" }
-- The code keeps long lines where a message or a call reads better whole.
max_line_length = false
-- `self` of methods that do not use it is not worth a warning.
self = false

-- Tests stub parts of vim (vim.notify, vim.fn.has) and share the child-side
-- helpers as the global T (tests/stubs.lua).
files["tests/"] = { globals = { "vim", "T" }, read_globals = { "MiniTest" } }
exclude_files = { ".luarocks", "lua_modules" }
