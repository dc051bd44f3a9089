// Where files and commands come from when the client serves fs/* and
// terminal/*: the client's buffers (unsaved ones included) for every tool
// that reads or writes files, the client's terminals for every command; and
// a session that cannot be saved says so.
import { afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import * as acp from "@agentclientprotocol/sdk";
import { it, withAgent, start, takeViolations, type Harness, type Step } from "./support/fixture.js";

afterEach(() => {
  assert.deepEqual(takeViolations(), [], "deckhand wrote messages the ACP schema rejects");
});

/** The completed (or failed) update of a tool call, as JSON text. */
function result(h: Harness, sessionId: string, callId: string): string {
  const done = h.of(sessionId).find((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === callId &&
    (u.status === "completed" || u.status === "failed")) as acp.ToolCallUpdate | undefined;
  assert.ok(done, `no result for ${callId}`);
  return JSON.stringify(done.content);
}

/** Mounts a tmpfs of size at dir (root only); false where none can be had. */
function tinyDisk(dir: string, size: string): boolean {
  if (process.getuid?.() !== 0) return false;
  mkdirSync(dir, { recursive: true });
  return spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir]).status === 0;
}

/** Writes into dir until its disk is full. */
function fill(dir: string): void {
  const fd = openSync(join(dir, "filler"), "w");
  const chunk = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    closeSync(fd);
  }
}

it("a session that cannot be saved tells the user so, in the conversation", async () => {
  const h = await start({ steps: [{ text: "The answer." }] });
  const home = h.home;
  // deckhand's home on a tiny disk, filled once the login is written; where
  // no disk can be mounted (not root), a folder squats the session's file.
  const mounted = tinyDisk(home, "512k");
  try {
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    if (mounted) fill(home);
    else mkdirSync(join(home, "sessions", `${s.sessionId}.jsonl`), { recursive: true });
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "hi" }] });
    assert.equal(res.stopReason, "end_turn");
    const text = h.text(s.sessionId);
    assert.match(text, /The answer\./);
    assert.match(text, /not saved/i, `the user was not told: ${text}`);
    assert.match(text, mounted ? /no space left/i : /exists/i, text);
  } catch (e) {
    process.stderr.write(`--- deckhand stderr ---\n${h.stderr}\n`);
    throw e;
  } finally {
    await h.close();
    if (mounted) spawnSync("umount", ["-l", home]);
    h.cleanup();
  }
});

/** A client that serves fs/* from buffers of its own and never saves them: a path without a buffer reads from the disk. */
function bufferedClient(buffers: Map<string, string>, log: string[]) {
  return (app: acp.ClientApp) => app
    .onRequest("fs/read_text_file", ({ params }) => {
      log.push(`read ${params.path}`);
      const text = buffers.get(params.path);
      if (text !== undefined) return { content: text };
      if (!existsSync(params.path)) throw acp.RequestError.resourceNotFound(params.path);
      return { content: readFileSync(params.path, "utf8") };
    })
    .onRequest("fs/write_text_file", ({ params }) => {
      log.push(`write ${params.path}`);
      buffers.set(params.path, params.content);
      return {};
    });
}

it("grep, glob and list see the client's unsaved buffers: a file written but not saved, a buffer that differs from the disk", async () => {
  const steps: Step[] = [
    { calls: [
      { id: "r1", name: "read", arguments: { path: "a.txt" } },
      { id: "w1", name: "write", arguments: { path: "notes/todo.md", content: "- NEEDLE: ship it\n" } },
    ] },
    { calls: [
      { id: "g1", name: "grep", arguments: { pattern: "NEEDLE" } },
      { id: "g2", name: "glob", arguments: { pattern: "**/*.md" } },
      { id: "l1", name: "list", arguments: {} },
    ] },
    { text: "Found them." },
  ];
  const buffers = new Map<string, string>();
  const log: string[] = [];
  const h = await start({ steps, handlers: bufferedClient(buffers, log) });
  await withAgent(h, async () => {
    const a = join(h.workspace, "a.txt");
    writeFileSync(a, "on disk\n");
    buffers.set(a, "unsaved NEEDLE buffer\n");
    await h.initialize({ fs: { readTextFile: true, writeTextFile: true } });
    await h.loginWithKey();
    const s = await h.newSession();
    h.answers = ["allow_once"];
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "find" }] });
    assert.equal(res.stopReason, "end_turn");
    assert.equal(buffers.get(join(h.workspace, "notes", "todo.md")), "- NEEDLE: ship it\n");
    assert.ok(!existsSync(join(h.workspace, "notes")), "the write reached the disk");
    const grep = result(h, s.sessionId, "g1");
    assert.match(grep, /notes\/todo\.md:1:- NEEDLE: ship it/, grep);
    assert.match(grep, /a\.txt:1:unsaved NEEDLE buffer/, grep);
    assert.match(result(h, s.sessionId, "g2"), /notes\/todo\.md/);
    assert.match(result(h, s.sessionId, "l1"), /notes\/[\s\S]*todo\.md  \(in the editor, not saved to disk\)/);
  });
});

