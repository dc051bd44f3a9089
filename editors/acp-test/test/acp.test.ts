// The acceptance suite of `deckhand acp`: the official ACP client library
// (@agentclientprotocol/sdk) drives the real binary against the fake of
// OpenAI. Every test starts its own deckhand in a fresh home and workspace.
import { afterEach, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as acp from "@agentclientprotocol/sdk";
import { spawn } from "node:child_process";
import { it, withAgent, start, startFake, fakeBrowser, brokenBrowser, foregroundBrowser, takeViolations, checked, type Harness } from "./support/fixture.js";
import { mkdtempSync, mkdirSync, rmSync, realpathSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";

// Every message deckhand wrote in a test matches the ACP schema.
afterEach(() => {
  assert.deepEqual(takeViolations(), [], "deckhand wrote messages the ACP schema rejects");
});
after(() => {
  console.log(`schema: ${checked()} messages from deckhand checked against the ACP schema`);
});

/** Resolves once cond holds (polled), or fails after ms. */
async function until(cond: () => boolean, what = "the condition", ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The body of the last model request the fake received, as JSON text. */
async function lastModelRequest(h: Harness): Promise<string> {
  const reqs = (await h.fake.requests()).filter((r) => r.path.endsWith("/responses"));
  assert.ok(reqs.length > 0, "no model request was made");
  return JSON.stringify(reqs[reqs.length - 1].body);
}

async function rejects(p: Promise<unknown>): Promise<acp.RequestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof acp.RequestError, `expected an ACP error, got ${e}`);
    return e;
  }
  assert.fail("the request succeeded; it should have failed");
}

it("initialize offers the three ways in and the capabilities", async () => {
  const h = await start();
  await withAgent(h, async () => {
    const res = await h.initialize({ fs: { readTextFile: true, writeTextFile: true } });
    assert.equal(res.protocolVersion, 1);
    assert.equal(res.agentInfo?.name, "deckhand");
    assert.deepEqual(res.authMethods?.map((m) => m.id), ["chat-gpt", "chat-gpt-device-code", "api-key"]);
    assert.ok(res.authMethods?.every((m) => (m as { type?: string }).type === undefined), "all are agent methods");
    assert.equal(res.agentCapabilities?.promptCapabilities?.embeddedContext, true);
    assert.equal(res.agentCapabilities?.promptCapabilities?.image, true);
    assert.deepEqual(res.agentCapabilities?.sessionCapabilities?.list, {});
    assert.deepEqual(res.agentCapabilities?.sessionCapabilities?.resume, {});
    assert.deepEqual(res.agentCapabilities?.sessionCapabilities?.close, {});
    assert.deepEqual(res.agentCapabilities?.auth?.logout, {});
    // A second initialize is refused, the connection goes on.
    const again = await rejects(h.initialize());
    assert.equal(again.code, -32600);
  });
});

it("a client with terminal auth gets the headless login as a terminal method", async () => {
  const h = await start();
  await withAgent(h, async () => {
    const res = await h.initialize({ auth: { terminal: true } } as acp.ClientCapabilities);
    const headless = res.authMethods?.find((m) => m.id === "chat-gpt-device-code") as Record<string, unknown>;
    assert.equal(headless.type, "terminal");
    assert.deepEqual(headless.args, ["login", "headless"]);
  });
});

it("auth_required before a login, then authenticate with an API key", async () => {
  const h = await start({ steps: [{ text: "Hello from the API." }] });
  await withAgent(h, async () => {
    await h.initialize();
    const err = await rejects(h.newSession());
    assert.equal(err.code, -32000);
    assert.match(err.message, /log in/i);
    assert.equal((await rejects(h.agent.request("session/list", {}))).code, -32000);
    // No key anywhere: a clear refusal.
    const noKey = await rejects(h.agent.request("authenticate", { methodId: "api-key" }));
    assert.equal(noKey.code, -32602);
    assert.match(noKey.message, /apiKey/);
    await h.loginWithKey();
    const s = await h.newSession();
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "hi" }] });
    assert.equal(res.stopReason, "end_turn");
    assert.equal(h.text(s.sessionId), "Hello from the API.");
    assert.doesNotMatch(h.stderr, /sk-fake/, "the key reached the log");
  });
});

it("authenticate with the ChatGPT browser login", async () => {
  const dir = (await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "deckhand-browser-"));
  const bin = fakeBrowser(dir);
  const h = await start({ steps: [{ text: "Hello from Codex." }], env: { PATH: `${bin}:${process.env.PATH}`, DISPLAY: ":0" } });
  await withAgent(h, async () => {
    await h.initialize();
    assert.deepEqual(await h.agent.request("authenticate", { methodId: "chat-gpt" }), {});
    const s = await h.newSession();
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "hi" }] });
    assert.equal(res.stopReason, "end_turn");
    assert.equal(h.text(s.sessionId), "Hello from Codex.");
  });
});

