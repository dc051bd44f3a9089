// Host owns what the extension keeps between commands: the deckhand child
// process (started on first use, restarted after it dies), the "deckhand"
// log channel and the status bar item (login, model, a spinner while a turn
// runs).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { AuthStatus, Connection, Limits, PermissionAnswer, PermissionRequest } from "./deckhand";
import { answerDiagnostics, DiagnosticsParams, WireDiagnostic } from "./diagnostics";
import { limitsText, localTime, statusWords } from "./format";
import { CancellationToken, ErrorCode, RpcError } from "./rpc";

/** The extension's version as its package.json says (sent as initialize's clientInfo). */
export function extensionVersion(context: { extension?: { packageJSON?: { version?: unknown } } }): string {
  const v = context.extension?.packageJSON?.version;
  return typeof v === "string" && v ? v : "unknown";
}

/** A login flow that waits for the user: what the chat panel shows and offers. */
export interface LoginFlow {
  flowId: string;
  method: "headless" | "browser";
  /** headless: the code to enter at url. */
  code?: string;
  url: string;
  expiresAt?: string;
}

export type PermissionPrompt = (req: PermissionRequest, token: CancellationToken) => Promise<PermissionAnswer>;

/** The binary to run: deckhand.path if set, else the one in the package, else deckhand on PATH. */
export function resolveBinary(setting: string | undefined, extensionPath: string | undefined, platform = process.platform): { command: string; origin: "setting" | "bundled" | "path" } {
  if (setting && setting.trim()) return { command: setting.trim(), origin: "setting" };
  if (extensionPath) {
    const bundled = path.join(extensionPath, "bin", platform === "win32" ? "deckhand.exe" : "deckhand");
    if (fs.existsSync(bundled)) {
      // An unpacker that dropped the executable bit must not make the binary unusable.
      if (platform !== "win32") {
        try {
          fs.accessSync(bundled, fs.constants.X_OK);
        } catch {
          try {
            fs.chmodSync(bundled, 0o755);
          } catch {
            // reported when it fails to start
          }
        }
      }
      return { command: bundled, origin: "bundled" };
    }
  }
  return { command: "deckhand", origin: "path" };
}

export class Host implements vscode.Disposable {
  readonly log: vscode.OutputChannel;
  readonly statusItem: vscode.StatusBarItem;
  private conn?: Promise<Connection>;
  private status?: AuthStatus;
  private model?: string;
  private running = false;
  /** The plan's usage windows deckhand last reported (1.2). */
  limits?: Limits;
  private readonly limitsEmitter = new vscode.EventEmitter<Limits | undefined>();
  /** Fires when deckhand reports the plan's limits (the chat's meters). */
  readonly onDidChangeLimits = this.limitsEmitter.event;
  private readonly authEmitter = new vscode.EventEmitter<AuthStatus | undefined>();
  /** Fires when the login state changes (pickers, status bar). */
  readonly onDidChangeAuth = this.authEmitter.event;
  /** Told each diagnostics/request answered (the chat says what the model was told). */
  onDiagnostics: (params: DiagnosticsParams, answer: WireDiagnostic[]) => void = () => undefined;
  /** The login flow waiting for the user, so deckhand.cancel can stop it. */
  activeFlowId?: string;
  /** The workspace root as deckhand resolved it (symbolic links followed). */
  serverRoot?: string;
  /** The sandbox deckhand puts commands in (1.2 §17.2); undefined before 1.2. */
  sandbox?: { kind: string; networkClosed?: boolean; reason?: string };
  /** The login flow waiting for the user, as the chat panel offers its actions. */
  loginFlow?: LoginFlow;
  private readonly flowEmitter = new vscode.EventEmitter<LoginFlow | undefined>();
  readonly onDidChangeLoginFlow = this.flowEmitter.event;
  /**
   * The user's time zone, as the chat view (which runs where the user is)
   * reports it. The extension host can run elsewhere (code-server, a remote
   * window) in another zone, often UTC.
   */
  timeZone?: string;
  private readonly zoneEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTimeZone = this.zoneEmitter.event;

  constructor(
    private readonly permissions: PermissionPrompt,
    private readonly extensionPath?: string,
    /** The extension's version (extensionVersion). */
    readonly version = "unknown",
  ) {
    this.log = vscode.window.createOutputChannel("deckhand");
    this.statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
    this.statusItem.command = "deckhand.focus";
    this.render();
    this.statusItem.show();
  }

  /** Messages of the login flows go to the log channel. */
  get output(): vscode.OutputChannel {
    return this.log;
  }

