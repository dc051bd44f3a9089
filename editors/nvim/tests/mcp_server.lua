-- A small MCP server over stdio for the tests (run with `nvim -l`): it
-- answers initialize and tools/list with two tools, and tools/call of
-- "echo" with its text. JSON-RPC, one message a line.
local function send(msg)
  io.stdout:write(vim.json.encode(msg) .. "\n")
  io.stdout:flush()
end

local TOOLS = {
  { name = "echo", description = "Says the text back.", inputSchema = { type = "object", properties = { text = { type = "string" } } } },
  { name = "time", description = "Says a fixed time.", inputSchema = { type = "object", properties = vim.empty_dict() } },
}

for line in io.lines() do
  local ok, msg = pcall(vim.json.decode, line)
  if ok and type(msg) == "table" and msg.method then
    if msg.method == "initialize" then
      send({ jsonrpc = "2.0", id = msg.id, result = {
        protocolVersion = msg.params and msg.params.protocolVersion or "2025-06-18",
        capabilities = { tools = vim.empty_dict() },
        serverInfo = { name = "echo", version = "1.0.0" },
      } })
    elseif msg.method == "tools/list" then
      send({ jsonrpc = "2.0", id = msg.id, result = { tools = TOOLS } })
    elseif msg.method == "tools/call" then
      local args = msg.params and msg.params.arguments or {}
      send({ jsonrpc = "2.0", id = msg.id, result = { content = { { type = "text", text = "echo: " .. tostring(args.text) } } } })
    elseif msg.id ~= nil then
      send({ jsonrpc = "2.0", id = msg.id, error = { code = -32601, message = "no such method" } })
    end
  end
end