it("the browser login does not wait for the browser opener: cancel answers, a second click reuses the login", async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "deckhand-fgbrowser-")));
  const bin = foregroundBrowser(dir);
  const h = await start({ steps: [{ text: "Logged in." }], env: { PATH: `${bin}:${process.env.PATH}`, DISPLAY: ":0" } });
  const opened = () => (existsSync(join(bin, "opened")) ? readFileSync(join(bin, "opened"), "utf8").trim().split("\n") : []);
  try {
    await withAgent(h, async () => {
      await h.initialize();
      // The opener stays in the foreground; the request can still be cancelled.
      const ac = new AbortController();
      const first = h.agent.request("authenticate", { methodId: "chat-gpt" }, { cancellationSignal: ac.signal });
      await until(() => opened().length === 1, "the browser to open");
      ac.abort();
      assert.equal((await rejects(first)).code, -32800);
      // Two more clicks: the same login, its URL opened again, not a second login.
      const second = h.agent.request("authenticate", { methodId: "chat-gpt" });
      const third = h.agent.request("authenticate", { methodId: "chat-gpt" });
      await until(() => opened().length === 3, "the browser to open again");
      const urls = opened();
      assert.equal(new Set(urls).size, 1, `a second click started another login: ${urls.join(" ")}`);
      await (await fetch(urls[0])).text(); // the user approves in the browser
      assert.deepEqual(await second, {});
      assert.deepEqual(await third, {});
      const s = await h.newSession();
      await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "hi" }] });
      assert.equal(h.text(s.sessionId), "Logged in.");
    });
  } finally {
    writeFileSync(join(bin, "release"), "");
    rmSync(dir, { recursive: true, force: true });
  }
});

it("without a browser, the browser login hands out its URL and the second attempt completes", async () => {
  const dir = (await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "deckhand-nobrowser-"));
  const h = await start({ env: { PATH: `${brokenBrowser(dir)}:${process.env.PATH}` } });
  await withAgent(h, async () => {
    await h.initialize();
    const first = await rejects(h.agent.request("authenticate", { methodId: "chat-gpt" }));
    assert.equal(first.code, -32000);
    const url = (first.data as { url: string }).url;
    assert.ok(first.message.includes(url), first.message);
    const second = h.agent.request("authenticate", { methodId: "chat-gpt" });
    const res = await fetch(url); // the user opens it
    await res.text();
    assert.deepEqual(await second, {});
    await h.newSession();
  });
});

it("authenticate with the ChatGPT device code: the code comes back, the second attempt completes", async () => {
  const h = await start();
  await withAgent(h, async () => {
    await h.initialize();
    const first = await rejects(h.agent.request("authenticate", { methodId: "chat-gpt-device-code" }));
    assert.equal(first.code, -32000);
    const data = first.data as { userCode: string; verificationUrl: string };
    assert.match(data.userCode, /\S/);
    assert.ok(first.message.includes(data.userCode) && first.message.includes(data.verificationUrl), first.message);
    assert.deepEqual(await h.agent.request("authenticate", { methodId: "chat-gpt-device-code" }), {});
    await h.newSession(); // logged in
    // Unknown methods are refused clearly.
    assert.equal((await rejects(h.agent.request("authenticate", { methodId: "nope" }))).code, -32602);
  });
});

it("a client with URL elicitation gets the device-code login as one elicitation, and one authenticate completes it", async () => {
  const asked: { url: string; message: string; requestId?: unknown; elicitationId: string }[] = [];
  const completed: string[] = [];
  let answer: "accept" | "decline" = "accept";
  const h = await start({
    handlers: (app) => app
      .onRequest("elicitation/create", ({ params }) => {
        asked.push(params as unknown as (typeof asked)[number]);
        return { action: answer };
      })
      .onNotification("elicitation/complete", ({ params }) => { completed.push(params.elicitationId); }),
  });
  await withAgent(h, async () => {
    await h.initialize({ elicitation: { url: {} } } as acp.ClientCapabilities);
    assert.deepEqual(await h.agent.request("authenticate", { methodId: "chat-gpt-device-code" }), {});
    assert.equal(asked.length, 1);
    assert.match(asked[0].url, /^http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(asked[0].message, /enter the code \S+/);
    assert.ok(asked[0].requestId !== undefined, "the elicitation names no request");
    await until(() => completed.length === 1, "elicitation/complete");
    assert.deepEqual(completed, [asked[0].elicitationId]);
    await h.newSession(); // logged in
    // Declined: no login, and a clear auth_required.
    await h.agent.request("logout", {});
    answer = "decline";
    assert.equal((await rejects(h.agent.request("authenticate", { methodId: "chat-gpt-device-code" }))).code, -32000);
    assert.equal((await rejects(h.newSession())).code, -32000);
  });
});

it("a prompt streams thought and message chunks and ends the turn", async () => {
  const h = await start({ steps: [{ reasoning: "Thinking it over.", text: "The answer is 42.", usage: [1200, 34] }] });
  await withAgent(h, async () => {
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    const res = await h.agent.request("session/prompt", {
      sessionId: s.sessionId,
      prompt: [
        { type: "text", text: "What is the answer?" },
        { type: "resource_link", uri: `file://${h.workspace}/notes.md`, name: "notes.md" },
        { type: "resource", resource: { uri: `file://${h.workspace}/a.txt`, text: "context text" } },
      ],
    });
    assert.equal(res.stopReason, "end_turn");
    assert.equal(h.text(s.sessionId, "agent_thought_chunk"), "Thinking it over.");
    assert.equal(h.text(s.sessionId), "The answer is 42.");
    // The turn's tokens, and how full the context window now is.
    assert.deepEqual((res as { usage?: unknown }).usage, { inputTokens: 1200, outputTokens: 34, totalTokens: 1234 });
    const usage = h.of(s.sessionId).find((u) => u.sessionUpdate === "usage_update") as { used: number; size: number } | undefined;
    assert.ok(usage && usage.size > 0 && usage.used > 0 && usage.used < usage.size, `usage_update ${JSON.stringify(usage)}`);
    // An image, where no catalog says the model takes images, is refused with that reason.
    const image = await rejects(h.agent.request("session/prompt", { sessionId: s.sessionId,
      prompt: [{ type: "text", text: "look" }, { type: "image", data: "AAAA", mimeType: "image/png" }] }));
    assert.equal(image.code, -32602);
    assert.match(image.message, /no catalog says the model \S+ takes images/);
    // A block of a type ACP does not define is refused, not dropped.
    const unknown = await rejects(h.agent.request("session/prompt", { sessionId: s.sessionId,
      prompt: [{ type: "text", text: "and this?" }, { type: "video", data: "AAAA" } as unknown as acp.ContentBlock] }));
    assert.equal(unknown.code, -32602);
    assert.match(unknown.message, /video/);
    // A prompt with no text at all is refused; the session goes on.
    assert.equal((await rejects(h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [] }))).code, -32602);
    assert.equal((await rejects(h.agent.request("session/prompt", { sessionId: "ses_nope", prompt: [{ type: "text", text: "x" }] }))).code, -32002);
  });
});

