// The extension in a real VS Code workbench (see workbench.ts): the login,
// markdown, tool and permission cards, the diff review, stopping, selections,
// the model picker and history.
//
// The cases run in order against one fake whose model steps are consumed in
// that order; each asserts on what the user sees.

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import type { FrameLocator } from "playwright-core";
import * as os from "node:os";
import { caps, chatFrame, fake, openChat, openWorkbench, opts, page, quickPickRows, runCommand, send, shot, start, statusItem, step, stop, ui } from "./workbench";

const shotDir = process.env.SHOT_DIR ?? path.join(os.tmpdir(), "deckhand-ui-shots");
const labels = ["ChatGPT Plus/Pro (browser)", "ChatGPT Plus/Pro (headless)", "Manually enter API key"];

before(() =>
  start([
    // markdown
    { reasoning: "Thinking about the plan.", text: "## Plan\n\nThis is **bold** and `inline`.\n\n```ts\nconst answer: number = 42;\n```\n" },
    // tool card
    { calls: [{ id: "b1", name: "bash", arguments: { command: "echo tool-output-visible" } }] },
    { text: "The command ran." },
    // edit: denied with a reason, then allowed
    { calls: [{ id: "e1", name: "edit", arguments: { path: "a.txt", oldString: "two", newString: "TWO" } }] },
    { text: "Not editing then." },
    { calls: [{ id: "e2", name: "edit", arguments: { path: "a.txt", oldString: "two", newString: "TWO" } }] },
    { text: "Edited." },
    // stop
    { text: "Partial answer", stall: true },
    // selection
    { text: "Seen the selection." },
    // model
    { text: "Answered by the chosen model." },
    // history
    { text: "Remember this conversation." },
    // apply_patch review (protocol 1.2)
    {
      calls: [
        {
          id: "p1",
          name: "apply_patch",
          input: "*** Begin Patch\n*** Update File: a.txt\n@@\n one\n-two\n+two again\n*** Add File: notes/new.md\n+# New notes\n+written by a patch\n*** Delete File: calc.ts\n*** End Patch",
        },
      ],
    },
    { text: "Patched three files." },
    // a command whose output streams
    {
      calls: [
        {
          id: "x1",
          name: "exec_command",
          arguments: { cmd: "for i in 1 2 3 4 5 6; do echo step-$i; sleep 0.5; done", sandbox_permissions: "require_escalated", justification: "prints slowly, to show streaming", yield_time_ms: 10000 },
        },
      ],
    },
    { text: "Counted." },
    // diagnostics from the editor: an edit that breaks lint.ts
    { calls: [{ id: "d1", name: "edit", arguments: { path: "lint.ts", oldString: "= 1", newString: "= BROKEN" } }] },
    { text: "Linted." },
  ], {
    extensions: [path.join(__dirname, "..", "..", "..", "test", "ui", "fakelint")],
    homeFiles: {
      "config.json": JSON.stringify({ mcpServers: { testmcp: { command: process.execPath, args: [path.join(__dirname, "..", "..", "..", "test", "support", "mcp-server.js")] } } }),
    },
    fakeArgs: ["--rate-limits"],
    files: {
      "a.txt": "one\ntwo\nthree\n",
      "lint.ts": "// checked by fakelint\nexport const ok = 1;\n",
      "calc.ts": "export function add(a: number, b: number) {\n  return a + b; // SELECTED-MARKER\n}\n",
    },
  }),
);

after(stop);

test("first run: the chat offers the login before any message", opts, () =>
  ui("first-run", async () => {
    const v = await openChat();
    const card = v.locator("#login");
    await card.waitFor({ state: "visible", timeout: step });
    assert.match(await card.innerText(), /Log in to start/);
    await shot("first-run-login");
    await card.getByRole("button", { name: "Log in" }).click();
    assert.deepEqual(await quickPickRows(labels.length), labels);
    await page.keyboard.press("Escape");
  }));