it("apply_patch reads and writes the client's buffers, and deckhand's own folder stays out of reach", async () => {
  const patch = "*** Begin Patch\n*** Update File: a.txt\n@@\n one\n-unsaved two\n+patched two\n*** Add File: b.txt\n+bee\n*** End Patch\n";
  const steal = "*** Begin Patch\n*** Update File: .deckhand/auth.json\n@@\n-{}\n+{\"tokens\":1}\n*** End Patch\n";
  const steps = [
    { calls: [{ id: "p1", name: "apply_patch", input: patch }] },
    { calls: [{ id: "p2", name: "apply_patch", input: steal }] },
    { text: "Patched." },
  ] as unknown as Step[];
  const buffers = new Map<string, string>();
  const log: string[] = [];
  const dir = (await import("node:fs")).realpathSync((await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "deckhand-patch-")));
  const workspace = join(dir, "ws");
  const h = await start({ steps, handlers: bufferedClient(buffers, log), workspace, home: join(workspace, ".deckhand") });
  await withAgent(h, async () => {
    const a = join(h.workspace, "a.txt");
    writeFileSync(a, "one\ntwo\n");
    buffers.set(a, "one\nunsaved two\n");
    await h.initialize({ fs: { readTextFile: true, writeTextFile: true } });
    await rejects(h.agent.request("authenticate", { methodId: "chat-gpt-device-code" }));
    await h.agent.request("authenticate", { methodId: "chat-gpt-device-code" });
    const s = await h.newSession();
    const model = s.configOptions!.find((o) => o.category === "model")!;
    await h.agent.request("session/set_config_option", { sessionId: s.sessionId, configId: model.id, value: "gpt-5.5" });
    h.answers = ["allow_once", "allow_once"];
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "patch" }] });
    assert.equal(res.stopReason, "end_turn");
    assert.equal(buffers.get(a), "one\npatched two\n");
    assert.equal(buffers.get(join(h.workspace, "b.txt")), "bee\n");
    assert.equal(readFileSync(a, "utf8"), "one\ntwo\n", "the patch reached the disk");
    assert.ok(!existsSync(join(h.workspace, "b.txt")), "the added file reached the disk");
    // The review showed the buffer's text, not the disk's.
    const diff = h.asked[0].params.toolCall.content?.find((c) => c.type === "diff" && c.path === a) as acp.Diff | undefined;
    assert.equal(diff?.oldText, "one\nunsaved two\n");
    // deckhand's login: refused before the client is asked, and untouched.
    assert.match(result(h, s.sessionId, "p2"), /deckhand/i);
    assert.ok(!log.some((l) => l.includes(".deckhand")), `the client was asked for deckhand's own files: ${log.join(", ")}`);
    assert.equal(h.asked.length, 1, "the user was asked about a patch of deckhand's own files");
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
});

/** A ChatGPT login (device code) on gpt-5.5, whose tools are apply_patch and exec_command. */
async function codexSession(h: Harness): Promise<string> {
  await rejects(h.agent.request("authenticate", { methodId: "chat-gpt-device-code" }));
  await h.agent.request("authenticate", { methodId: "chat-gpt-device-code" });
  const s = await h.newSession();
  const model = s.configOptions!.find((o) => o.category === "model")!;
  await h.agent.request("session/set_config_option", { sessionId: s.sessionId, configId: model.id, value: "gpt-5.5" });
  return s.sessionId;
}