it("files outside the workspace become references, not a refused prompt", async () => {
  const h = await start({ steps: [{ text: "Seen." }] });
  await withAgent(h, async () => {
    const outside = join(h.dir, "outside.txt");
    writeFileSync(outside, "words from outside\n");
    writeFileSync(join(h.workspace, "in.txt"), "words from inside\n");
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    const res = await h.agent.request("session/prompt", {
      sessionId: s.sessionId,
      prompt: [
        { type: "text", text: "compare these" },
        { type: "resource_link", uri: `file://${outside}`, name: "outside.txt" },
        { type: "resource", resource: { uri: `file://${outside}#L1-L1`, text: "the quoted line" } },
        { type: "resource_link", uri: `file://${h.workspace}/in.txt`, name: "in.txt" },
      ],
    });
    assert.equal(res.stopReason, "end_turn");
    const body = await lastModelRequest(h);
    assert.ok(body.includes(`[outside.txt](file://${outside})`), "the outside link is not a reference");
    assert.doesNotMatch(body, /words from outside/, "a file outside the workspace was read");
    assert.match(body, /the quoted line/);
    assert.match(body, /words from inside/);
  });
});

it("an answer cut at the token limit ends max_tokens, a refusal or filtered answer ends refusal", async () => {
  const h = await start({ steps: [
    { text: "The beginning of a long answer", incomplete: "max_output_tokens" },
    { refusal: "I can't help with that." },
    { text: "Partly said", incomplete: "content_filter" },
    { text: "Still working." },
  ] });
  await withAgent(h, async () => {
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    const ask = async (text: string) => {
      const before = h.text(s.sessionId).length;
      const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text }] });
      return { stop: res.stopReason, text: h.text(s.sessionId).slice(before) };
    };
    assert.deepEqual(await ask("tell me everything"), { stop: "max_tokens", text: "The beginning of a long answer" });
    assert.deepEqual(await ask("something bad"), { stop: "refusal", text: "I can't help with that." });
    assert.deepEqual(await ask("something worse"), { stop: "refusal", text: "Partly said" });
    // The session goes on, with the cut answer in its history.
    assert.deepEqual(await ask("go on"), { stop: "end_turn", text: "Still working." });
    assert.match(await lastModelRequest(h), /The beginning of a long answer/);
  });
});

it("a tool turn asks permission: reject, then allow always, with a diff in the tool call update", async () => {
  const steps = [
    { text: "Writing.", calls: [{ id: "w1", name: "write", arguments: { path: "a.txt", content: "rejected\n" } }] },
    { text: "Editing.", calls: [{ id: "e1", name: "edit", arguments: { path: "a.txt", oldString: "one", newString: "two" } }] },
    { calls: [{ id: "e2", name: "edit", arguments: { path: "a.txt", oldString: "two", newString: "three" } }] },
    { text: "Done." },
  ];
  const h = await start({ steps });
  await withAgent(h, async () => {
    writeFileSync(join(h.workspace, "a.txt"), "one\n");
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    h.answers = ["reject_once", "allow_always"];
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "change a.txt" }] });
    assert.equal(res.stopReason, "end_turn");

    // Two prompts: the second edit ran under "allow always".
    assert.equal(h.asked.length, 2);
    const kinds = h.asked[0].params.options.map((o) => o.kind);
    assert.deepEqual(kinds, ["allow_once", "allow_always", "reject_once"]);
    assert.equal(h.asked[0].params.toolCall.toolCallId, "w1");
    assert.equal(h.asked[1].params.toolCall.toolCallId, "e1");
    const preview = h.asked[1].params.toolCall.content?.find((c) => c.type === "diff") as acp.Diff & { type: "diff" };
    assert.equal(preview.oldText, "one\n");
    assert.equal(preview.newText, "two\n");
    assert.equal(readFileSync(join(h.workspace, "a.txt"), "utf8"), "three\n");

    const ups = h.of(s.sessionId);
    const call = ups.find((u) => u.sessionUpdate === "tool_call" && u.toolCallId === "e1") as acp.ToolCall & { sessionUpdate: string };
    assert.equal(call.kind, "edit");
    assert.equal(call.status, "pending");
    assert.deepEqual(call.locations, [{ path: join(h.workspace, "a.txt") }]);
    const rejected = ups.find((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === "w1" && u.status) as acp.ToolCallUpdate;
    assert.equal(rejected.status, "failed");
    // e2 ran under "allow always": no prompt, and it shows as running, not waiting.
    const e2 = ups.filter((u) => (u.sessionUpdate === "tool_call" || u.sessionUpdate === "tool_call_update") && u.toolCallId === "e2").map((u) => (u as acp.ToolCallUpdate).status);
    assert.deepEqual(e2.filter((x) => x), ["in_progress", "completed"], "the always-allowed call's statuses");
    const done = ups.filter((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === "e2" && u.status === "completed") as acp.ToolCallUpdate[];
    assert.equal(done.length, 1);
    const diff = done[0].content?.find((c) => c.type === "diff") as acp.Diff & { type: "diff" };
    assert.deepEqual({ path: diff.path, oldText: diff.oldText, newText: diff.newText }, { path: join(h.workspace, "a.txt"), oldText: "two\n", newText: "three\n" });
    // The diff is shown once: the text beside it is the summary, not the unified diff again.
    const texts = JSON.stringify(done[0].content?.filter((c) => c.type !== "diff"));
    assert.match(texts, /edited a\.txt/);
    assert.doesNotMatch(texts, /@@/, "the completed edit repeats its diff as text");
  });
});

