// activate() and the commands, with the vscode module stubbed and the real
// deckhand binary behind them: the login picker and its flows, a streamed
// chat in the output channel, permission prompts, errors and cancel.

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, test } from "node:test";
import { binaries, Fake, startFake, Step, until } from "./support/fixture";
import type * as Stub from "./support/vscode-stub";

const vscode = require("vscode") as typeof Stub;
const ext = require("../src/extension") as typeof import("../src/extension");

const labels = ["ChatGPT Plus/Pro (browser)", "ChatGPT Plus/Pro (headless)", "Manually enter API key"];

let fake: Fake | undefined;

/** Starts a fake with steps and activates the extension against it. */
async function activate(steps: Step[] = []) {
  vscode.reset();
  fake = await startFake(steps);
  Object.assign(process.env, fake.env);
  vscode.config["deckhand.path"] = binaries().deckhand;
  vscode.workspace.workspaceFolders = [{ uri: vscode.Uri.file(fake.workspace) }];
  const api = ext.activate({ subscriptions: [] } as any);
  await api.host.connection();
  return api;
}

afterEach(async () => {
  await ext.deactivate();
  await fake?.stop();
  fake = undefined;
});

const output = () => vscode.shown.channels.get("deckhand")!.text;
const status = () => vscode.shown.statusItems[0].text;
const pick = (label: string) => async (items: { label: string }[]) => items.find((i) => i.label === label);

test("login headless: the picker's labels, the code toast, copy & open", async () => {
  await activate();
  assert.match(status(), /deckhand: not logged in/);
  vscode.ui.quickPick = pick("ChatGPT Plus/Pro (headless)");
  vscode.ui.message = async (m) => (m.items.includes("Copy code & open") ? "Copy code & open" : undefined);
  const ok = await vscode.commands.executeCommand("deckhand.login");
  assert.equal(ok, undefined); // commands resolve to nothing; the result shows in the UI
  assert.deepEqual(vscode.shown.quickPicks, [labels]);
  const toast = vscode.shown.messages.find((m) => m.items.includes("Copy code & open"));
  assert.ok(toast, JSON.stringify(vscode.shown.messages));
  const code = /enter code (\S+) at (\S+)/.exec(toast.text);
  assert.ok(code, toast.text);
  assert.ok(code[2].startsWith(fake!.issuer), code[2]);
  await until("clipboard", () => vscode.shown.clipboard !== "");
  assert.equal(vscode.shown.clipboard, code[1]);
  assert.deepEqual(vscode.shown.opened, [code[2]]);
  assert.match(vscode.shown.progress[0].title ?? "", new RegExp(code[1]));
  assert.match(vscode.shown.progress[0].messages[0], /expires in \d+:\d\d/);
  assert.ok(vscode.shown.messages.some((m) => m.level === "info" && /logged in with ChatGPT/.test(m.text)));
  assert.match(status(), /deckhand: ChatGPT/);
  assert.match(output(), new RegExp(`enter the code ${code[1]}`));
});

test("login with an API key, then logout", async () => {
  await activate();
  vscode.ui.quickPick = pick("Manually enter API key");
  vscode.ui.inputBox = async () => "sk-fake";
  await vscode.commands.executeCommand("deckhand.login");
  assert.equal(vscode.shown.inputBoxes[0].password, true);
  assert.match(status(), /deckhand: API key/);
  const auth = JSON.parse(fs.readFileSync(path.join(fake!.home, "auth.json"), "utf8"));
  assert.equal(auth.openai.type, "api");
  await vscode.commands.executeCommand("deckhand.logout");
  assert.match(status(), /deckhand: not logged in/);
  assert.ok(vscode.shown.messages.some((m) => m.text === "deckhand: logged out."));
});

test("login in the browser of another machine: a bad paste, then the right one", async () => {
  await activate();
  vscode.env.remoteName = "ssh-remote";
  vscode.ui.quickPick = pick("ChatGPT Plus/Pro (browser)");
  let offers = 0;
  vscode.ui.message = async (m) => (m.items.includes("Paste redirect URL") && offers++ === 0 ? "Paste redirect URL" : undefined);
  const pastes = ["http://localhost:1455/auth/callback?code=x&state=wrong"];
  vscode.ui.inputBox = async () => {
    if (pastes.length) return pastes.shift();
    // The user's browser signs in at the opened URL and lands on the redirect.
    const res = await fetch(vscode.shown.opened[0], { redirect: "manual" });
    return res.headers.get("location") ?? "";
  };
  await vscode.commands.executeCommand("deckhand.login");
  assert.equal(vscode.shown.opened.length, 1);
  assert.ok(vscode.shown.opened[0].startsWith(`${fake!.issuer}/oauth/authorize?`), vscode.shown.opened[0]);
  assert.equal(vscode.shown.inputBoxes.length, 2);
  const errors = vscode.shown.messages.filter((m) => m.level === "error");
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(status(), /deckhand: ChatGPT/);
});