test("login: the picker, the device code in the chat, the status bar; no toast of the flow stays", opts, () =>
  ui("login", async () => {
    await runCommand("deckhand: Login");
    const rows = await quickPickRows(labels.length);
    assert.deepEqual(rows, labels);
    await page.locator(`.quick-input-list .monaco-list-row[aria-label="${labels[1]}"]`).click();
    // The code and its button are in the chat; the one notification counts down.
    const flow = chatFrame().locator("#flow");
    await flow.waitFor({ state: "visible", timeout: step });
    assert.match(await flow.locator(".code").innerText(), /^[A-Z0-9]{4}-[A-Z0-9]{4,}$/);
    await flow.getByRole("button", { name: "Copy code & open" }).waitFor({ timeout: step });
    const progress = page.locator(".notification-toast", { hasText: "deckhand login: enter code" });
    await progress.waitFor({ timeout: step }).catch(() => undefined); // the fake may already have finished
    await shot("login-flow");
    await statusItem().filter({ hasText: "ChatGPT" }).waitFor({ timeout: step });
    await flow.waitFor({ state: "hidden", timeout: step });
    await chatFrame().locator("#login").waitFor({ state: "hidden", timeout: step });
    // Logged in: nothing of the flow stays on screen.
    await progress.waitFor({ state: "detached", timeout: step });
    assert.equal(await page.locator(".notification-toast", { hasText: "Copy code" }).count(), 0);
  }));

test("the chat view renders markdown, highlighted code with Copy, collapsed thinking", opts, () =>
  ui("markdown", async () => {
    const v = await openChat();
    await send(v, "make a plan");
    const answer = v.locator(".assistant", { has: v.locator("h2", { hasText: "Plan" }) });
    await answer.waitFor({ timeout: step });
    assert.equal(await answer.locator("strong").innerText(), "bold");
    assert.equal(await answer.locator("p code").innerText(), "inline");
    const text = await answer.innerText();
    assert.ok(!text.includes("##") && !text.includes("**") && !text.includes("```"), `raw markdown shown: ${text}`);
    const block = answer.locator(".code");
    assert.ok((await block.locator(".hljs-keyword, .hljs-built_in, .hljs-type").count()) > 0, "the code block is highlighted");
    await block.getByRole("button", { name: "Copy" }).waitFor();
    const thinking = v.locator("details.thinking");
    assert.equal(await thinking.getAttribute("open"), null, "thinking starts collapsed");
    assert.equal(await thinking.locator("summary").innerText(), "Thinking");
    await v.locator(".end", { hasText: "Done" }).first().waitFor({ timeout: step });
    await shot("chat-markdown");
  }));

test("a bash card asks first, shows the command, and its output expands", opts, () =>
  ui("tool", async () => {
    const v = await openChat();
    await send(v, "run echo");
    const card = v.locator(".permission.pending");
    await card.waitFor({ timeout: step });
    assert.equal(await card.locator("pre.command").innerText(), "echo tool-output-visible");
    await shot("permission-bash");
    await card.getByRole("button", { name: "Allow", exact: true }).click();
    const tool = v.locator("details.tool.ok", { hasText: "echo tool-output-visible" });
    await tool.waitFor({ timeout: step });
    assert.equal(await tool.locator("pre.output").isVisible(), false, "output starts collapsed");
    await tool.locator("summary").click();
    await tool.locator("pre.output", { hasText: "tool-output-visible" }).waitFor({ state: "visible", timeout: step });
    await v.getByText("The command ran.").waitFor({ timeout: step });
    await shot("tool-card");
  }));

let deniedTurnBody: any;

test("an edit opens the diff editor; Deny with a reason, then Allow", opts, () =>
  ui("edit", async () => {
    const v = await openChat();
    await send(v, "shout two");
    const diffTab = page.locator(".tabs-container .tab", { hasText: "a.txt: proposed edit" });
    await diffTab.waitFor({ timeout: step });
    await page.locator(".monaco-diff-editor").first().waitFor({ timeout: step });
    const modified = page.locator(".monaco-diff-editor .editor.modified .view-lines");
    await modified.filter({ hasText: "TWO" }).waitFor({ timeout: step });
    await shot("diff-permission");
    const card = v.locator(".permission.pending");
    await card.locator("input.reason").fill("REASON-MARKER keep it lower case");
    await card.getByRole("button", { name: "Deny" }).click();
    await v.locator(".permission.deny", { hasText: "reason: REASON-MARKER" }).waitFor({ timeout: step });
    await v.getByText("Not editing then.").waitFor({ timeout: step });
    assert.equal(fs.readFileSync(path.join(fake.workspace, "a.txt"), "utf8"), "one\ntwo\nthree\n");
    await diffTab.waitFor({ state: "detached", timeout: step });
    const bodies = await fake.modelRequests();
    deniedTurnBody = bodies[bodies.length - 1];

    await send(v, "do it after all");
    await v.locator(".permission.pending").getByRole("button", { name: "Allow", exact: true }).click();
    await v.getByText("Edited.").waitFor({ timeout: step });
    assert.equal(fs.readFileSync(path.join(fake.workspace, "a.txt"), "utf8"), "one\nTWO\nthree\n");
    const end = v.locator(".end").last();
    await end.getByRole("button", { name: "a.txt" }).click();
    await page.locator(".tabs-container .tab", { hasText: "a.txt (changes by deckhand)" }).waitFor({ timeout: step });
    await shot("changed-file-diff");
  }));