it("session/cancel ends a running turn with stopReason cancelled", async () => {
  const h = await start({ steps: [{ text: "Starting a long answer", stall: true }, { text: "Still here." }] });
  await withAgent(h, async () => {
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    const prompt = h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "go" }] });
    await h.waitFor((n) => n.sessionId === s.sessionId && n.update.sessionUpdate === "agent_message_chunk");
    const t0 = Date.now();
    await h.agent.notify("session/cancel", { sessionId: s.sessionId });
    const res = await prompt;
    const took = Date.now() - t0;
    assert.equal(res.stopReason, "cancelled");
    assert.ok(took < 5000, `the cancelled prompt took ${took} ms to return`);
    // The session goes on.
    const next = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "again" }] });
    assert.equal(next.stopReason, "end_turn");
  });
});

it("session/list lists the sessions with their cwd and title", async () => {
  const h = await start({ steps: [{ text: "One." }] });
  await withAgent(h, async () => {
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "first question\nmore" }] });
    const s2 = await h.newSession();
    const list = await h.agent.request("session/list", {});
    const ids = list.sessions.map((x) => x.sessionId);
    assert.ok(ids.includes(s.sessionId) && ids.includes(s2.sessionId), JSON.stringify(list));
    const one = list.sessions.find((x) => x.sessionId === s.sessionId)!;
    assert.equal(one.cwd, h.workspace);
    assert.equal(one.title, "first question");
    const info = h.of(s.sessionId).find((u) => u.sessionUpdate === "session_info_update") as { title?: string };
    assert.equal(info?.title, "first question", "the client was not told the title");
    const elsewhere = await h.agent.request("session/list", { cwd: "/nowhere" });
    assert.deepEqual(elsewhere.sessions.filter((x) => x.sessionId === s.sessionId), []);
  });
});

it("session/list pages with nextCursor and cursor", async () => {
  const h = await start();
  await withAgent(h, async () => {
    await h.initialize();
    await h.loginWithKey();
    const made = new Set<string>();
    for (let i = 0; i < 60; i++) made.add((await h.newSession()).sessionId);
    const first = await h.agent.request("session/list", {});
    assert.ok(first.sessions.length < 60 && first.nextCursor, `one page held ${first.sessions.length} sessions and no cursor`);
    const second = await h.agent.request("session/list", { cursor: first.nextCursor });
    const seen = [...first.sessions, ...second.sessions].map((x) => x.sessionId);
    assert.equal(new Set(seen).size, seen.length, "a session was listed twice");
    assert.deepEqual(new Set(seen), made);
    assert.equal(second.nextCursor ?? null, null);
    assert.equal((await rejects(h.agent.request("session/list", { cursor: "not-a-cursor" }))).code, -32602);
  });
});

it("session/close cancels the turn and frees the session; session/resume brings it back without a replay", async () => {
  const h = await start({ steps: [{ text: "One." }, { text: "Working on", stall: true }, { text: "Back." }] });
  await withAgent(h, async () => {
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "one" }] });
    const running = h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "two" }] });
    await h.waitFor((n) => n.sessionId === s.sessionId && n.update.sessionUpdate === "agent_message_chunk" && JSON.stringify(n.update).includes("Working"));
    assert.deepEqual(await h.agent.request("session/close", { sessionId: s.sessionId }), {});
    assert.equal((await running).stopReason, "cancelled");
    const gone = await rejects(h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "hello?" }] }));
    assert.equal(gone.code, -32002);
    const before = h.of(s.sessionId).length;
    const resumed = await h.agent.request("session/resume", { sessionId: s.sessionId, cwd: h.workspace });
    assert.ok(resumed.configOptions?.some((o) => o.category === "model"));
    // Its commands again, and no replay.
    assert.deepEqual(h.of(s.sessionId).slice(before).map((u) => u.sessionUpdate), ["usage_update", "available_commands_update"], "session/resume replayed the session");
    const next = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "three" }] });
    assert.equal(next.stopReason, "end_turn");
    assert.match(await lastModelRequest(h), /One\./);
  });
});

