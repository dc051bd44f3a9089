// The deckhand extension: a chat with the deckhand coding agent, which runs as
// a child process and speaks JSON-RPC over stdio. This file wires the commands;
// host.ts owns the process, login.ts the login flows, chat.ts the turns.

import * as vscode from "vscode";
import { Chat } from "./chat";
import { say, statusText } from "./format";
import { Host } from "./host";
import { login } from "./login";
import { ChatPanel } from "./panel";
import { permissionPrompt } from "./permissions";

let host: Host | undefined;

export function activate(context: vscode.ExtensionContext): { host: Host; chat: Chat } {
  // The prompt logs into the output channel, which the host creates.
  let h: Host;
  h = new Host(permissionPrompt((line) => h.output.appendLine(line)));
  host = h;
  const chat = new Chat(h);
  const run = (f: () => Promise<unknown>) => async () => {
    try {
      await f();
    } catch (err) {
      vscode.window.showErrorMessage(say((err as Error).message));
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand("deckhand.login", run(() => login(h))),
    vscode.commands.registerCommand("deckhand.chat", run(() => chat.prompt())),
    vscode.commands.registerCommand("deckhand.chatPanel", run(async () => ChatPanel.show(chat))),
    vscode.commands.registerCommand("deckhand.newChat", run(async () => chat.reset())),
    vscode.commands.registerCommand("deckhand.cancel", run(() => cancel(h, chat))),
    vscode.commands.registerCommand("deckhand.status", run(() => status(h))),
    vscode.commands.registerCommand("deckhand.logout", run(() => logout(h))),
  );
  // Show the real login state early; a missing binary is reported on first use.
  h.connection().then(
    () => undefined,
    (err) => h.log.appendLine(`deckhand did not start: ${err.message}`),
  );
  return { host: h, chat };
}

export async function deactivate(): Promise<void> {
  await host?.dispose();
  host = undefined;
}

async function cancel(h: Host, chat: Chat): Promise<void> {
  if (await chat.cancel()) {
    h.output.appendLine("[cancel requested]");
    return;
  }
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
