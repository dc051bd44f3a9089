// ChatPanel is the webview chat view: the conversation streamed as it comes,
// with a message box, Send and Stop. It is one more sink of the Chat.

import * as crypto from "node:crypto";
import * as vscode from "vscode";
import { Chat, ChatSink } from "./chat";

type Line = "tool" | "ok" | "failed" | "done" | "error";

export class ChatPanel implements ChatSink {
  private static current?: ChatPanel;
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly chat: Chat) {
    panel.webview.html = html(crypto.randomBytes(16).toString("hex"));
    this.disposables.push(
      chat.addSink(this),
      panel.webview.onDidReceiveMessage((m) => this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Opens the panel, or brings the open one forward. */
  static show(chat: Chat): ChatPanel {
    if (ChatPanel.current) {
      ChatPanel.current.panel.reveal();
      return ChatPanel.current;
    }
    const panel = vscode.window.createWebviewPanel("deckhand.chat", "deckhand chat", vscode.ViewColumn.Beside, {
      enableScripts: true,
      retainContextWhenHidden: true,
    });
    ChatPanel.current = new ChatPanel(panel, chat);
    return ChatPanel.current;
  }

  user(message: string): void {
    this.post({ type: "user", text: message });
  }
  text(text: string): void {
    this.post({ type: "text", text });
  }
  reasoning(text: string): void {
    this.post({ type: "reasoning", text });
  }
  line(line: string, kind: Line): void {
    this.post({ type: "line", text: line, kind });
  }

  private post(m: object): void {
    this.panel.webview.postMessage(m);
  }

  private receive(m: any): void {
    if (m?.type === "send" && typeof m.text === "string" && m.text.trim()) this.chat.send(m.text);
    if (m?.type === "stop") this.chat.cancel();
    if (m?.type === "new") this.chat.reset();
  }

  private dispose(): void {
    if (ChatPanel.current === this) ChatPanel.current = undefined;
    this.disposables.forEach((d) => d.dispose());
  }
}

function html(nonce: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}';">
<style>
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); }
  #log { white-space: pre-wrap; font-family: var(--vscode-editor-font-family); }
  .user { font-weight: bold; margin-top: .8em; }
  .reasoning { opacity: .7; font-style: italic; }
  .tool, .ok, .done { opacity: .8; }
  .failed, .error { color: var(--vscode-errorForeground); }
  form { display: flex; gap: .4em; margin-top: 1em; }
  textarea { flex: 1; }
</style></head>
<body>
<div id="log"></div>
<form id="form"><textarea id="msg" rows="3" placeholder="Message to deckhand"></textarea>
<button type="submit">Send</button><button type="button" id="stop">Stop</button><button type="button" id="new">New</button></form>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const log = document.getElementById("log");
  let open = null; // the element streamed text is appended to
  function add(cls, text) { const el = document.createElement("div"); el.className = cls; el.textContent = text; log.appendChild(el); return el; }
  window.addEventListener("message", (e) => {
    const m = e.data;
    if (m.type === "user") { add("user", "> " + m.text); open = null; }
    else if (m.type === "text" || m.type === "reasoning") {
      if (!open || open.className !== m.type) open = add(m.type, "");
      open.textContent += m.text;
    } else if (m.type === "line") { add(m.kind, m.text); open = null; }
    window.scrollTo(0, document.body.scrollHeight);
  });
  document.getElementById("form").addEventListener("submit", (e) => {
    e.preventDefault(); const t = document.getElementById("msg");
    if (t.value.trim()) { vscode.postMessage({ type: "send", text: t.value }); t.value = ""; }
  });
  document.getElementById("stop").addEventListener("click", () => vscode.postMessage({ type: "stop" }));
  document.getElementById("new").addEventListener("click", () => vscode.postMessage({ type: "new" }));
</script></body></html>`;
}