it("slash commands: the session announces /undo, /compact, /new and /status, and deckhand answers them", async () => {
  const h = await start({ steps: [
    { calls: [{ id: "w1", name: "write", arguments: { path: "a.txt", content: "new\n" } }] },
    { text: "Wrote it." },
    { text: "Fresh." },
  ] });
  await withAgent(h, async () => {
    writeFileSync(join(h.workspace, "a.txt"), "old\n");
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    // Announced right after session/new, before any prompt.
    const cmds = (await h.waitFor((n) => n.sessionId === s.sessionId && n.update.sessionUpdate === "available_commands_update")).update as acp.AvailableCommandsUpdate;
    assert.deepEqual(cmds.availableCommands.map((c) => c.name), ["undo", "compact", "new", "status"]);
    h.answers = ["allow_once"];
    await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "write a.txt" }] });
    assert.equal(readFileSync(join(h.workspace, "a.txt"), "utf8"), "new\n");
    assert.equal(h.of(s.sessionId).filter((u) => u.sessionUpdate === "available_commands_update").length, 1, "announced twice");
    const modelCalls = (await h.fake.requests()).filter((r) => r.path.endsWith("/responses")).length;

    const say = async (text: string) => {
      const before = h.text(s.sessionId).length;
      const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text }] });
      assert.equal(res.stopReason, "end_turn");
      return h.text(s.sessionId).slice(before);
    };
    const status = await say("/status");
    assert.match(status, /API key/);
    assert.match(status, /Model: \S+, reasoning effort medium/);
    assert.match(status, /Context: \d+ of \d+ tokens/);
    assert.match(await say("/undo"), /Put back a\.txt/);
    assert.equal(readFileSync(join(h.workspace, "a.txt"), "utf8"), "old\n");
    assert.match(await say("/undo"), /Nothing was undone/);
    assert.equal((await h.fake.requests()).filter((r) => r.path.endsWith("/responses")).length, modelCalls, "a command went to the model");
    // /compact asks the model for a compaction now; /new starts over, and the next request carries none of the earlier turns.
    assert.match(await say("/compact"), /Compacted the conversation: about \d+ tokens before, \d+ now/);
    assert.match(await lastModelRequest(h), /compaction_trigger/);
    assert.match(await say("/new"), /Started over/);
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "fresh start" }] });
    assert.equal(res.stopReason, "end_turn");
    const last = await lastModelRequest(h);
    assert.match(last, /fresh start/);
    assert.doesNotMatch(last, /write a\.txt/);
    assert.doesNotMatch(last, /compaction/);
  });
});

it("a ChatGPT session starts at its model's default effort, and /status and usage_update carry the plan's limits", async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "deckhand-acp-fake-")));
  const fake = await startFake(dir, [{ text: "One.", usage: [500, 5] }, { text: "A dot." }], ["--rate-limits"]);
  const h = await start({ fake });
  try {
    await withAgent(h, async () => {
      await h.initialize();
      await rejects(h.agent.request("authenticate", { methodId: "chat-gpt-device-code" }));
      assert.deepEqual(await h.agent.request("authenticate", { methodId: "chat-gpt-device-code" }), {});
      const s = await h.newSession();
      // The catalog's first model says low.
      assert.equal(s.configOptions?.find((o) => o.category === "thought_level")?.currentValue, "low");
      await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "hi" }] });
      const reqs = (await fake.requests()).filter((r) => r.path.endsWith("/responses"));
      assert.equal((reqs[reqs.length - 1].body as { reasoning?: { effort?: string } }).reasoning?.effort, "low");
      const usage = h.of(s.sessionId).find((u) => u.sessionUpdate === "usage_update") as { _meta?: Record<string, { planType?: string; windows: { name: string; usedPercent: number; windowMinutes: number }[] }> };
      const limits = usage?._meta?.["deckhand/limits"];
      assert.ok(limits, `usage_update ${JSON.stringify(usage)}`);
      assert.equal(limits.planType, "plus");
      assert.deepEqual(limits.windows.map((w) => [w.name, w.usedPercent, w.windowMinutes]), [["5h", 12, 300], ["weekly", 40, 10080]]);
      const before = h.text(s.sessionId).length;
      await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "/status" }] });
      const status = h.text(s.sessionId).slice(before);
      assert.match(status, /Logged in with ChatGPT/);
      assert.match(status, /reasoning effort low/);
      assert.match(status, /Plan limits \(plus\):\n- 5h: 12% used, resets \S+[^\n]*\n- weekly: 40% used/);
      // The model takes images: a pasted one goes with the message; audio is refused with the reason.
      const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
      const seen = await h.agent.request("session/prompt", { sessionId: s.sessionId,
        prompt: [{ type: "text", text: "look" }, { type: "image", data: png, mimeType: "image/png" }] });
      assert.equal(seen.stopReason, "end_turn");
      assert.match(await lastModelRequest(h), /"image_url":"data:image\/png;base64,iVBORw0KGgo[^"]*","type":"input_image"/);
      const audio = await rejects(h.agent.request("session/prompt", { sessionId: s.sessionId,
        prompt: [{ type: "text", text: "hear" }, { type: "audio", data: "AAAA", mimeType: "audio/wav" }] }));
      assert.match(audio.message, /takes no audio input/);
    });
  } finally {
    fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

it("model and reasoning effort are session config options", async () => {
  const h = await start({ steps: [{ text: "Changed." }] });
  await withAgent(h, async () => {
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    const model = s.configOptions?.find((o) => o.category === "model");
    assert.ok(model && model.type === "select", JSON.stringify(s.configOptions));
    const values = (model.options as acp.SessionConfigSelectOption[]).map((o) => o.value);
    const other = values.find((v) => v !== model.currentValue)!;
    assert.ok(other, "the login offers more than one model");
    const res = await h.agent.request("session/set_config_option", { sessionId: s.sessionId, configId: model.id, value: other });
    assert.equal(res.configOptions.find((o) => o.id === model.id)?.currentValue, other);
    const effort = res.configOptions.find((o) => o.category === "thought_level")!;
    const res2 = await h.agent.request("session/set_config_option", { sessionId: s.sessionId, configId: effort.id, value: "high" });
    assert.equal(res2.configOptions.find((o) => o.id === effort.id)?.currentValue, "high");
    assert.equal(res2.configOptions.find((o) => o.id === model.id)?.currentValue, other);
    const bad = await rejects(h.agent.request("session/set_config_option", { sessionId: s.sessionId, configId: model.id, value: "no-such-model" }));
    assert.equal(bad.code, -32602);
    const turn = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "hi" }] });
    assert.equal(turn.stopReason, "end_turn");
  });
});

