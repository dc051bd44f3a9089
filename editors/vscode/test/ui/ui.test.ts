// The extension in a real VS Code workbench: code-server serves it, Chromium
// (driven by playwright-core) is the user. The linux-x64 package is installed
// with no deckhand on PATH and no deckhand.path, so the bundled binary runs,
// against the fake of OpenAI. Needs CODE_SERVER, VSIX and CHROMIUM (see
// scripts/test.sh). Each main state is written as a screenshot to SHOT_DIR.
//
// The cases run in order against one fake whose model steps are consumed in
// that order; each asserts on what the user sees.

import { strict as assert } from "node:assert";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { Browser, chromium, FrameLocator, Page } from "playwright-core";
import { binaries, Fake, freePort, startFake } from "../support/fixture";

const labels = ["ChatGPT Plus/Pro (browser)", "ChatGPT Plus/Pro (headless)", "Manually enter API key"];
// Generous: the machine this runs on may be a loaded 2-core box.
const step = 60_000;
const shots = process.env.SHOT_DIR ?? path.join(os.tmpdir(), "deckhand-ui-shots");

let fake: Fake;
let server: ChildProcess;
let browser: Browser;
let page: Page;
let url: string;
let caps: Record<string, boolean> = {};
const root = fs.mkdtempSync(path.join(os.tmpdir(), "deckhand-ui-"));

