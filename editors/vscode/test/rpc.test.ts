// The RPC client and Connection against the real deckhand binary and the
// fake of OpenAI: round trips, errors, a device login, a streamed turn with
// permission prompts, and a clean exit.

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ChatEvent, Connection, Decision, PermissionRequest } from "../src/deckhand";
import { ErrorCode, RpcClient, RpcError } from "../src/rpc";
import { binaries, Fake, startFake, Step } from "./support/fixture";

const labels = ["ChatGPT Plus/Pro (browser)", "ChatGPT Plus/Pro (headless)", "Manually enter API key"];

async function open(fake: Fake, decide: (r: PermissionRequest) => Decision = () => "deny", asked: PermissionRequest[] = []) {
  return Connection.start(
    { command: binaries().deckhand, cwd: fake.workspace, env: fake.env, workspaceRoot: fake.workspace, clientVersion: "test" },
    async (req) => (asked.push(req), { decision: decide(req) }),
  );
}

async function withFake(steps: Step[], f: (fake: Fake) => Promise<void>): Promise<void> {
  const fake = await startFake(steps);
  try {
    await f(fake);
  } finally {
    await fake.stop();
  }
}

test("initialize, connect's methods, and a clean shutdown", () =>
  withFake([], async (fake) => {
    const conn = await open(fake);
    assert.equal(conn.initialized.serverInfo.name, "deckhand");
    assert.equal(conn.initialized.protocolVersion, 1);
    assert.equal(conn.initialized.auth.type, "none");
    assert.equal(conn.initialized.workspaceRoot, fs.realpathSync(fake.workspace));
    const res = await conn.connect();
    assert.deepEqual(
      res.methods.map((m) => m.label),
      labels,
    );
    assert.deepEqual(
      res.methods.map((m) => m.id),
      ["browser", "headless", "apiKey"],
    );
    await conn.close();
    assert.equal(await conn.rpc.exited, 0);
  }));

test("errors carry code, message and data", () =>
  withFake([], async (fake) => {
    const conn = await open(fake);
    const cases: { method: string; params: unknown; code: number }[] = [
      { method: "noSuchMethod", params: {}, code: -32601 },
      { method: "chat", params: { message: "  " }, code: ErrorCode.InvalidParams },
      { method: "chat", params: { message: "hi", sessionId: "ses_nope" }, code: ErrorCode.InvalidParams },
      { method: "connect", params: { provider: "other" }, code: ErrorCode.InvalidParams },
      { method: "chat", params: { message: "hi" }, code: ErrorCode.NotConnected },
    ];
    for (const c of cases) {
      await assert.rejects(conn.rpc.request(c.method, c.params), (err: unknown) => {
        assert.ok(err instanceof RpcError, `${c.method}: ${err}`);
        assert.equal(err.code, c.code, `${c.method} ${JSON.stringify(c.params)}: ${err.message}`);
        assert.ok(err.message.length > 10, "the message is a sentence");
        return true;
      });
    }
    const err = await conn.chat("hi").catch((e) => e as RpcError);
    assert.deepEqual(
      ((err as RpcError).data as any).methods.map((m: { label: string }) => m.label),
      labels,
    );
    await conn.close();
  }));

test("headless login ends with auth/completed and an oauth status", () =>
  withFake([], async (fake) => {
    const conn = await open(fake);
    const start = await conn.startOAuth("headless");
    assert.equal(start.method, "headless");
    assert.match(start.userCode ?? "", /^[A-Z0-9]{4}-[A-Z0-9]{4,}$/);
    assert.ok(start.verificationUrl?.startsWith(fake.issuer), start.verificationUrl);
    const done = await conn.waitFlow(start.flowId);
    assert.equal(done.ok, true, JSON.stringify(done.error));
    assert.equal(done.status.type, "oauth");
    assert.equal((await conn.authStatus()).type, "oauth");
    // A late waiter still sees the end of the flow.
    assert.equal((await conn.waitFlow(start.flowId)).ok, true);
    await conn.close();
  }));

const writeSteps = (file: string): Step[] => [
  { text: "Writing it.", calls: [{ id: "w1", name: "write", arguments: { path: file, content: "hello\n" } }] },
  { text: "Done." },
];

for (const decision of ["deny", "allow"] as const) {
  test(`a streamed turn with a write the user answers ${decision}`, () =>
    withFake(writeSteps("note.txt"), async (fake) => {
      const asked: PermissionRequest[] = [];
      const conn = await open(fake, () => decision, asked);
      await conn.connectApiKey("sk-fake");
      const events: ChatEvent[] = [];
      conn.onChat((e) => events.push(e));
      const res = await conn.chat("write a note");
      assert.equal(res.stopReason, "end_turn");
      assert.equal(res.text, "Writing it.\n\nDone.");
      const deltas = events.filter((e) => e.kind === "delta").map((e) => (e as { text: string }).text);
      assert.equal(deltas.join(""), "Writing it.Done.");
      assert.equal(events[0].kind, "started");
      assert.equal(events[0].sessionId, res.sessionId);
      assert.equal(asked.length, 1);
      assert.equal(asked[0].tool, "write");
      assert.ok(asked[0].description.length > 0);
      const result = events.find((e) => e.kind === "toolResult") as Extract<ChatEvent, { kind: "toolResult" }>;
      assert.equal(result.name, "write");
      assert.equal(result.ok, decision === "allow", result.output);
      assert.equal(fs.existsSync(path.join(fake.workspace, "note.txt")), decision === "allow");
      await conn.close();
    }));
}

test("a missing binary fails with a message naming the setting", async () => {
  const rpc = RpcClient.spawn({ command: "/nonexistent/deckhand" });
  await assert.rejects(rpc.request("initialize", {}), (err: RpcError) => {
    assert.equal(err.code, ErrorCode.ConnectionClosed);
    assert.match(err.message, /deckhand\.path/);
    return true;
  });
  await rpc.exited;
});
