// The login command: the picker of connect's methods and the three flows
// behind it (device code, browser with a paste-back field, API key).

import * as vscode from "vscode";
import { AuthCompleted, Connection, LoginMethod, OAuthStart } from "./deckhand";
import { countdown, say, statusText } from "./format";
import { Host } from "./host";
import { ErrorCode, RpcError } from "./rpc";

const copyAndOpen = "Copy code & open";
const openUrl = "Open URL";
const copyUrl = "Copy URL";
const pasteUrl = "Paste redirect URL";

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
  vscode.window.showInformationMessage(`deckhand: logged in with ${statusText(res.status)}.`);
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
  vscode.window.showInformationMessage(`deckhand login: enter code ${code} at ${url}`, copyAndOpen).then(async (choice) => {
    if (choice !== copyAndOpen) return;
    await vscode.env.clipboard.writeText(code);
    await vscode.env.openExternal(vscode.Uri.parse(url));
  });
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
  offerBrowserActions(conn, start, url, done);
  return finish(host, conn, start, done, "sign in in your browser");
}

// offerBrowserActions shows the URL's buttons and the paste-back field until
// the flow ends or the user dismisses them.
async function offerBrowserActions(conn: Connection, start: OAuthStart, url: string, done: Promise<AuthCompleted>): Promise<void> {
  let ended = false;
  done.then(() => (ended = true), () => (ended = true));
  const msg = "deckhand login: sign in in your browser. If it did not open, open the URL; if the browser is on another machine, paste the address it ended on.";
  while (!ended) {
    const choice = await vscode.window.showInformationMessage(msg, openUrl, copyUrl, pasteUrl);
    if (ended || !choice) return;
    if (choice === openUrl) await vscode.env.openExternal(vscode.Uri.parse(url));
    if (choice === copyUrl) await vscode.env.clipboard.writeText(url);
    if (choice === pasteUrl && (await pasteRedirect(conn, start.flowId))) return;
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
  const result = await vscode.window.withProgress(
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
  if (host.activeFlowId === start.flowId) host.activeFlowId = undefined;
  host.setStatus(result.status);
  if (result.ok) {
    host.output.appendLine(`Login: logged in with ${statusText(result.status)}`);
    vscode.window.showInformationMessage(`deckhand: logged in with ${statusText(result.status)}.`);
    return true;
  }
  const message = result.error?.message ?? "The login did not finish: start it again.";
  host.output.appendLine(`Login: ${message}`);
  if (result.error?.code !== ErrorCode.RequestCancelled) vscode.window.showErrorMessage(say(message));
  return false;
}
