// A real VS Code workbench for the UI suites: code-server serves the
// linux-x64 package, Chromium (driven by playwright-core) is the user. The
// package is installed with no deckhand on PATH and no deckhand.path, so the
// bundled binary runs, against the fake of OpenAI. Needs CODE_SERVER, VSIX
// and CHROMIUM (see scripts/test.sh). Each test file starts its own
// workbench and fake, whose model steps are consumed in the order of its cases.

import { strict as assert } from "node:assert";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Browser, chromium, FrameLocator, Page } from "playwright-core";
import { binaries, Fake, freePort, startFake, Step } from "../support/fixture";

// Generous: the machine this runs on may be a loaded 2-core box.
export const step = 60_000;
export const opts = { timeout: 300_000 };
const shots = process.env.SHOT_DIR ?? path.join(os.tmpdir(), "deckhand-ui-shots");

export let fake: Fake;
export let page: Page;
export let caps: Record<string, boolean> = {};
let server: ChildProcess;
let browser: Browser;
let url: string;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "deckhand-ui-"));

export interface StartOptions {
  /** Files written into the workspace, by relative path. */
  files?: Record<string, string>;
  /** User settings added to the suite's own. */
  settings?: Record<string, unknown>;
  /** Starts logged in with this API key (in deckhand's auth.json). */
  apiKey?: string;
  /** Flags for the fake (--rate-limits). */
  fakeArgs?: string[];
  /** Files written into deckhand's home (config.json), by name. */
  homeFiles?: Record<string, string>;
  /** Folders of other extensions to install beside deckhand's (test/ui/fakelint). */
  extensions?: string[];
}

/** Starts the fake with steps, prepares the workspace and home, and opens the workbench. */
export async function start(steps: Step[], o: StartOptions = {}): Promise<void> {
  const codeServer = need("CODE_SERVER");
  fake = await startFake(steps, o.fakeArgs ?? []);
  for (const [name, text] of Object.entries(o.files ?? {})) fs.writeFileSync(path.join(fake.workspace, name), text);
  for (const [name, text] of Object.entries(o.homeFiles ?? {})) fs.writeFileSync(path.join(fake.home, name), text, { mode: 0o600 });
  if (o.apiKey) fs.writeFileSync(path.join(fake.home, "auth.json"), JSON.stringify({ openai: { type: "api", key: o.apiKey } }), { mode: 0o600 });
  const settings = o.settings ?? {};
  caps = await capabilities(fake.env);
  const port = await freePort();
  const userData = path.join(root, "user-data");
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.writeFileSync(
    path.join(userData, "User", "settings.json"),
    JSON.stringify({ "workbench.startupEditor": "none", "security.workspace.trust.enabled": false, "workbench.tips.enabled": false, ...settings }),
  );
  fs.writeFileSync(path.join(root, "config.yaml"), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = ["--config", path.join(root, "config.yaml"), "--user-data-dir", userData, "--extensions-dir", path.join(root, "ext"),
    "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust"];
  // No deckhand on PATH: the package's own binary must be the one that runs.
  const PATH = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d && !fs.existsSync(path.join(d, "deckhand"))).join(path.delimiter);
  const env = { ...fake.env, HOME: root, PATH };
  execFileSync(codeServer, [...args, "--install-extension", need("VSIX")], { stdio: "inherit", env });
  for (const dir of o.extensions ?? []) {
    // Packaged as VS Code installs them; vsce comes with the extension's dev dependencies.
    const vsix = path.join(root, `${path.basename(dir)}.vsix`);
    const vsce = path.join(__dirname, "..", "..", "..", "node_modules", ".bin", "vsce");
    execFileSync(vsce, ["package", "--allow-missing-repository", "--skip-license", "--no-dependencies", "-o", vsix], { cwd: dir, stdio: "ignore" });
    execFileSync(codeServer, [...args, "--install-extension", vsix], { stdio: "inherit", env });
  }
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
}

export async function stop(): Promise<void> {
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
}

export async function openWorkbench(): Promise<void> {
  await page.goto(url);
  await page.locator(".statusbar").waitFor({ state: "visible", timeout: 90_000 });
  await statusItem().waitFor({ timeout: 60_000 });
}

export function statusItem() {
  return page.locator(".statusbar-item", { hasText: "deckhand:" });
}

export function chatFrame(): FrameLocator {
  return page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
}

export async function openChat(): Promise<FrameLocator> {
  const v = chatFrame();
  if (!(await v.locator("#msg").isVisible().catch(() => false))) await runCommand("deckhand: Open Chat");
  await v.locator("#msg").waitFor({ timeout: step });
  // The page shows the input before its script handles keys: an Enter
  // pressed in between would be lost.
  await v.locator("body[data-ready]").waitFor({ state: "attached", timeout: step });
  return v;
}

export async function send(v: FrameLocator, text: string): Promise<void> {
  const input = v.locator("#msg");
  await input.fill(text);
  await input.press("Enter");
  await v.locator(".user", { hasText: text }).last().waitFor({ timeout: step });
}

/** Opens the command palette and clicks the command's row by its exact label. */
export async function runCommand(label: string): Promise<void> {
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
export async function quickPickRows(n: number): Promise<string[]> {
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

export async function shot(name: string): Promise<void> {
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

/** Runs a case; on failure keeps a screenshot and code-server's log. */
export async function ui(name: string, f: () => Promise<void>): Promise<void> {
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