test("chat streams into the output channel and keeps its session", async () => {
  const { chat } = await activate([
    { reasoning: "Looking first.", text: "Let me look.", calls: [{ id: "c1", name: "list", arguments: {} }] },
    { text: "All done here." },
    { text: "Second answer." },
  ]);
  fs.writeFileSync(path.join(fake!.workspace, "hello.go"), "package main\n");
  vscode.ui.quickPick = pick("Manually enter API key");
  vscode.ui.inputBox = async () => "sk-fake";
  await vscode.commands.executeCommand("deckhand.login");
  vscode.ui.inputBox = async () => "what is here?";
  await vscode.commands.executeCommand("deckhand.chat");
  const first = chat.sessionId;
  assert.match(first ?? "", /^ses_/);
  const text = output();
  for (const want of ["> what is here?", "[thinking] Looking first.", "Let me look.", '[tool] list {}', "[tool] list: ok", "All done here.", "[done: end_turn, 2 steps"]) {
    assert.ok(text.includes(want), `output lacks ${JSON.stringify(want)}:\n${text}`);
  }
  vscode.ui.inputBox = async () => "and then?";
  await vscode.commands.executeCommand("deckhand.chat");
  assert.equal(chat.sessionId, first);
  assert.ok(output().includes("Second answer.\n[done: end_turn, 1 step,"), output());
});

for (const [answer, present] of [["Deny", false], ["Allow", true]] as const) {
  test(`permission prompt answered ${answer}`, async () => {
    await activate([
      { calls: [{ id: "w1", name: "write", arguments: { path: "note.txt", content: "hi\n" } }] },
      { text: "Finished." },
    ]);
    vscode.ui.quickPick = pick("Manually enter API key");
    vscode.ui.inputBox = async () => "sk-fake";
    await vscode.commands.executeCommand("deckhand.login");
    vscode.ui.message = async (m) => (m.modal ? answer : undefined);
    vscode.ui.inputBox = async () => "write a note";
    await vscode.commands.executeCommand("deckhand.chat");
    const prompt = vscode.shown.messages.find((m) => m.modal);
    assert.ok(prompt, "a modal prompt was shown");
    assert.deepEqual(prompt.items, ["Allow", "Allow always", "Deny"]);
    assert.match(prompt.text, /deckhand wants to run write: .*note\.txt/);
    assert.match(prompt.detail ?? "", /"content": "hi\\n"/);
    assert.equal(fs.existsSync(path.join(fake!.workspace, "note.txt")), present);
    assert.ok(output().includes(present ? "[tool] write: ok" : "[tool] write: failed"), output());
    assert.ok(output().includes(`[permission] write`), output());
  });
}

test("not logged in: the error offers the picker, then the message is sent again", async () => {
  const { chat } = await activate([{ text: "Hello after login." }]);
  vscode.ui.message = async (m) => (m.items.includes("Log in") ? "Log in" : undefined);
  vscode.ui.quickPick = pick("Manually enter API key");
  const answers = ["hello?", "sk-fake"];
  vscode.ui.inputBox = async () => answers.shift();
  await vscode.commands.executeCommand("deckhand.chat");
  const err = vscode.shown.messages.find((m) => m.level === "error");
  assert.ok(err && /not logged in/.test(err.text), JSON.stringify(vscode.shown.messages));
  assert.deepEqual(vscode.shown.quickPicks, [labels]);
  assert.ok(output().includes("Hello after login."), output());
  assert.match(chat.sessionId ?? "", /^ses_/);
});

test("cancel stops a running turn and keeps the text so far", async () => {
  const { chat } = await activate([{ text: "Partial answer", stall: true }]);
  vscode.ui.quickPick = pick("Manually enter API key");
  vscode.ui.inputBox = async () => "sk-fake";
  await vscode.commands.executeCommand("deckhand.login");
  vscode.ui.inputBox = async () => "take your time";
  const running = vscode.commands.executeCommand("deckhand.chat");
  await until("the streamed text", () => output().includes("Partial answer"));
  await vscode.commands.executeCommand("deckhand.cancel");
  await running;
  assert.ok(output().includes("[done: cancelled"), output());
  assert.equal(chat.running, false);
});

test("a binary that cannot start is reported with its message", async () => {
  vscode.reset();
  vscode.config["deckhand.path"] = "/nonexistent/deckhand";
  vscode.workspace.workspaceFolders = undefined;
  ext.activate({ subscriptions: [] } as any);
  await vscode.commands.executeCommand("deckhand.status");
  const err = vscode.shown.messages.find((m) => m.level === "error");
  assert.ok(err && /deckhand\.path/.test(err.text), JSON.stringify(vscode.shown.messages));
});
