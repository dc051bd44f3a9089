// A minimal MCP server over stdio for the extension's tests: newline-framed
// JSON-RPC, protocol 2025-06-18, two tools (echo, add) and nothing else.
const readline = require("node:readline");

const tools = [
  { name: "echo", description: "Says the text back.", inputSchema: { type: "object", properties: { text: { type: "string" } } } },
  { name: "add", description: "Adds two numbers.", inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } } },
];
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\n");

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  let m;
  try {
    m = JSON.parse(line);
  } catch {
    return;
  }
  if (m.id === undefined) return; // notifications
  switch (m.method) {
    case "initialize":
      return send({ id: m.id, result: { protocolVersion: m.params?.protocolVersion ?? "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "testmcp", version: "1.0.0" } } });
    case "tools/list":
      return send({ id: m.id, result: { tools } });
    case "tools/call":
      return send({ id: m.id, result: { content: [{ type: "text", text: JSON.stringify(m.params?.arguments ?? {}) }] } });
    case "ping":
      return send({ id: m.id, result: {} });
    default:
      return send({ id: m.id, error: { code: -32601, message: `no method ${m.method}` } });
  }
});