it("a client that serves fs/* gets the edit in its buffer, not on disk", async () => {
  const steps = [
    { calls: [{ id: "r1", name: "read", arguments: { path: "a.txt" } }] },
    { calls: [{ id: "e1", name: "edit", arguments: { path: "a.txt", oldString: "unsaved", newString: "edited" } }] },
    { text: "Edited your buffer." },
  ];
  const buffers = new Map<string, string>();
  const writes: { path: string; content: string }[] = [];
  const reads: string[] = [];
  const h = await start({
    steps,
    handlers: (app) => app
      .onRequest("fs/read_text_file", ({ params }) => {
        reads.push(params.path);
        const text = buffers.get(params.path);
        if (text === undefined) throw acp.RequestError.resourceNotFound(params.path);
        return { content: text };
      })
      .onRequest("fs/write_text_file", ({ params }) => {
        writes.push({ path: params.path, content: params.content });
        buffers.set(params.path, params.content);
        return {};
      }),
  });
  await withAgent(h, async () => {
    const file = join(h.workspace, "a.txt");
    writeFileSync(file, "on disk\n");
    buffers.set(file, "unsaved buffer\n");
    await h.initialize({ fs: { readTextFile: true, writeTextFile: true } });
    await h.loginWithKey();
    const s = await h.newSession();
    h.answers = ["allow_once"];
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "edit the buffer" }] });
    assert.equal(res.stopReason, "end_turn");
    assert.ok(reads.includes(file));
    assert.deepEqual(writes, [{ path: file, content: "edited buffer\n" }]);
    assert.equal(readFileSync(file, "utf8"), "on disk\n", "the edit reached the disk");
    const read = h.of(s.sessionId).find((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === "r1" && u.status === "completed") as acp.ToolCallUpdate;
    assert.match(JSON.stringify(read.content), /unsaved buffer/);
    const diff = h.asked[0].params.toolCall.content?.find((c) => c.type === "diff") as acp.Diff & { type: "diff" };
    assert.equal(diff.oldText, "unsaved buffer\n");
  });
});

it("logout forgets the login", async () => {
  const h = await start();
  await withAgent(h, async () => {
    await h.initialize();
    await h.loginWithKey();
    await h.newSession();
    await h.agent.request("logout", {});
    assert.equal((await rejects(h.newSession())).code, -32000);
  });
});

it("a client with terminals runs bash in its own terminal, and releases it", async () => {
  const steps = [
    { calls: [{ id: "b1", name: "bash", arguments: { command: "echo hi > made-by-bash.txt" } }] },
    { text: "Ran it." },
  ];
  const calls: string[] = [];
  let created: acp.CreateTerminalRequest | undefined;
  const h = await start({
    steps,
    handlers: (app) => app
      .onRequest("terminal/create", ({ params }) => { calls.push("create"); created = params; return { terminalId: "t1" }; })
      .onRequest("terminal/wait_for_exit", ({ params }) => { calls.push(`wait ${params.terminalId}`); return { exitCode: 3 }; })
      .onRequest("terminal/output", ({ params }) => { calls.push(`output ${params.terminalId}`); return { output: "output from the client's terminal\n", truncated: false }; })
      .onRequest("terminal/release", ({ params }) => { calls.push(`release ${params.terminalId}`); return {}; })
      .onRequest("terminal/kill", () => { calls.push("kill"); return {}; }),
  });
  await withAgent(h, async () => {
    await h.initialize({ terminal: true });
    await h.loginWithKey();
    const s = await h.newSession();
    h.answers = ["allow_once"];
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "run it" }] });
    assert.equal(res.stopReason, "end_turn");
    assert.deepEqual(calls, ["create", "wait t1", "output t1", "release t1"]);
    assert.equal(created?.command, "bash");
    assert.deepEqual(created?.args, ["-c", "echo hi > made-by-bash.txt"]);
    assert.equal(created?.cwd, h.workspace);
    assert.throws(() => readFileSync(join(h.workspace, "made-by-bash.txt")), "deckhand ran the command itself");
    // A non-zero exit is a command that ran, as with bash on disk: completed, its status in the output.
    const done = h.of(s.sessionId).find((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === "b1" && (u.status === "completed" || u.status === "failed")) as acp.ToolCallUpdate;
    assert.equal(done.status, "completed");
    assert.match(JSON.stringify(done.content), /output from the client's terminal[\s\S]*exit code: 3/);
    const call = h.of(s.sessionId).find((u) => u.sessionUpdate === "tool_call" && u.toolCallId === "b1") as acp.ToolCall;
    assert.equal(call.kind, "execute");
    const shown = h.of(s.sessionId).find((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === "b1" && u.content?.some((c) => c.type === "terminal"));
    assert.ok(shown, "the terminal is not shown in the tool call");
  });
});