it("exec_command runs in the client's terminal, shown in the call; a command that outlives its call runs on until the session closes", async () => {
  const steps = [
    { calls: [{ id: "x1", name: "exec_command", arguments: { cmd: "npm test > made-here.txt" } }] },
    { calls: [{ id: "x2", name: "exec_command", arguments: { cmd: "tail -f app.log", yield_time_ms: 250 } }] },
    { text: "Ran them." },
  ] as Step[];
  const calls: string[] = [];
  const terminals = new Map<string, { command: string; began: number; killed: boolean; polls: number }>();
  const outputOf = (t: { command: string; began: number; killed: boolean }) => {
    const n = Math.floor((Date.now() - t.began) / 100);
    if (t.command.startsWith("-c npm")) {
      const lines = Math.min(n, 5);
      const output = Array.from({ length: lines }, (_, i) => `test ${i + 1} ok\n`).join("");
      return { output, truncated: false, exitStatus: lines === 5 ? { exitCode: 2 } : undefined };
    }
    return { output: "log line\n".repeat(Math.min(n, 50)), truncated: false, exitStatus: t.killed ? { exitCode: null, signal: "SIGKILL" } : undefined };
  };
  const h = await start({
    steps,
    handlers: (app) => app
      .onRequest("terminal/create", ({ params }) => {
        const id = `t${terminals.size + 1}`;
        calls.push(`create ${id}`);
        terminals.set(id, { command: (params.args ?? []).join(" "), began: Date.now(), killed: false, polls: 0 });
        assert.equal(params.command, "bash");
        assert.equal(params.cwd, h.workspace);
        return { terminalId: id };
      })
      .onRequest("terminal/output", ({ params }) => {
        const t = terminals.get(params.terminalId)!;
        t.polls++;
        return outputOf(t);
      })
      .onRequest("terminal/kill", ({ params }) => { calls.push(`kill ${params.terminalId}`); terminals.get(params.terminalId)!.killed = true; return {}; })
      .onRequest("terminal/release", ({ params }) => { calls.push(`release ${params.terminalId}`); return {}; })
      .onRequest("terminal/wait_for_exit", () => { calls.push("wait"); return new Promise(() => {}); }),
  });
  await withAgent(h, async () => {
    await h.initialize({ terminal: true });
    const sid = await codexSession(h);
    h.answers = ["allow_once", "allow_once"];
    const res = await h.agent.request("session/prompt", { sessionId: sid, prompt: [{ type: "text", text: "run" }] });
    assert.equal(res.stopReason, "end_turn");
    assert.deepEqual([...terminals.values()].map((t) => t.command), ["-c npm test > made-here.txt", "-c tail -f app.log"]);
    assert.ok(!existsSync(join(h.workspace, "made-here.txt")), "deckhand ran the command itself");
    // The first ran to its end: its terminal was shown while it ran, its output and code are the result.
    const updates = h.of(sid);
    const shown = updates.findIndex((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === "x1" && u.content?.some((c) => c.type === "terminal" && c.terminalId === "t1"));
    const done = updates.findIndex((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === "x1" && u.status === "completed");
    assert.ok(shown >= 0 && done > shown, "the terminal was not shown in the call while it ran");
    const out = result(h, sid, "x1");
    assert.match(out, /Process exited with code 2/, out);
    assert.match(out, /test 1 ok[\s\S]*test 5 ok/, out);
    assert.ok(terminals.get("t1")!.polls > 1, "the output was not polled while the command ran");
    // The second yielded, still running; it is killed and released when the session closes.
    assert.match(result(h, sid, "x2"), /Process running with session ID \d+[\s\S]*log line/);
    assert.deepEqual(calls, ["create t1", "release t1", "create t2"]);
    await h.agent.request("session/close", { sessionId: sid });
    const deadline = Date.now() + 10_000;
    while (!calls.includes("release t2") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(calls, ["create t1", "release t1", "create t2", "kill t2", "release t2"]);
  });
});

it("a hosted web search is a tool call, and the pages the answer cites close the message as resource links", async () => {
  const steps = [{
    webSearch: { query: "deckhand release notes", sources: ["https://example.com/releases", "https://example.org/blog"] },
    text: "Version 2 shipped in May.",
    citations: [{ url: "https://example.com/releases", title: "Releases" }, { url: "https://example.org/blog", title: "The blog" }],
  }] as unknown as Step[];
  const h = await start({ steps });
  await withAgent(h, async () => {
    await h.initialize();
    const sid = await codexSession(h);
    const res = await h.agent.request("session/prompt", { sessionId: sid, prompt: [{ type: "text", text: "what shipped?" }] });
    assert.equal(res.stopReason, "end_turn");
    const call = h.of(sid).find((u) => u.sessionUpdate === "tool_call" && JSON.stringify(u.rawInput ?? {}).includes("deckhand release notes")) as acp.ToolCall | undefined;
    assert.ok(call, "the search is not a tool call");
    assert.equal(call.kind, "fetch");
    assert.equal(call.title, "Search the web: deckhand release notes");
    assert.match(h.text(sid), /^Version 2 shipped in May\.\n\nSources:\n$/);
    const links = h.of(sid).filter((u) => u.sessionUpdate === "agent_message_chunk" && u.content.type === "resource_link")
      .map((u) => (u as { content: acp.ResourceLink }).content);
    assert.deepEqual(links.map((l) => [l.uri, l.title]), [["https://example.com/releases", "Releases"], ["https://example.org/blog", "The blog"]]);
  });
});

async function rejects(p: Promise<unknown>): Promise<void> {
  await p.then(() => assert.fail("the request succeeded"), () => undefined);
}