test("the deny reason reached the model", opts, (t) => {
  if (!caps.preview) return t.skip("this deckhand does not declare the preview capability of protocol 1.1, which carries the reason");
  assert.ok(JSON.stringify(deniedTurnBody?.input ?? "").includes("REASON-MARKER"), "the model was told the reason");
});

test("while a turn runs: spinner, Send disabled, Stop enabled, the draft kept", opts, () =>
  ui("stop", async () => {
    const v = await openChat();
    await send(v, "take your time");
    await v.getByText("Partial answer").waitFor({ timeout: step });
    await statusItem().locator(".codicon-loading").waitFor({ timeout: step });
    await v.locator("#working").waitFor({ state: "visible", timeout: step });
    const input = v.locator("#msg");
    await input.fill("a draft typed while it runs");
    await input.press("Enter");
    assert.equal(await v.getByRole("button", { name: "Send" }).isDisabled(), true);
    assert.equal(await v.getByRole("button", { name: "Stop" }).isEnabled(), true);
    assert.equal(await input.inputValue(), "a draft typed while it runs", "Enter while running keeps the draft");
    await shot("running");
    await v.getByRole("button", { name: "Stop" }).click();
    await v.locator(".end", { hasText: "Stopped" }).waitFor({ timeout: step });
    assert.equal(await input.inputValue(), "a draft typed while it runs");
    assert.equal(await v.getByRole("button", { name: "Send" }).isEnabled(), true);
    await statusItem().locator(".codicon-loading").waitFor({ state: "detached", timeout: step });
    await input.fill("");
  }));

test("Add Selection to Chat: a chip, and the text reaches the model", opts, () =>
  ui("selection", async () => {
    await page.keyboard.press("F1");
    const q = page.locator(".quick-input-widget input");
    await q.fill("calc.ts");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "calc.ts" }).first().click({ timeout: step });
    const editor = page.locator(".editor-instance .monaco-editor .view-lines", { hasText: "SELECTED-MARKER" });
    await editor.waitFor({ timeout: step });
    await editor.click();
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Home");
    await page.keyboard.press("Shift+ArrowDown");
    await runCommand("deckhand: Add Selection to Chat");
    const v = chatFrame();
    await v.locator("#chips .chip", { hasText: "calc.ts:2" }).waitFor({ timeout: step });
    await shot("selection-chip");
    await send(v, "explain the selection");
    await v.getByText("Seen the selection.").waitFor({ timeout: step });
    const bodies = await fake.modelRequests();
    const body = JSON.stringify(bodies[bodies.length - 1].input);
    assert.ok(body.includes("SELECTED-MARKER"), body.slice(0, 2000));
    assert.equal(await v.locator("#chips .chip").count(), 0, "the chip went with the message");
  }));

test("the model picker lists models; the choice reaches the model and the status bar", opts, () =>
  ui("model", async () => {
    const v = await openChat();
    const select = v.locator("select#model");
    await select.waitFor({ state: "visible", timeout: step });
    const options = await select.locator("option").allInnerTexts();
    assert.ok(options.length >= 2, JSON.stringify(options));
    const values = await select.locator("option").evaluateAll((os) => os.map((o) => (o as any).value));
    const chosen = values[1];
    await select.selectOption(chosen);
    await statusItem().filter({ hasText: chosen }).waitFor({ timeout: step });
    await send(v, "who answers?");
    await v.getByText("Answered by the chosen model.").waitFor({ timeout: step });
    const bodies = await fake.modelRequests();
    assert.equal(bodies[bodies.length - 1].model, chosen);
    await shot("model-picker");
  }));

