// The deckhand extension: a chat with the deckhand coding agent, which runs as
// a child process and speaks JSON-RPC over stdio. This file wires the views
// and commands; host.ts owns the process, chat.ts the conversation, panel.ts
// the chat view, login.ts the login flows.

import * as vscode from "vscode";
import { Chat } from "./chat";
import { selectionChip } from "./context";
import { say, statusText } from "./format";
import { History, historyViewId } from "./history";
import { extensionVersion, Host } from "./host";
import { login } from "./login";
import { showMcpServers } from "./mcp";
import { ChatView, viewId } from "./panel";
import { Review } from "./review";

let host: Host | undefined;

export interface Api {
  host: Host;
  chat: Chat;
  view: ChatView;
  history: History;
}

export function activate(context: vscode.ExtensionContext): Api {
  // The host asks the chat (made just below) when deckhand asks for permission.
  const h: Host = new Host((req, token) => c.askPermission(req, token), context.extensionPath, extensionVersion(context));
  host = h;
  const review = new Review();
  const c: Chat = new Chat(h, context.workspaceState, review);
  const view = new ChatView(context.extensionUri, c);
  const history = new History(h);
  c.reveal = () => {
    view.show(false).catch(() => undefined);
  };
  c.onWaiting = (count, req) => {
    view.setWaiting(count);
    // Said where the user is looking when the chat was not (Cline does the same).
    if (req && (!view.visible || vscode.window.state?.focused === false)) {
      const what = req.tool === "bash" ? "run a command" : `${req.tool} ${typeof req.arguments?.path === "string" ? req.arguments.path : ""}`.trim();
      vscode.window.showWarningMessage(`deckhand is waiting for your answer: ${what}`, "Review").then((pick) => {
        if (pick === "Review") view.show(true).catch(() => undefined);
      });
    }
  };
  const run =
    <A extends unknown[]>(f: (...a: A) => Promise<unknown>) =>
    async (...a: A) => {
      try {
        await f(...a);
      } catch (err) {
        vscode.window.showErrorMessage(say((err as Error).message));
      }
    };
  const tree = vscode.window.createTreeView(historyViewId, { treeDataProvider: history });
  const syncTree = () => (tree.message = history.message);
  context.subscriptions.push(
    review,
    view,
    tree,
    history.onDidChangeTreeData(() => setTimeout(syncTree, 0)),
    vscode.window.registerWebviewViewProvider(viewId, view, { webviewOptions: { retainContextWhenHidden: true } }),
    c.onDidChangeRunning((running) => {
      h.setRunning(running);
      if (!running) history.refresh();
    }),
    h.onDidChangeAuth(() => c.refreshModels()),
    // A login flow's code and buttons are in the chat: bring it forward.
    h.onDidChangeLoginFlow((f) => f && view.show(false).catch(() => undefined)),
    vscode.commands.registerCommand("deckhand.focus", run(() => view.show(true))),
    vscode.commands.registerCommand("deckhand.login", run(async () => (await login(h)) && c.refreshModels())),
    vscode.commands.registerCommand(
      "deckhand.chat",
      run(async () => {
        const message = await vscode.window.showInputBox({ title: "deckhand", prompt: "Message to deckhand", ignoreFocusOut: true });
        if (!message?.trim()) return;
        await view.show(false);
        await c.send(message);
      }),
    ),
    vscode.commands.registerCommand("deckhand.chatPanel", run(() => view.show(true))),
    vscode.commands.registerCommand("deckhand.newChat", run(async () => (await c.reset(), view.show(true)))),
    vscode.commands.registerCommand("deckhand.cancel", run(() => cancel(h, c))),
    vscode.commands.registerCommand("deckhand.status", run(() => status(h))),
    vscode.commands.registerCommand("deckhand.logout", run(() => logout(h))),
    vscode.commands.registerCommand(
      "deckhand.addSelection",
      run(async () => {
        const chip = selectionChip(vscode.window.activeTextEditor);
        if (!chip) {
          vscode.window.showInformationMessage("deckhand: open a file and select the lines to add to the chat.");
          return;
        }
        c.addChip(chip);
        await view.show(true);
      }),
    ),
    vscode.commands.registerCommand(
      "deckhand.chooseModel",
      run(async () => {
        if (!c.models.length) await c.refreshModels();
        if (!c.models.length) {
          vscode.window.showInformationMessage("deckhand: log in first; the models come from your login.");
          return;
        }
        const current = c.currentModel();
        const pick = await vscode.window.showQuickPick(
          c.models.map((m) => ({ label: m.label, description: m.id === current ? "current" : m.id !== m.label ? m.id : undefined, id: m.id })),
          { title: "deckhand: model for this workspace" },
        );
        if (pick) await c.setModel(pick.id);
      }),
    ),
    vscode.commands.registerCommand("deckhand.refreshHistory", () => history.refresh()),
    vscode.commands.registerCommand("deckhand.mcpServers", run(() => showMcpServers(h, c.sessionId))),
    vscode.commands.registerCommand("deckhand.openSession", run(async (id: string) => (await c.load(id), view.show(false)))),
    vscode.commands.registerCommand(
      "deckhand.deleteSession",
      run(async (s: { sessionId: string; title: string }) => {
        const ok = await vscode.window.showWarningMessage(`Delete the conversation "${s.title}"?`, { modal: true }, "Delete");
        if (ok !== "Delete") return;
        const conn = await h.connection();
        await conn.deleteSession(s.sessionId);
        if (c.sessionId === s.sessionId) await c.reset();
        history.refresh();
      }),
    ),
  );
  // Show the real login state early and reopen this workspace's conversation;
  // a missing binary is reported on first use.
  h.connection().then(
    async () => {
      await c.restore();
      await c.refreshModels();
    },
    (err) => h.log.appendLine(`deckhand did not start: ${err.message}`),
  );
  return { host: h, chat: c, view, history };
}

export async function deactivate(): Promise<void> {
  await host?.dispose();
  host = undefined;
}

async function cancel(h: Host, chat: Chat): Promise<void> {
  if (await chat.cancel()) return;
  if (h.activeFlowId) {
    const conn = await h.connection();
    await conn.cancelFlow(h.activeFlowId);
    return;
  }
  vscode.window.showInformationMessage("deckhand: nothing is running.");
}

async function status(h: Host): Promise<void> {
  const conn = await h.connection();
  const s = await conn.authStatus();
  h.setStatus(s);
  const loggedIn = s.type !== "none";
  const where = conn.initialized.workspaceRoot ? ` Workspace: ${conn.initialized.workspaceRoot}.` : "";
  const choice = await vscode.window.showInformationMessage(
    `deckhand ${conn.initialized.serverInfo.version}: ${statusText(s)}.${where}`,
    loggedIn ? "Log out" : "Log in",
  );
  if (choice === "Log in") await login(h);
  if (choice === "Log out") await logout(h);
}

async function logout(h: Host): Promise<void> {
  const conn = await h.connection();
  const s = await conn.logout();
  h.setStatus(s);
  if (s.type !== "none" && s.source === "env") {
    vscode.window.showInformationMessage("deckhand: logged out; OPENAI_API_KEY is still set, so deckhand keeps using that key.");
  } else {
    vscode.window.showInformationMessage("deckhand: logged out.");
  }
}
