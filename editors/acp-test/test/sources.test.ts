// Where files and commands come from when the client serves fs/* and
// terminal/*: the client's buffers (unsaved ones included) for every tool
// that reads or writes files, the client's terminals for every command; and
// a session that cannot be saved says so.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import * as acp from "@agentclientprotocol/sdk";
import { start, takeViolations, type Harness, type Step } from "./support/fixture.js";

afterEach(() => {
  assert.deepEqual(takeViolations(), [], "deckhand wrote messages the ACP schema rejects");
});

function it(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: 60_000 }, fn);
}

async function withAgent(h: Harness, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    process.stderr.write(`--- deckhand stderr ---\n${h.stderr}\n`);
    throw e;
  } finally {
    await h.close();
    h.cleanup();
  }
}

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

async function rejects(p: Promise<unknown>): Promise<void> {
  await p.then(() => assert.fail("the request succeeded"), () => undefined);
}