test("a reopened session is shown as it was live: decisions with reasons, attachments, changed files, Undo", opts, (t) => {
  if (!caps.sessions) return t.skip("this deckhand does not declare the sessions capability of protocol 1.1");
  return ui("reopen", async () => {
    const v = await openChat();
    const live = await transcript(v);
    assert.ok(live.some((x) => x === "permission decided deny|✗ Denied: edit a.txt (reason: REASON-MARKER keep it lower case)"), live.join("\n"));
    assert.ok(live.some((x) => x.startsWith("user|") && x.includes("calc.ts:2")), live.join("\n"));
    assert.ok(live.some((x) => x.startsWith("end|") && x.includes("a.txt") && x.includes("Undo")), live.join("\n"));
    await v.locator("#log > *").first().evaluate((e) => e.setAttribute("data-live", "1"));
    await v.locator(".end", { hasText: "a.txt" }).last().scrollIntoViewIfNeeded();
    await shot("session-live");
    const liveShot = await page.locator(".part.sidebar").screenshot();
    // Reopened from History: the panel is drawn again from sessions/load.
    const history = page.locator(".pane-header", { hasText: "History" });
    await history.click();
    await page.locator(".monaco-list-row", { hasText: "make a plan" }).first().click({ timeout: step });
    await history.click(); // folded again, as the later cases expect it
    await v.locator("#log > [data-live]").waitFor({ state: "detached", timeout: step });
    await v.locator(".end").last().waitFor({ timeout: step });
    assert.deepEqual(await transcript(v), live);
    await v.locator(".end", { hasText: "a.txt" }).last().scrollIntoViewIfNeeded();
    await shot("session-reopened");
    await besideEachOther("session-live-vs-reopened", [
      ["Live", liveShot],
      ["Reopened from History", await page.locator(".part.sidebar").screenshot()],
    ]);
  });
});

/** One picture of several screenshots side by side, each under its caption. */
async function besideEachOther(name: string, shots: [string, Buffer][]): Promise<void> {
  const p = await page.context().browser()!.newPage();
  try {
    const cells = shots.map(([caption, png]) => `<figure><figcaption>${caption}</figcaption><img src="data:image/png;base64,${png.toString("base64")}"></figure>`).join("");
    await p.setContent(`<body style="margin:0;display:flex;gap:16px;padding:8px;background:#ddd;font:14px sans-serif">${cells}</body>`);
    await p.locator("img").last().waitFor();
    fs.mkdirSync(shotDir, { recursive: true });
    await p.screenshot({ path: path.join(shotDir, `${name}.png`), fullPage: true });
  } finally {
    await p.close();
  }
}

/** What the panel shows, one line a card: its kind and what the user reads on it (not a turn's step count). */
async function transcript(v: FrameLocator): Promise<string[]> {
  return v.locator("#log > *").evaluateAll((nodes) =>
    nodes.map((n: any) => {
      const cls = String(n.className).replace(/\b(open)\b/g, "").trim();
      const text = (sel: string) => [...n.querySelectorAll(sel)].map((e: any) => String(e.innerText).trim()).join(" ");
      if (cls.startsWith("end")) return `end|${text(".changed button")}|${n.querySelector(".undone") ? "undone" : ""}`;
      if (cls.startsWith("user")) return `user|${text(".body")}|${text(".chip")}`;
      if (cls.startsWith("tool")) return `${cls}|${text("summary")}`;
      if (cls.startsWith("permission")) return `${cls}|${String(n.innerText).replace(/\s+/g, " ").trim()}`;
      return `${cls}|${String(n.innerText).replace(/\s+/g, " ").trim().slice(0, 200)}`;
    }),
  );
}

test("Undo puts the edited file back", opts, (t) => {
  if (!caps.undo) return t.skip("this deckhand does not declare the undo capability of protocol 1.1");
  return ui("undo", async () => {
    // The edit's turn, reopened just before: its Undo is there as it was live.
    const end = chatFrame().locator(".end", { has: chatFrame().getByRole("button", { name: "a.txt" }) }).last();
    await end.getByRole("button", { name: "Undo" }).click();
    await end.locator(".undone", { hasText: "Restored a.txt" }).waitFor({ timeout: step });
    assert.equal(fs.readFileSync(path.join(fake.workspace, "a.txt"), "utf8"), "one\ntwo\nthree\n");
  });
});