before(async () => {
  const codeServer = need("CODE_SERVER");
  fake = await startFake([
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
  ]);
  fs.writeFileSync(path.join(fake.workspace, "a.txt"), "one\ntwo\nthree\n");
  fs.writeFileSync(path.join(fake.workspace, "calc.ts"), "export function add(a: number, b: number) {\n  return a + b; // SELECTED-MARKER\n}\n");
  caps = await capabilities(fake.env);
  const port = await freePort();
  const userData = path.join(root, "user-data");
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.writeFileSync(
    path.join(userData, "User", "settings.json"),
    JSON.stringify({ "workbench.startupEditor": "none", "security.workspace.trust.enabled": false, "workbench.tips.enabled": false }),
  );
  fs.writeFileSync(path.join(root, "config.yaml"), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = ["--config", path.join(root, "config.yaml"), "--user-data-dir", userData, "--extensions-dir", path.join(root, "ext"),
    "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust"];
  // No deckhand on PATH: the package's own binary must be the one that runs.
  const PATH = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d && !fs.existsSync(path.join(d, "deckhand"))).join(path.delimiter);
  const env = { ...fake.env, HOME: root, PATH };
  execFileSync(codeServer, [...args, "--install-extension", need("VSIX")], { stdio: "inherit", env });
  const bundled = fs.readdirSync(path.join(root, "ext")).find((d) => d.startsWith("deckhand-dev.deckhand"));
  assert.ok(bundled && fs.existsSync(path.join(root, "ext", bundled, "bin", "deckhand")), "the package holds the deckhand binary");
  const log = fs.openSync(path.join(root, "code-server.log"), "w");
  // Its own process group, so stopping it also stops the extension host and deckhand.
  server = spawn(codeServer, [...args, fake.workspace], { env, stdio: ["ignore", log, log], detached: true });
  url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(fake.workspace)}`;
  await waitHealthy(`http://127.0.0.1:${port}/healthz`);
  browser = await chromium.launch({
    executablePath: need("CHROMIUM"),
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await openWorkbench();
});

after(async () => {
  await browser?.close();
  if (server?.pid) {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      // already gone
    }
    await new Promise((r) => (server.exitCode !== null ? r(undefined) : server.once("close", r)));
  }
  await fake?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

const opts = { timeout: 300_000 };

test("login: the picker, the device code, the status bar", opts, () =>
  ui("login", async () => {
    await runCommand("deckhand: Login");
    const rows = await quickPickRows(labels.length);
    assert.deepEqual(rows, labels);
    await page.locator(`.quick-input-list .monaco-list-row[aria-label="${labels[1]}"]`).click();
    const toast = page.locator(".notification-toast", {
      hasText: "deckhand login: enter code",
      has: page.getByRole("button", { name: "Copy code & open" }),
    });
    await toast.waitFor({ timeout: step });
    assert.match(await toast.innerText(), /enter code [A-Z0-9]{4}-[A-Z0-9]{4,} at /);
    await statusItem().filter({ hasText: "ChatGPT" }).waitFor({ timeout: step });
    await page.keyboard.press("Escape");
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

test("Undo puts the edited file back", opts, (t) => {
  if (!caps.undo) return t.skip("this deckhand does not declare the undo capability of protocol 1.1");
  return ui("undo", async () => {
    const end = chatFrame().locator(".end").last();
    await end.getByRole("button", { name: "Undo" }).click();
    await end.locator(".undone", { hasText: "Restored a.txt" }).waitFor({ timeout: step });
    assert.equal(fs.readFileSync(path.join(fake.workspace, "a.txt"), "utf8"), "one\ntwo\nthree\n");
  });
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

// ---- helpers ----

async function openWorkbench(): Promise<void> {
  await page.goto(url);
  await page.locator(".statusbar").waitFor({ state: "visible", timeout: 90_000 });
  await statusItem().waitFor({ timeout: 60_000 });
}

function statusItem() {
  return page.locator(".statusbar-item", { hasText: "deckhand:" });
}

function chatFrame(): FrameLocator {
  return page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
}

async function openChat(): Promise<FrameLocator> {
  const v = chatFrame();
  if (!(await v.locator("#msg").isVisible().catch(() => false))) await runCommand("deckhand: Open Chat");
  await v.locator("#msg").waitFor({ timeout: step });
  return v;
}

async function send(v: FrameLocator, text: string): Promise<void> {
  const input = v.locator("#msg");
  await input.fill(text);
  await input.press("Enter");
  await v.locator(".user", { hasText: text }).last().waitFor({ timeout: step });
}

/** Opens the command palette and clicks the command's row by its exact label. */
async function runCommand(label: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: step });
  await input.fill(`>${label}`);
  // The row whose label is exactly this one (its aria-label may add the keybinding).
  await page
    .locator(".quick-input-list .monaco-list-row")
    .filter({ has: page.locator(".label-name").getByText(label, { exact: true }) })
    .click({ timeout: step });
}

/** The QuickPick's row labels, polled until there are n (the list re-renders). */
async function quickPickRows(n: number): Promise<string[]> {
  const handle = await page.waitForFunction(
    (n) => {
      const doc = (globalThis as any).document;
      const rows: string[] = [...doc.querySelectorAll(".quick-input-list .monaco-list-row")].map((r: any) => String(r.innerText).split("\n")[0].trim());
      return rows.length === n && !rows.some((r) => r.startsWith("deckhand:")) ? rows : null;
    },
    n,
    { timeout: step },
  );
  return (await handle.jsonValue()) as string[];
}

async function shot(name: string): Promise<void> {
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

/** Runs a case; on failure keeps a screenshot and code-server's log. */
async function ui(name: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (err) {
    fs.mkdirSync(shots, { recursive: true });
    const file = path.join(shots, `failed-${name}.png`);
    await page?.screenshot({ path: file }).catch(() => undefined);
    const log = path.join(root, "code-server.log");
    if (fs.existsSync(log)) fs.copyFileSync(log, path.join(shots, `failed-${name}-code-server.log`));
    // The extension's own log (its "deckhand" output channel), as the workbench wrote it.
    for (const f of findFiles(path.join(root, "user-data", "logs"), /deckhand\.log$/)) {
      fs.copyFileSync(f, path.join(shots, `failed-${name}-${path.basename(path.dirname(f))}-${path.basename(f)}`));
    }
    console.error(`screenshot: ${file}`);
    throw err;
  }
}

/** initialize's capabilities of the deckhand the package bundles (the same build as DECKHAND_BIN). */
async function capabilities(env: NodeJS.ProcessEnv): Promise<Record<string, boolean>> {
  const child = spawn(binaries().deckhand, [], { env, stdio: ["pipe", "pipe", "ignore"] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (c) => {
      buf += c;
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once("error", reject);
    child.stdin!.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { workspaceRoot: fake.workspace } }) + "\n");
  });
  child.stdin!.end();
  return JSON.parse(line).result?.capabilities ?? {};
}

function findFiles(dir: string, re: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true } as any).flatMap((e: any) => (e.isFile() && re.test(e.name) ? [path.join(e.parentPath ?? e.path, e.name)] : []));
}

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run scripts/test.sh`);
  return v;
}

async function waitHealthy(u: string): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(u)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`code-server did not answer ${u}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