  get workspaceRoot(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
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
    const bin = resolveBinary(cfg.get<string>("path"), this.extensionPath);
    const folder = this.workspaceRoot;
    this.log.appendLine(`starting ${bin.command} (${bin.origin}) in ${folder ?? os.homedir()}`);
    let conn: Connection;
    try {
      conn = await Connection.start(
        {
          command: bin.command,
          cwd: folder ?? os.homedir(),
          workspaceRoot: folder,
          clientVersion: this.version,
          onStderr: (text) => this.log.append(text),
          diagnostics: async (params, token) => {
            const root = this.serverRoot ?? folder ?? os.homedir();
            const answer = await answerDiagnostics(root, params, token);
            this.log.appendLine(`diagnostics ${params?.when ?? ""} ${JSON.stringify(params?.paths ?? [])}: ${answer.diagnostics.length} problem(s)`);
            this.onDiagnostics(params, answer.diagnostics);
            return answer;
          },
        },
        this.permissions,
      );
    } catch (err) {
      if (err instanceof RpcError && err.code === ErrorCode.ConnectionClosed) throw new RpcError(startFailure(bin, err.message), err.code);
      throw err;
    }
    conn.rpc.onExit((code, err) => {
      this.log.appendLine(err ? `deckhand failed: ${err.message}` : `deckhand exited with status ${code}`);
      this.conn = undefined;
      this.activeFlowId = undefined;
    });
    conn.onAuthCompleted((c) => this.setStatus(c.status));
    conn.onLimits((l) => this.setLimits(l));
    const init = conn.initialized;
    this.serverRoot = init.workspaceRoot;
    this.sandbox = init.capabilities?.sandbox;
    this.log.appendLine(`deckhand-vscode ${this.version} with ${init.serverInfo.name} ${init.serverInfo.version}, workspace ${init.workspaceRoot ?? folder ?? ""}, capabilities ${JSON.stringify(init.capabilities ?? {})}`);
    this.setStatus(init.auth);
    if (conn.has("limits")) {
      // The last known limits: deckhand keeps them across restarts.
      conn.limits().then(
        (l) => this.setLimits(l),
        (e) => this.log.appendLine(`limits: ${e.message}`),
      );
    }
    return conn;
  }

  setStatus(s: AuthStatus | undefined): void {
    const changed = JSON.stringify(s) !== JSON.stringify(this.status);
    this.status = s;
    this.render();
    if (changed) this.authEmitter.fire(s);
  }

  setLimits(l: Limits | undefined): void {
    if (l && !Array.isArray(l.windows)) return;
    this.limits = l;
    this.render();
    this.limitsEmitter.fire(l);
  }

  setLoginFlow(f: LoginFlow | undefined): void {
    this.loginFlow = f;
    this.flowEmitter.fire(f);
  }

  /** Takes the user's time zone (an IANA name); an unknown one is ignored. */
  setTimeZone(tz: string | undefined): void {
    if (!tz || tz === this.timeZone) return;
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
    } catch {
      return;
    }
    this.timeZone = tz;
    this.render();
    this.zoneEmitter.fire();
  }

  setModel(model: string | undefined): void {
    this.model = model;
    this.render();
  }

  setRunning(running: boolean): void {
    this.running = running;
    this.render();
  }

  private render(): void {
    const s = this.status;
    const loggedIn = !!s && s.type !== "none";
    const icon = this.running ? "$(loading~spin)" : "$(hubot)";
    const parts = [statusWords(s)];
    if (loggedIn && this.model) parts.push(this.model);
    const limits = loggedIn ? limitsText(this.limits?.windows) : "";
    if (limits) parts.push(limits);
    // A stored login that cannot be used: said where the login state is.
    const warn = s?.warning ? "$(warning) " : "";
    this.statusItem.text = `${icon} deckhand: ${warn}${parts.join(" · ")}`;
    this.statusItem.tooltip = this.running
      ? "deckhand is answering (click to open the chat)"
      : loggedIn
        ? "deckhand (click to open the chat)"
        : "deckhand is not logged in (click to open the chat and log in)";
    if (limits) this.statusItem.tooltip += `\nPlan usage: ${limitsWithResets(this.limits?.windows ?? [], this.timeZone)}`;
    if (s?.warning) this.statusItem.tooltip += `\n${s.warning}`;
  }

  get authStatus(): AuthStatus | undefined {
    return this.status;
  }

  async dispose(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.then((c) => c.close()).catch(() => undefined);
    this.statusItem.dispose();
    this.log.dispose();
    this.authEmitter.dispose();
    this.flowEmitter.dispose();
    this.limitsEmitter.dispose();
    this.zoneEmitter.dispose();
  }
}

function startFailure(bin: { command: string; origin: string }, detail: string): string {
  const why = detail.replace(/^deckhand could not be started \((.*?)\):.*$/, "$1");
  switch (bin.origin) {
    case "setting":
      return `deckhand could not be started from the deckhand.path setting (${bin.command}: ${why}): point the setting at a deckhand binary that runs on this machine, or clear it to use the bundled one.`;
    case "bundled":
      return `The deckhand binary in this extension did not run (${why}): install the package for this platform, or set deckhand.path to a deckhand binary.`;
    default:
      return `deckhand could not be started: this package has no deckhand binary for ${process.platform}-${process.arch} and none is on PATH (${why}). Install the package for this platform, or set deckhand.path to a deckhand binary.`;
  }
}

/** Each window with its use and when it resets, for the status bar's tooltip. */
function limitsWithResets(windows: { name: string; usedPercent: number; resetsAt?: string }[], timeZone?: string): string {
  return windows
    .map((w) => {
      const at = w.resetsAt ? localTime(w.resetsAt, timeZone, "dateTime") : "";
      const when = at ? `, resets ${at}` : "";
      return `${w.name} ${Math.round(w.usedPercent)}% used${when}`;
    })
    .join("; ");
}