test("New clears the panel", opts, () =>
  ui("new", async () => {
    const v = await openChat();
    await v.getByRole("button", { name: "New" }).click();
    await v.locator("#empty").waitFor({ state: "visible", timeout: step });
    assert.equal(await v.locator("#log > *").count(), 0);
    await send(v, "a conversation to keep");
    await v.getByText("Remember this conversation.").waitFor({ timeout: step });
  }));

test("the conversation comes back after a window reload, and is in History", opts, (t) => {
  if (!caps.sessions) return t.skip("this deckhand does not declare the sessions capability of protocol 1.1");
  return ui("history", async () => {
    // The web workbench stores the extension's workspace state asynchronously;
    // give it a moment, as a user reloading a window would.
    await page.waitForTimeout(3000);
    await page.reload();
    await openWorkbench();
    const v = await openChat();
    await v.getByText("Remember this conversation.").waitFor({ timeout: step });
    await v.getByText("a conversation to keep").waitFor({ timeout: step });
    await shot("restored");
    await page.locator(".pane-header", { hasText: "History" }).click();
    await page.locator(".monaco-list-row", { hasText: "a conversation to keep" }).first().waitFor({ timeout: step });
  });
});


test("an apply_patch review: every file in the card, the first in the diff editor; Allow applies them all", opts, (t) => {
  if (!caps.nativeTools) return t.skip("this deckhand does not declare the nativeTools capability of protocol 1.2");
  return ui("apply-patch", async () => {
    const v = await openChat();
    await send(v, "patch three files");
    const card = v.locator(".permission.pending");
    await card.waitFor({ timeout: step });
    const rows = card.locator(".files details.file summary");
    await rows.nth(2).waitFor({ timeout: step });
    assert.deepEqual(
      // (innerText follows the badge's upper-case style.)
      (await rows.allInnerTexts()).map((s) => s.replace(/\s+/g, " ").trim().toLowerCase()),
      ["update a.txt diff", "add notes/new.md diff", "delete calc.ts diff"],
    );
    assert.match(await card.locator(".files pre.diff").first().innerText(), /\+two again/);
    await page.locator(".tabs-container .tab", { hasText: "a.txt: proposed update" }).waitFor({ timeout: step });
    await page.locator(".monaco-diff-editor .editor.modified .view-lines").filter({ hasText: "two again" }).waitFor({ timeout: step });
    await shot("apply-patch-review");
    await card.locator(".files details.file").nth(1).getByRole("button", { name: "Diff" }).click();
    await page.locator(".tabs-container .tab", { hasText: "notes/new.md: proposed add" }).waitFor({ timeout: step });
    await card.getByRole("button", { name: "Allow", exact: true }).click();
    await v.getByText("Patched three files.").waitFor({ timeout: step });
    assert.equal(fs.readFileSync(path.join(fake.workspace, "a.txt"), "utf8"), "one\ntwo again\nthree\n");
    assert.equal(fs.existsSync(path.join(fake.workspace, "calc.ts")), false);
  });
});

test("a running command: the card says it leaves the sandbox and why, then shows its output as it comes", opts, (t) => {
  if (!caps.nativeTools) return t.skip("this deckhand does not declare the nativeTools capability of protocol 1.2");
  return ui("streaming", async () => {
    const v = await openChat();
    await send(v, "count slowly");
    const card = v.locator(".permission.pending");
    await card.waitFor({ timeout: step });
    await card.locator(".sandbox.out").waitFor({ timeout: step });
    assert.match(await card.locator(".why").innerText(), /prints slowly, to show streaming/);
    await shot("exec-permission");
    await card.getByRole("button", { name: "Allow", exact: true }).click();
    const running = v.locator("details.tool.running pre.output.live");
    await running.filter({ hasText: "step-2" }).waitFor({ timeout: step });
    assert.doesNotMatch(await running.innerText(), /step-6/);
    await shot("streaming-command");
    await v.getByText("Counted.").waitFor({ timeout: step });
  });
});

