// MCP servers an ACP client passes in session/new: deckhand starts them for
// that session, offers their tools to the model, asks before each call, and
// stops them with the connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { start } from "./support/fixture.js";

// A small stdio MCP server: newline-delimited JSON-RPC with one tool, shout,
// which answers its text in capitals. It writes its pid where it is told.
const SERVER = `
import { createInterface } from "node:readline";
import { writeFileSync } from "node:fs";
if (process.env.PID_FILE) writeFileSync(process.env.PID_FILE, String(process.pid));
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined) return;
  switch (m.method) {
    case "initialize":
      return send({ id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "js", version: "1" } } });
    case "tools/list":
      return send({ id: m.id, result: { tools: [{ name: "shout", description: "Shout the text.",
        inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } }] } });
    case "tools/call":
      return send({ id: m.id, result: { content: [{ type: "text", text: String(m.params.arguments.text).toUpperCase() }] } });
    case "ping":
      return send({ id: m.id, result: {} });
    default:
      return send({ id: m.id, error: { code: -32601, message: "method not found" } });
  }
});
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("session/new's stdio mcpServers are started, their tools called after asking, and stopped with deckhand", { timeout: 60_000 }, async () => {
  const steps = [
    { calls: [{ id: "m1", name: "mcp__js__shout", arguments: { text: "hello" } }] },
    { text: "Shouted." },
  ];
  const h = await start({ steps });
  try {
    const script = join(h.dir, "server.mjs");
    const pidFile = join(h.dir, "server.pid");
    writeFileSync(script, SERVER);
    const init = await h.initialize();
    assert.equal(init.agentCapabilities?.mcpCapabilities?.http, true);
    await h.loginWithKey();
    const s = await h.agent.request("session/new", {
      cwd: h.workspace,
      mcpServers: [{ name: "js", command: process.execPath, args: [script], env: [{ name: "PID_FILE", value: pidFile }] }],
    });
    h.answers = ["allow_once"];
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "shout" }] });
    assert.equal(res.stopReason, "end_turn");
    assert.equal(h.asked.length, 1);
    assert.equal(h.asked[0].params.toolCall.toolCallId, "m1");
    assert.deepEqual(h.asked[0].params.toolCall.rawInput, { text: "hello" });
    const ups = JSON.stringify(h.of(s.sessionId));
    assert.ok(ups.includes("HELLO"), `the tool's result is not in the updates: ${ups}`);
    assert.equal(h.text(s.sessionId), "Shouted.");

    assert.ok(existsSync(pidFile), "the server never started");
    const pid = Number(readFileSync(pidFile, "utf8"));
    assert.ok(alive(pid));
    await h.close();
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!alive(pid), "the MCP server outlived deckhand");
  } catch (e) {
    process.stderr.write(`--- deckhand stderr ---\n${h.stderr}\n`);
    await h.close();
    throw e;
  } finally {
    h.cleanup();
  }
});
