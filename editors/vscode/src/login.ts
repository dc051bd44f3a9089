// The login command: the picker of connect's methods and the three flows
// behind it (device code, browser with a paste-back field, API key).

import * as vscode from "vscode";
import { AuthCompleted, Connection, LoginMethod, OAuthStart } from "./deckhand";
import { countdown, say, statusWords } from "./format";
import { Host } from "./host";
import { ErrorCode, RpcError } from "./rpc";
import { FlowAction } from "./view";

/**
 * Runs the login picker and the chosen flow. methods, when given, come from
 * a -32000 error's data; otherwise connect supplies them. Resolves true once
 * deckhand is logged in.
 */
export async function login(host: Host, methods?: LoginMethod[]): Promise<boolean> {
  try {
    const conn = await host.connection();
    if (!methods?.length) methods = (await conn.connect()).methods;
    const pick = await vscode.window.showQuickPick(
      methods.map((m) => ({ label: m.label, id: m.id })),
      { title: "deckhand: log in to OpenAI", placeHolder: "Choose how to log in" },
    );
    if (!pick) return false;
    switch (pick.id) {
      case "apiKey":
        return await loginApiKey(host, conn);
      case "headless":
        return await loginHeadless(host, conn);
      case "browser":
        return await loginBrowser(host, conn);
      default:
        vscode.window.showErrorMessage(`deckhand: this extension does not know the login method "${pick.label}".`);
        return false;
    }
  } catch (err) {
    vscode.window.showErrorMessage(say((err as Error).message));
    return false;
  }
}

async function loginApiKey(host: Host, conn: Connection): Promise<boolean> {
  let problem = "";
  let res;
  for (;;) {
    // A refused key asks again, saying why, instead of closing the box.
    const key = await vscode.window.showInputBox({
      title: "deckhand: OpenAI API key",
      prompt: problem ? `${problem} Paste the key again, or press Escape to cancel.` : "Paste your OpenAI API key (it is stored in deckhand's auth.json)",
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === "" ? "Enter a key, or press Escape to cancel." : undefined),
    });
    if (!key?.trim()) return false;
    try {
      res = await conn.connectApiKey(key.trim());
      break;
    } catch (err) {
      if (!(err instanceof RpcError) || err.code !== ErrorCode.InvalidParams) throw err;
      problem = plainWords(err.message);
    }
  }
  host.setStatus(res.status);
  vscode.window.showInformationMessage(`deckhand: logged in with ${statusWords(res.status)}.`);
  return true;
}

/** A params error in the user's words: without the protocol's "Invalid params:" and the upstream's detail in parentheses. */
function plainWords(message: string): string {
  const s = message.replace(/^Invalid params:\s*/i, "").replace(/\s*\([^)]*\)/g, "").trim();
  return (s.charAt(0).toUpperCase() + s.slice(1)).replace(/([^.])$/, "$1.");
}

async function loginHeadless(host: Host, conn: Connection): Promise<boolean> {
  const start = await conn.startOAuth("headless");
  const code = start.userCode ?? "";
  const url = start.verificationUrl ?? "";
  host.output.appendLine(`Login: open ${url} on any device and enter the code ${code}`);
  const done = conn.waitFlow(start.flowId);
  // The code and its "Copy code & open" are in the chat until the flow
  // ends: a notification with buttons would stay after the login.
  host.setLoginFlow({ flowId: start.flowId, method: "headless", code, url, expiresAt: start.expiresAt });
  return finish(host, conn, start, done, `enter code ${code} at ${url}`);
}

async function loginBrowser(host: Host, conn: Connection): Promise<boolean> {
  // On a remote machine deckhand's browser would open out of sight: ask the
  // editor's side to open the page and rely on the pasted redirect instead.
  const remote = !!vscode.env.remoteName;
  const start = await conn.startOAuth("browser", !remote);
  const url = start.url ?? "";
  host.output.appendLine(`Login: sign in at ${url}`);
  if (remote) await vscode.env.openExternal(vscode.Uri.parse(url));
  const done = conn.waitFlow(start.flowId);
  host.setLoginFlow({ flowId: start.flowId, method: "browser", url, expiresAt: start.expiresAt });
  return finish(host, conn, start, done, "sign in in your browser");
}

/** A button of the login flow the chat panel shows; nothing when no flow waits. */
export async function flowAction(host: Host, action: FlowAction): Promise<void> {
  const f = host.loginFlow;
  if (!f) return;
  switch (action) {
    case "copyOpen":
      if (f.code) await vscode.env.clipboard.writeText(f.code);
      await vscode.env.openExternal(vscode.Uri.parse(f.url));
      break;
    case "openUrl":
      await vscode.env.openExternal(vscode.Uri.parse(f.url));
      break;
    case "copyUrl":
      await vscode.env.clipboard.writeText(f.url);
      vscode.window.setStatusBarMessage("deckhand: login URL copied", 2000);
      break;
    case "paste":
      await pasteRedirect(await host.connection(), f.flowId);
      break;
    case "cancel":
      await (await host.connection()).cancelFlow(f.flowId);
      break;
  }
}

async function pasteRedirect(conn: Connection, flowId: string): Promise<boolean> {
  for (;;) {
    const pasted = await vscode.window.showInputBox({
      title: "deckhand: finish the browser login",
      prompt: "Paste the address your browser ended on (http://localhost:1455/auth/callback?code=...)",
      ignoreFocusOut: true,
    });
    if (!pasted?.trim()) return false;
    try {
      await conn.completeOAuth(flowId, pasted.trim());
      return true;
    } catch (err) {
      vscode.window.showErrorMessage(say((err as Error).message));
      if (!(err instanceof RpcError) || err.code !== ErrorCode.InvalidParams) return false;
    }
  }
}

// finish shows a cancellable progress notification with a countdown until
// auth/completed arrives, then reports the outcome.
async function finish(host: Host, conn: Connection, start: OAuthStart, done: Promise<AuthCompleted>, what: string): Promise<boolean> {
  host.activeFlowId = start.flowId;
  let result: AuthCompleted;
  try {
    // The one notification of a flow: it closes by itself when the flow ends.
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `deckhand login: ${what}`, cancellable: true },
      (progress, token) => {
        const tick = () => progress.report({ message: `(expires in ${countdown(start.expiresAt)})` });
        tick();
        const timer = setInterval(tick, 1000);
        const sub = token.onCancellationRequested(() => {
          conn.cancelFlow(start.flowId).catch(() => undefined);
        });
        return done.finally(() => {
          clearInterval(timer);
          sub.dispose();
        });
      },
    );
  } finally {
    if (host.loginFlow?.flowId === start.flowId) host.setLoginFlow(undefined);
  }
  if (host.activeFlowId === start.flowId) host.activeFlowId = undefined;
  host.setStatus(result.status);
  if (result.ok) {
    host.output.appendLine(`Login: logged in with ${statusWords(result.status)}`);
    vscode.window.showInformationMessage(`deckhand: logged in with ${statusWords(result.status)}.`);
    return true;
  }
  const message = result.error?.message ?? "The login did not finish: start it again.";
  host.output.appendLine(`Login: ${message}`);
  if (result.error?.code !== ErrorCode.RequestCancelled) vscode.window.showErrorMessage(say(message));
  return false;
}