test("the limits meter: the status bar names each window with its use; the panel shows them with the context gauge", opts, (t) => {
  if (!caps.limits) return t.skip("this deckhand does not declare the limits capability of protocol 1.2");
  return ui("limits", async () => {
    await statusItem().filter({ hasText: "5h 12% · weekly 40%" }).waitFor({ timeout: step });
    const v = await openChat();
    const meters = v.locator("#meters");
    await meters.locator(".meter.limit", { hasText: "5h" }).waitFor({ timeout: step });
    assert.deepEqual(
      (await meters.locator(".meter.limit").allInnerTexts()).map((s) => s.replace(/\s+/g, " ").trim()),
      ["5h 12%", "weekly 40%"],
    );
    // After a turn the conversation's size against the model's window.
    const ctx = meters.locator(".meter.context");
    await ctx.waitFor({ timeout: step });
    assert.match(await ctx.innerText(), /Context\s+\d+%/);
    assert.match((await ctx.getAttribute("title")) ?? "", /of the model's [\d,]+ tokens/);
    await shot("limits-meter");
  });
});

test("diagnostics round trip: an edit's new error, from another extension's DiagnosticCollection, reaches the model", opts, (t) => {
  if (!caps.diagnostics) return t.skip("this deckhand does not declare the diagnostics capability of protocol 1.2");
  return ui("diagnostics", async () => {
    const v = await openChat();
    await send(v, "break lint.ts");
    const card = v.locator(".permission.pending");
    await card.waitFor({ timeout: step });
    await card.getByRole("button", { name: "Allow", exact: true }).click();
    await v.getByText("Linted.").waitFor({ timeout: step });
    const bodies = await fake.modelRequests();
    const told = JSON.stringify(bodies[bodies.length - 1].input);
    assert.match(told, /lint\.ts:2: error: BROKEN is not defined \(fakelint\)/);
    const notice = v.locator(".notice.warning", { hasText: "BROKEN is not defined" });
    await notice.waitFor({ timeout: step });
    // The file in the editor, with the problem the model was told of.
    await page.keyboard.press("F1");
    await page.locator(".quick-input-widget input").fill("lint.ts");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "lint.ts" }).first().click({ timeout: step });
    await page.locator(".editor-instance .monaco-editor .view-lines", { hasText: "BROKEN" }).waitFor({ timeout: step });
    await page.locator(".squiggly-error").first().waitFor({ timeout: step });
    await notice.scrollIntoViewIfNeeded();
    await shot("diagnostics-round-trip");
  });
});

test("MCP servers: the quick pick lists the conversation's servers with their state and tools", opts, (t) => {
  if (!caps.mcp) return t.skip("this deckhand does not declare the mcp capability of protocol 1.2");
  return ui("mcp", async () => {
    await runCommand("deckhand: MCP Servers");
    const row = page.locator(".quick-input-list .monaco-list-row", { hasText: "testmcp" });
    await row.waitFor({ timeout: step });
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "ready · 2 tools" }).waitFor({ timeout: step });
    assert.match(await row.innerText(), /add, echo/);
    await shot("mcp-servers");
    await page.keyboard.press("Escape");
  });
});

test("the approval policy picker: the choice stays for the workspace; a command card says whether it ran sandboxed", opts, (t) => {
  if (!caps.sandbox) return t.skip("this deckhand does not declare the sandbox capability of protocol 1.2");
  return ui("policy", async () => {
    const v = await openChat();
    const select = v.locator("select#policy");
    await select.waitFor({ state: "visible", timeout: step });
    assert.equal(await select.inputValue(), "on-request");
    assert.match((await select.getAttribute("title")) ?? "", /Approval policy: Commands run in the sandbox without asking/);
    await select.selectOption("untrusted");
    await v.locator("select#policy[title*='Every command asks first']").waitFor({ timeout: step });
    // The earlier command ran outside the (turned off) sandbox: its card says so.
    const badge = v.locator("details.tool .sandbox-badge").last();
    await badge.waitFor({ timeout: step });
    assert.match(await badge.innerText(), /^(sandboxed|unsandboxed)$/);
    await badge.scrollIntoViewIfNeeded();
    await shot("approval-policy");
    await select.selectOption("on-request");
  });
});
