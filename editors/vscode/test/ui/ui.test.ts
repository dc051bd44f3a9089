// The extension in a real VS Code workbench: code-server serves it, Chromium
// (driven by playwright-core) is the user. The extension runs the real
// deckhand binary against the fake of OpenAI. Needs CODE_SERVER, VSIX and
// CHROMIUM (see scripts/test.sh); a failing step leaves a screenshot in
// SHOT_DIR.

import { strict as assert } from "node:assert";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { Browser, chromium, FrameLocator, Page } from "playwright-core";
import { binaries, Fake, freePort, startFake } from "../support/fixture";

const labels = ["ChatGPT Plus/Pro (browser)", "ChatGPT Plus/Pro (headless)", "Manually enter API key"];
const step = 30_000;

let fake: Fake;
let server: ChildProcess;
let browser: Browser;
let page: Page;
let url: string;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "deckhand-ui-"));

before(async () => {
  const codeServer = need("CODE_SERVER");
  fake = await startFake([
    { text: "Let me write the note.", calls: [{ id: "w1", name: "write", arguments: { path: "note.txt", content: "from the ui\n" } }] },
    { text: "The note is written." },
    { text: "Panel reply streams here." },
  ]);
  const port = await freePort();
  const userData = path.join(root, "user-data");
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.writeFileSync(
    path.join(userData, "User", "settings.json"),
    JSON.stringify({ "deckhand.path": binaries().deckhand, "workbench.startupEditor": "none", "security.workspace.trust.enabled": false }),
  );
  fs.writeFileSync(path.join(root, "config.yaml"), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = ["--config", path.join(root, "config.yaml"), "--user-data-dir", userData, "--extensions-dir", path.join(root, "ext"),
    "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust"];
  execFileSync(codeServer, [...args, "--install-extension", need("VSIX")], { stdio: "inherit", env: { ...process.env, HOME: root } });
  const log = fs.openSync(path.join(root, "code-server.log"), "w");
  // Its own process group, so stopping it also stops the extension host and deckhand.
  server = spawn(codeServer, [...args, fake.workspace], { env: { ...fake.env, HOME: root }, stdio: ["ignore", log, log], detached: true });
  url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(fake.workspace)}`;
  await waitHealthy(`http://127.0.0.1:${port}/healthz`);
  browser = await chromium.launch({
    executablePath: need("CHROMIUM"),
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await page.locator(".statusbar").waitFor({ state: "visible", timeout: 60_000 });
  await page.waitForTimeout(2000);
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

test("login picker, headless code toast, chat with a permission prompt", { timeout: 180_000 }, async () => {
  await shotOnFailure("login-chat", async () => {
    await runCommand("deckhand: Login");
    const rows = await quickPickRows(labels.length);
    assert.deepEqual(rows, labels);
    await page.locator(`.quick-input-list .monaco-list-row[aria-label="${labels[1]}"]`).click();
    const toast = page.locator(".notification-toast", {
      hasText: "deckhand login: enter code",
      has: page.getByRole("button", { name: "Copy code & open" }),
    });
    await toast.waitFor({ timeout: step });
    const text = await toast.innerText();
    assert.match(text, /enter code [A-Z0-9]{4}-[A-Z0-9]{4,} at /, text);
    assert.ok(text.includes(fake.issuer), text);
    await page.locator(".statusbar", { hasText: "deckhand: ChatGPT" }).waitFor({ timeout: step });

    await runCommand("deckhand: Chat");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible", timeout: step });
    await input.fill("please write a note");
    await input.press("Enter");
    const dialog = page.locator(".monaco-dialog-box", { hasText: "deckhand wants to run write" });
    await dialog.waitFor({ timeout: step });
    assert.match(await dialog.innerText(), /note\.txt/);
    await dialog.getByRole("button", { name: "Allow", exact: true }).click();
    const out = page.locator(".panel .monaco-editor .view-lines");
    await out.filter({ hasText: "The note is written." }).waitFor({ timeout: step });
    await out.filter({ hasText: "[done: end_turn" }).waitFor({ timeout: step });
    const shown = (await out.innerText()).replace(/\u00a0/g, " "); // the editor renders spaces as NBSP
    assert.ok(shown.includes("Let me write the note."), shown);
    assert.ok(shown.includes("[tool] write: ok"), shown);
    assert.equal(fs.readFileSync(path.join(fake.workspace, "note.txt"), "utf8"), "from the ui\n");
  });
});

test("the chat panel webview streams the reply", { timeout: 180_000 }, async () => {
  await shotOnFailure("panel", async () => {
    await runCommand("deckhand: Chat Panel");
    const view: FrameLocator = page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
    await view.locator("#msg").waitFor({ timeout: step });
    await view.locator("#msg").fill("and now the panel");
    await view.getByRole("button", { name: "Send" }).click();
    await view.locator("#log", { hasText: "Panel reply streams here." }).waitFor({ timeout: step });
    const log = await view.locator("#log").innerText();
    assert.ok(log.includes("> and now the panel"), log);
    assert.ok(log.includes("[done: end_turn"), log);
  });
});

/** Opens the command palette and clicks the command's row by its exact label. */
async function runCommand(label: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: step });
  await input.fill(`>${label}`);
  await page.locator(`.quick-input-list .monaco-list-row[aria-label="${label}"]`).click({ timeout: step });
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

async function shotOnFailure(name: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (err) {
    const dir = process.env.SHOT_DIR ?? os.tmpdir();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `ui-${name}.png`);
    await page?.screenshot({ path: file }).catch(() => undefined);
    const log = path.join(root, "code-server.log");
    if (fs.existsSync(log)) fs.copyFileSync(log, path.join(dir, `ui-${name}-code-server.log`));
    console.error(`screenshot: ${file}`);
    throw err;
  }
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
