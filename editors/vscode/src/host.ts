// Host owns what the extension keeps between commands: the deckhand child
// process (started on first use, restarted after it dies), the "deckhand"
// output channel, the log channel and the status bar item.

import * as os from "node:os";
import * as vscode from "vscode";
import { AuthStatus, Connection, Decision, PermissionRequest } from "./deckhand";
import { statusText } from "./format";

export const version = "0.1.0";

export type PermissionPrompt = (req: PermissionRequest, signal: AbortSignal) => Promise<Decision>;

export class Host implements vscode.Disposable {
  readonly output: vscode.OutputChannel;
  readonly log: vscode.OutputChannel;
  readonly statusItem: vscode.StatusBarItem;
  private conn?: Promise<Connection>;
  private status?: AuthStatus;
  /** The login flow waiting for the user, so deckhand.cancel can stop it. */
  activeFlowId?: string;

  constructor(private readonly permissions: PermissionPrompt) {
    this.output = vscode.window.createOutputChannel("deckhand");
    this.log = vscode.window.createOutputChannel("deckhand log");
    this.statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
    this.statusItem.command = "deckhand.status";
    this.setStatus(undefined);
    this.statusItem.show();
  }

  /** The running deckhand, started and initialized on first use. */
  connection(): Promise<Connection> {
    if (!this.conn) {
      const started = this.start();
      this.conn = started;
      started.catch(() => {
        if (this.conn === started) this.conn = undefined;
      });
    }
    return this.conn;
  }

  private async start(): Promise<Connection> {
    const cfg = vscode.workspace.getConfiguration("deckhand");
    const command = cfg.get<string>("path") || "deckhand";
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    this.log.appendLine(`starting ${command} in ${folder ?? os.homedir()}`);
    const conn = await Connection.start(
      {
        command,
        cwd: folder ?? os.homedir(),
        workspaceRoot: folder,
        clientVersion: version,
        onStderr: (text) => this.log.append(text),
      },
      this.permissions,
    );
    conn.rpc.onExit((code, err) => {
      this.log.appendLine(err ? `deckhand failed: ${err.message}` : `deckhand exited with status ${code}`);
      this.conn = undefined;
      this.activeFlowId = undefined;
    });
    conn.onAuthCompleted((c) => this.setStatus(c.status));
    const init = conn.initialized;
    this.log.appendLine(`${init.serverInfo.name} ${init.serverInfo.version}, workspace ${init.workspaceRoot ?? folder ?? ""}`);
    this.setStatus(init.auth);
    return conn;
  }

  setStatus(s: AuthStatus | undefined): void {
    this.status = s;
    const loggedIn = !!s && s.type !== "none";
    this.statusItem.text = `$(hubot) deckhand: ${statusText(s)}`;
    this.statusItem.tooltip = loggedIn ? "deckhand login state (click for details)" : "deckhand is not logged in (click to log in)";
  }

  get authStatus(): AuthStatus | undefined {
    return this.status;
  }

  async dispose(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.then((c) => c.close()).catch(() => undefined);
    this.statusItem.dispose();
    this.output.dispose();
    this.log.dispose();
  }
}
