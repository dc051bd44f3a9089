// ChatView is the chat webview view in deckhand's activity-bar container:
// it renders the Chat's transcript (dist/webview.js) and sends the user's
// actions back. The webview is kept when hidden, and on every (re)load it gets
// the whole transcript again, so nothing depends on it staying alive.

import * as crypto from "node:crypto";
import * as path from "node:path";
import * as vscode from "vscode";
import { Chat } from "./chat";
import { FromWebview, ToWebview } from "./view";

export const viewId = "deckhand.chatView";

export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view?: vscode.WebviewView;
  private readonly disposables: vscode.Disposable[] = [];
  private sub?: vscode.Disposable;
  private waiting = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly chat: Chat,
  ) {}

  get visible(): boolean {
    return !!this.view?.visible;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, "dist"), vscode.Uri.joinPath(this.extensionUri, "media")] };
    view.webview.html = this.html(view.webview);
    this.setWaiting(this.waiting);
    this.disposables.push(
      view.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m)),
      view.onDidDispose(() => {
        this.sub?.dispose();
        this.sub = undefined;
        if (this.view === view) this.view = undefined;
      }),
    );
  }

  /** Brings the view forward (the user is asked something, or ran a command). */
  async show(focusInput = false): Promise<void> {
    // The view's focus command moves the keyboard focus even when the view
    // is already visible; WebviewView.show leaves it where it was then.
    if (this.view && !focusInput) this.view.show(true);
    else await vscode.commands.executeCommand(`${viewId}.focus`);
    if (focusInput) this.post({ type: "focus" });
  }

  /** The count of questions waiting for the user, on the view and its activity-bar icon. */
  setWaiting(count: number): void {
    this.waiting = count;
    // A badge of 0 is not drawn; undefined would leave the last one on the
    // activity bar (VS Code never clears a webview view's badge activity).
    if (this.view) this.view.badge = { value: count, tooltip: count ? `deckhand is waiting for your answer (${count})` : "" };
  }

  post(m: ToWebview): void {
    this.view?.webview.postMessage(m);
  }

  private async receive(m: FromWebview): Promise<void> {
    try {
      switch (m?.type) {
        case "ready":
          this.chat.setTimeZone(m.timeZone);
          // A (re)loaded webview gets the whole state; the old subscription goes.
          this.sub?.dispose();
          this.sub = this.chat.attach((msg) => this.post(msg));
          break;
        case "send":
          if (typeof m.text === "string" && m.text.trim()) await this.chat.send(m.text);
          break;
        case "stop":
          await this.chat.cancel();
          break;
        case "new":
          await this.chat.reset();
          break;
        case "permission":
          // The diff closes without taking the focus (the user answered
          // here; the webview puts the keys back in its input).
          await this.chat.decide(m.id, m.decision, m.reason);
          break;
        case "openProposal":
          await this.chat.openProposal(m.id, m.index ?? 0);
          break;
        case "openChange":
          await this.chat.openChange(m.turnId, m.path);
          break;
        case "undo":
          await this.chat.undo(m.turnId);
          break;
        case "model":
          await this.chat.setModel(m.model);
          break;
        case "effort":
          await this.chat.setEffort(m.effort);
          break;
        case "policy":
          await this.chat.setApprovalPolicy(m.policy);
          break;
        case "mcp":
          await vscode.commands.executeCommand("deckhand.mcpServers");
          break;
        case "files":
          this.post({ type: "files", requestId: m.requestId, files: await findFiles(m.query) });
          break;
        case "attachFile":
          this.chat.addChip({ id: `f:${m.path}`, label: path.basename(m.path), attachment: { type: "file", path: m.path } });
          break;
        case "removeChip":
          this.chat.removeChip(m.id);
          break;
        case "action":
          await this.chat.act(m.itemId, m.action);
          break;
        case "login":
          await vscode.commands.executeCommand("deckhand.login");
          break;
        case "loginFlow":
          await this.chat.flowAction(m.action);
          break;
        case "copy":
          await vscode.env.clipboard.writeText(m.text);
          vscode.window.setStatusBarMessage("deckhand: copied", 2000);
          break;
      }
    } catch (err) {
      vscode.window.showErrorMessage(`deckhand: ${(err as Error).message}`);
    }
  }

  private html(webview: vscode.Webview): string {
    const nonce = crypto.randomBytes(16).toString("base64");
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "webview.js"));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", "chat.css"));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>deckhand</title>
</head>
<body>
<main id="log" aria-live="polite"></main>
<div id="empty">Ask deckhand about this workspace. It can read, search, edit files and run commands; edits and commands wait for your approval.</div>
<div id="login" hidden>
  <div class="title">Log in to start</div>
  <div id="login-warning" class="warning" hidden></div>
  <div>deckhand works with your ChatGPT Plus/Pro plan or an OpenAI API key. Log in once; it is kept for every workspace.</div>
  <button id="login-button" type="button">Log in</button>
</div>
<div id="flow" hidden role="status">
  <div class="title">Finish the login</div>
  <div id="flow-text"></div>
  <div id="flow-actions" class="actions"></div>
</div>
<div id="auth-warning" class="warning" role="alert" hidden></div>
<footer id="composer">
  <div id="working" hidden><span class="dots"><i></i><i></i><i></i></span> <span>deckhand is working…</span></div>
  <div id="chips"></div>
  <div id="complete" role="listbox" hidden></div>
  <textarea id="msg" rows="3" placeholder="Ask deckhand (Enter to send, Shift+Enter for a new line, @ to add a file)" aria-label="Message to deckhand"></textarea>
  <div id="bar">
    <select id="model" title="Model" aria-label="Model" hidden></select>
    <select id="effort" title="Reasoning effort" aria-label="Reasoning effort" hidden></select>

    <span class="grow"></span>
    <button id="new" class="secondary" title="Start a new conversation">New</button>
    <button id="stop" class="secondary" disabled title="Stop the running turn (Escape)">Stop</button>
    <button id="send" title="Send (Enter)">Send</button>
  </div>
  <div id="under">
    <select id="policy" aria-label="Approval policy" hidden>
      <option value="on-request">Ask outside the sandbox</option>
      <option value="untrusted">Ask for all but read-only</option>
      <option value="never">Never ask</option>
    </select>
    <div id="meters" hidden></div>
  </div>
</footer>
<script nonce="${nonce}" src="${script}"></script>
</body></html>`;
  }

  dispose(): void {
    this.sub?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

/** Workspace files whose path contains the query, shortest first. */
export async function findFiles(query: string): Promise<string[]> {
  const q = query.replace(/[[\]{}*?!\\]/g, "");
  const pattern = q.includes("/") ? `**/${q}*` : `**/*${q}*`;
  const uris = await vscode.workspace.findFiles(pattern, "**/{node_modules,.git}/**", 200);
  const rel = uris.map((u) => vscode.workspace.asRelativePath(u, false));
  const lower = q.toLowerCase();
  const score = (p: string) => (path.basename(p).toLowerCase().startsWith(lower) ? 0 : 1);
  return rel.sort((a, b) => score(a) - score(b) || a.length - b.length || a.localeCompare(b)).slice(0, 12);
}