it("the terminal login method: `deckhand acp login headless` logs in for the next process", async () => {
  const first = await start();
  const login = spawn(process.env.DECKHAND_BIN ?? "bin/deckhand", ["acp", "login", "headless"], {
    cwd: first.workspace,
    env: { PATH: process.env.PATH ?? "", HOME: first.dir, DECKHAND_HOME: first.home, DECKHAND_AUTH_ISSUER: first.fake.issuer,
      DECKHAND_CODEX_BASE_URL: first.fake.codex, OPENAI_BASE_URL: first.fake.api, DECKHAND_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  login.stdout.on("data", (b: Buffer) => { out += b.toString(); });
  login.stderr.on("data", (b: Buffer) => { out += b.toString(); });
  const code = await new Promise<number | null>((resolve) => login.once("exit", resolve));
  await withAgent(first, async () => {
    assert.equal(code, 0, out);
    assert.match(out, /code/i);
    assert.doesNotMatch(out, /^\{/m, "JSON log lines in the login's text");
    await first.initialize({ auth: { terminal: true } } as acp.ClientCapabilities);
    await first.newSession(); // no authenticate: the terminal login is seen
  });
});

it("session/cancel while the user is asked: the request is cancelled and the turn ends cancelled", async () => {
  const steps = [
    { calls: [{ id: "w1", name: "write", arguments: { path: "a.txt", content: "x\n" } }] },
    { text: "After." },
  ];
  let aborted = false;
  const h = await start({
    steps,
    onPermission: (params, signal) =>
      new Promise((resolve) => {
        h.asked.push({ params, chose: null });
        signal.addEventListener("abort", () => { aborted = true; resolve({ outcome: { outcome: "cancelled" } }); });
      }),
  });
  await withAgent(h, async () => {
    await h.initialize();
    await h.loginWithKey();
    const s = await h.newSession();
    const prompt = h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "write" }] });
    while (h.asked.length === 0) await new Promise((r) => setTimeout(r, 10));
    await h.agent.notify("session/cancel", { sessionId: s.sessionId });
    const res = await prompt;
    assert.equal(res.stopReason, "cancelled");
    // $/cancel_request was written before the answer; the library may run its abort a little later.
    for (let i = 0; i < 200 && !aborted; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(aborted, "the pending permission request was not cancelled with $/cancel_request");
    assert.throws(() => readFileSync(join(h.workspace, "a.txt")), "the write ran");
  });
});

it("a session from an earlier process is listed, loaded (replayed) and continued", async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "deckhand-load-")));
  const fake = await startFake(dir, [
    { reasoning: "Let me look.", text: "Reading.", calls: [{ id: "r1", name: "read", arguments: { path: "a.txt" } }] },
    { calls: [{ id: "e1", name: "edit", arguments: { path: "a.txt", oldString: "hello", newString: "bye" } }] },
    { text: "It says hello." },
    { text: "Still here, and I remember." },
  ]);
  const home = join(dir, "home");
  const workspace = join(dir, "ws");
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, "a.txt"), "hello\n");
  try {
    const first = await start({ fake, home, workspace });
    let id = "";
    try {
      await first.initialize();
      await first.loginWithKey();
      id = (await first.newSession()).sessionId;
      first.answers = ["allow_once"];
      const res = await first.agent.request("session/prompt", { sessionId: id, prompt: [{ type: "text", text: "what does a.txt say?" }] });
      assert.equal(res.stopReason, "end_turn");
    } finally {
      await first.close();
    }

    const second = await start({ fake, home, workspace });
    try {
      const init = await second.initialize();
      assert.equal(init.agentCapabilities?.loadSession, true);
      const list = await second.agent.request("session/list", { cwd: workspace });
      const listed = list.sessions.find((x) => x.sessionId === id);
      assert.ok(listed, `session ${id} not listed: ${JSON.stringify(list)}`);
      assert.equal(listed.title, "what does a.txt say?");
      assert.equal(listed.cwd, workspace);

      await second.agent.request("session/load", { sessionId: id, cwd: workspace, mcpServers: [] });
      const replayed = second.of(id); // all of it arrived before the answer
      const kinds = replayed.map((u) => u.sessionUpdate);
      // In the order it happened: thought, text, calls, answer; then how full the window is, and the session's commands.
      assert.deepEqual(kinds, ["user_message_chunk", "agent_thought_chunk", "agent_message_chunk", "tool_call", "tool_call", "agent_message_chunk", "usage_update", "available_commands_update"]);
      assert.equal(second.text(id, "agent_thought_chunk"), "Let me look.");
      const edit = replayed.find((u) => u.sessionUpdate === "tool_call" && u.toolCallId === "e1") as acp.ToolCall;
      const diff = edit.content?.find((c) => c.type === "diff") as acp.Diff & { type: "diff" };
      assert.deepEqual({ path: diff?.path, oldText: diff?.oldText, newText: diff?.newText }, { path: join(workspace, "a.txt"), oldText: "hello", newText: "bye" });
      assert.match(JSON.stringify(replayed[0]), /what does a.txt say\?/);
      const tool = replayed.find((u) => u.sessionUpdate === "tool_call") as acp.ToolCall;
      assert.equal(tool.toolCallId, "r1");
      assert.equal(tool.status, "completed");
      assert.equal(tool.kind, "read");
      assert.match(second.text(id), /It says hello\./);

      const next = await second.agent.request("session/prompt", { sessionId: id, prompt: [{ type: "text", text: "and now?" }] });
      assert.equal(next.stopReason, "end_turn");
      assert.match(second.text(id), /Still here, and I remember\./);

      const missing = await rejects(second.agent.request("session/load", { sessionId: "ses_0000000000000000", cwd: workspace, mcpServers: [] }));
      assert.equal(missing.code, -32002);
    } finally {
      await second.close();
    }
  } finally {
    fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

it("a loaded session keeps the model and reasoning effort it chose", async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "deckhand-keep-")));
  const fake = await startFake(dir, [{ text: "First." }, { text: "Second." }]);
  const home = join(dir, "home");
  const workspace = join(dir, "ws");
  mkdirSync(workspace, { recursive: true });
  try {
    const first = await start({ fake, home, workspace });
    let id = "";
    let model = "";
    try {
      await first.initialize();
      await first.loginWithKey();
      const s = await first.newSession();
      id = s.sessionId;
      const opt = s.configOptions!.find((o) => o.category === "model")!;
      assert.ok(opt.type === "select");
      model = (opt.options as acp.SessionConfigSelectOption[]).map((o) => o.value).find((v) => v !== opt.currentValue)!;
      await first.agent.request("session/prompt", { sessionId: id, prompt: [{ type: "text", text: "one" }] });
      // Chosen after the last turn: kept all the same.
      await first.agent.request("session/set_config_option", { sessionId: id, configId: opt.id, value: model });
      await first.agent.request("session/set_config_option", { sessionId: id, configId: "reasoning_effort", value: "high" });
    } finally {
      await first.close();
    }
    const second = await start({ fake, home, workspace });
    try {
      await second.initialize();
      const loaded = await second.agent.request("session/load", { sessionId: id, cwd: workspace, mcpServers: [] });
      const current = (cat: string) => loaded.configOptions?.find((o) => o.category === cat)?.currentValue;
      assert.equal(current("model"), model);
      assert.equal(current("thought_level"), "high");
      await second.agent.request("session/prompt", { sessionId: id, prompt: [{ type: "text", text: "two" }] });
      const reqs = (await fake.requests()).filter((r) => r.path.endsWith("/responses"));
      const body = reqs[reqs.length - 1].body as { model: string; reasoning?: { effort?: string } };
      assert.equal(body.model, model);
      assert.equal(body.reasoning?.effort, "high");
    } finally {
      await second.close();
    }
  } finally {
    fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

it("a command in the client's terminal that outlives its timeout is killed and its output kept", async () => {
  const steps = [
    { calls: [{ id: "b1", name: "bash", arguments: { command: "sleep 600", timeoutMs: 300 } }] },
    { text: "It timed out." },
  ];
  const calls: string[] = [];
  const h = await start({
    steps,
    handlers: (app) => app
      .onRequest("terminal/create", () => { calls.push("create"); return { terminalId: "t9" }; })
      .onRequest("terminal/wait_for_exit", ({ signal }) => new Promise((_resolve, reject) => {
        calls.push("wait");
        signal.addEventListener("abort", () => { calls.push("wait aborted"); reject(signal.reason); });
      }))
      .onRequest("terminal/kill", () => { calls.push("kill"); return {}; })
      .onRequest("terminal/output", () => { calls.push("output"); return { output: "partial output\n", truncated: false }; })
      .onRequest("terminal/release", () => { calls.push("release"); return {}; }),
  });
  await withAgent(h, async () => {
    await h.initialize({ terminal: true });
    await h.loginWithKey();
    const s = await h.newSession();
    h.answers = ["allow_once"];
    const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "run" }] });
    assert.equal(res.stopReason, "end_turn");
    assert.deepEqual(calls.filter((c) => c !== "wait aborted"), ["create", "wait", "kill", "output", "release"]);
    const done = h.of(s.sessionId).find((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === "b1" && (u.status === "failed" || u.status === "completed")) as acp.ToolCallUpdate;
    assert.equal(done.status, "failed");
    assert.match(JSON.stringify(done.content), /partial output[\s\S]*timed out after 300ms/);
  });
});

