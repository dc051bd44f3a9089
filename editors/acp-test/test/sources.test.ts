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