// The README's configurations for Zed, JetBrains and CodeCompanion: each
// snippet's command line, fed to the official client library, is a working
// agent.
it("the README's editor snippets start a working deckhand acp", async () => {
  const readme = readFileSync(join(process.cwd(), "../../README.md"), "utf8");
  const from = readme.indexOf("## Zed, JetBrains, CodeCompanion");
  const to = readme.indexOf("\n## ", from + 1);
  const section = readme.slice(from, to < 0 ? undefined : to);
  const blocks = [...section.matchAll(/```(json|lua)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
  const lines: { editor: string; command: string; args: string[] }[] = [];
  for (const b of blocks) {
    if (b.lang === "json") {
      const server = JSON.parse(b.text).agent_servers.deckhand as { command: string; args: string[] };
      lines.push({ editor: b.text.includes('"type"') ? "Zed" : "JetBrains", command: server.command, args: server.args });
    } else {
      const m = b.text.match(/commands = \{ default = \{ ([^}]*) \} \}/);
      assert.ok(m, "the CodeCompanion snippet has no command line");
      const words = m[1].split(",").map((w) => JSON.parse(w.trim()));
      lines.push({ editor: "CodeCompanion", command: words[0], args: words.slice(1) });
    }
  }
  assert.deepEqual(lines.map((l) => l.editor), ["Zed", "JetBrains", "CodeCompanion"]);
  for (const l of lines) {
    assert.equal(l.command, "deckhand", `${l.editor} runs ${l.command}`);
    const h = await start({ args: l.args, steps: [{ text: `Hello, ${l.editor}.` }] });
    await withAgent(h, async () => {
      const init = await h.initialize();
      assert.equal(init.agentInfo?.name, "deckhand", l.editor);
      await h.loginWithKey();
      const s = await h.newSession();
      const res = await h.agent.request("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "hi" }] });
      assert.equal(res.stopReason, "end_turn");
      assert.equal(h.text(s.sessionId), `Hello, ${l.editor}.`);
    });
  }
});
