// A recording stand-in for the parts of the VS Code API the extension uses.
// Tests script the user's answers through `ui` and read what was shown from
// `shown`; everything else behaves like the editor would, minus the screen.

type Answer<A extends unknown[], R> = (...args: A) => R | Promise<R>;

export interface Message {
  level: "info" | "warning" | "error";
  text: string;
  items: string[];
  modal: boolean;
  detail?: string;
  /** Still on screen: a toast stays until the user answers or dismisses it. */
  open?: boolean;
}

export class FakeOutputChannel {
  text = "";
  shown = false;
  constructor(readonly name: string) {}
  append(s: string): void {
    this.text += s;
  }
  appendLine(s: string): void {
    this.text += s + "\n";
  }
  clear(): void {
    this.text = "";
  }
  show(): void {
    this.shown = true;
  }
  hide(): void {}
  dispose(): void {}
}

/** The user's scripted answers; a test replaces the ones it needs. */
export const ui = {
  quickPick: (async () => undefined) as Answer<[{ label: string; id?: string }[], unknown], { label: string } | undefined>,
  inputBox: (async () => undefined) as Answer<[{ prompt?: string; password?: boolean; title?: string }], string | undefined>,
  message: (async () => undefined) as Answer<[Message], string | undefined>,
  /** Told of each QuickPick the extension creates (it stays open until hidden). */
  createQuickPick: ((() => undefined) as (p: FakeQuickPick) => void),
};

export class FakeQuickPick {
  items: { label: string; description?: string; detail?: string }[] = [];
  title?: string;
  placeholder?: string;
  busy = false;
  matchOnDescription = false;
  matchOnDetail = false;
  visible = false;
  private readonly hidden = new Set<() => void>();
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
    for (const f of [...this.hidden]) f();
  }
  onDidHide(f: () => void) {
    this.hidden.add(f);
    return { dispose: () => this.hidden.delete(f) };
  }
  dispose(): void {}
}

/** What the extension showed or did, in order. */
export const shown = {
  messages: [] as Message[],
  quickPicks: [] as string[][],
  inputBoxes: [] as { prompt?: string; password?: boolean }[],
  progress: [] as { title?: string; messages: string[] }[],
  channels: new Map<string, FakeOutputChannel>(),
  statusItems: [] as { text: string; tooltip?: string }[],
  clipboard: "",
  opened: [] as string[],
  webviews: [] as { posted: unknown[] }[],
  /** vscode.diff and other executed built-in commands, with their arguments. */
  executed: [] as { name: string; args: unknown[] }[],
  statusMessages: [] as string[],
};

export const config: Record<string, unknown> = {};
const commandTable = new Map<string, (...args: unknown[]) => unknown>();

export function reset(): void {
  shown.messages.length = 0;
  shown.quickPicks.length = 0;
  shown.inputBoxes.length = 0;
  shown.progress.length = 0;
  shown.channels.clear();
  shown.statusItems.length = 0;
  shown.clipboard = "";
  shown.opened.length = 0;
  shown.webviews.length = 0;
  shown.executed.length = 0;
  shown.statusMessages.length = 0;
  views.clear();
  contentProviders.clear();
  commandTable.clear();
  window.activeTextEditor = undefined;
  workspace.textDocuments.length = 0;
  diagnostics.clear();
  ui.quickPick = async () => undefined;
  ui.inputBox = async () => undefined;
  ui.message = async () => undefined;
  ui.createQuickPick = () => undefined;
  env.remoteName = undefined;
}

class Disposable {
  constructor(private readonly f: () => void = () => undefined) {}
  dispose(): void {
    this.f();
  }
}

export class Uri {
  private constructor(private readonly s: string) {}
  static parse(s: string): Uri {
    return new Uri(s);
  }
  static file(p: string): Uri {
    return new Uri("file://" + p);
  }
  static from(c: { scheme: string; path: string }): Uri {
    return new Uri(`${c.scheme}:${c.path}`);
  }
  static joinPath(u: Uri, ...parts: string[]): Uri {
    return new Uri([u.s, ...parts].join("/"));
  }
  get scheme(): string {
    return this.s.split(":")[0];
  }
  get path(): string {
    return this.scheme === "file" ? this.fsPath : this.s.slice(this.scheme.length + 1);
  }
  get fsPath(): string {
    return this.s.replace(/^file:\/\//, "");
  }
  toString(): string {
    return this.s;
  }
}

export class EventEmitter<T> {
  private readonly listeners = new Set<(e: T) => void>();
  readonly event = (f: (e: T) => void) => {
    this.listeners.add(f);
    return new Disposable(() => this.listeners.delete(f));
  };
  fire(e: T): void {
    for (const f of [...this.listeners]) f(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class TreeItem {
  description?: string;
  tooltip?: string;
  iconPath?: unknown;
  contextValue?: string;
  command?: unknown;
  constructor(
    readonly label: string,
    readonly collapsibleState?: number,
  ) {}
}
export const TreeItemCollapsibleState = { None: 0, Collapsed: 1, Expanded: 2 };
export class ThemeIcon {
  constructor(readonly id: string) {}
}

/** A webview view the test plays the user of: it reads what was posted and sends messages. */
export class FakeWebviewView {
  posted: any[] = [];
  visible = true;
  private receive?: (m: unknown) => unknown;
  webview = {
    html: "",
    options: {},
    cspSource: "vscode-webview:",
    asWebviewUri: (u: Uri) => u,
    // Serialized as VS Code does: what was posted does not change afterwards.
    postMessage: async (m: unknown) => (this.posted.push(JSON.parse(JSON.stringify(m))), true),
    onDidReceiveMessage: (f: (m: unknown) => unknown) => ((this.receive = f), new Disposable()),
  };
  show(): void {
    this.visible = true;
  }
  onDidDispose = () => new Disposable();
  /** Sends a message as the webview script would, and waits for its handling. */
  async send(m: unknown): Promise<void> {
    await this.receive?.(m);
  }
}

export const views = new Map<string, { resolveWebviewView(v: FakeWebviewView): void }>();
export const contentProviders = new Map<string, { provideTextDocumentContent(u: Uri): string }>();

/** Resolves the registered webview view with a fresh fake, as opening the view would. */
export function openView(id: string): FakeWebviewView {
  const v = new FakeWebviewView();
  const p = views.get(id);
  if (!p) throw new Error(`no webview view ${id} registered`);
  p.resolveWebviewView(v);
  return v;
}

/** A Memento kept in memory, as workspaceState. */
export class Memento {
  private readonly m = new Map<string, unknown>();
  get<T>(k: string, d?: T): T | undefined {
    return (this.m.has(k) ? this.m.get(k) : d) as T | undefined;
  }
  async update(k: string, v: unknown): Promise<void> {
    if (v === undefined) this.m.delete(k);
    else this.m.set(k, v);
  }
  keys(): string[] {
    return [...this.m.keys()];
  }
}

export const StatusBarAlignment = { Left: 1, Right: 2 };
export const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 };
export const ViewColumn = { Active: -1, Beside: -2, One: 1 };

function message(level: Message["level"]) {
  return async (text: string, ...rest: unknown[]): Promise<string | undefined> => {
    let modal = false;
    let detail: string | undefined;
    if (rest.length && typeof rest[0] === "object" && rest[0] !== null) {
      const opts = rest.shift() as { modal?: boolean; detail?: string };
      modal = !!opts.modal;
      detail = opts.detail;
    }
    // A toast without buttons goes by itself; one with buttons stays until answered.
    const m: Message = { level, text, items: rest as string[], modal, detail, open: rest.length > 0 };
    shown.messages.push(m);
    return Promise.resolve(ui.message(m)).finally(() => (m.open = false));
  };
}

export const window = {
  activeTextEditor: undefined as unknown,
  tabGroups: { all: [] as unknown[], close: async () => true },
  registerWebviewViewProvider(id: string, p: { resolveWebviewView(v: FakeWebviewView): void }) {
    views.set(id, p);
    return new Disposable(() => views.delete(id));
  },
  createTreeView(_id: string, _opts: unknown) {
    return { message: undefined as string | undefined, dispose() {} };
  },
  setStatusBarMessage(text: string) {
    shown.statusMessages.push(text);
    return new Disposable();
  },
  async showTextDocument(u: Uri) {
    shown.executed.push({ name: "showTextDocument", args: [u.toString()] });
  },
  createOutputChannel(name: string): FakeOutputChannel {
    const c = new FakeOutputChannel(name);
    shown.channels.set(name, c);
    return c;
  },
  createStatusBarItem() {
    const item = { text: "", tooltip: "", command: "", show() {}, hide() {}, dispose() {} };
    shown.statusItems.push(item);
    return item;
  },
  createQuickPick() {
    const p = new FakeQuickPick();
    ui.createQuickPick(p);
    return p;
  },
  async showQuickPick(items: { label: string; id?: string }[], opts: unknown) {
    shown.quickPicks.push(items.map((i) => i.label));
    return ui.quickPick(items, opts);
  },
  async showInputBox(opts: { prompt?: string; password?: boolean }) {
    shown.inputBoxes.push(opts);
    return ui.inputBox(opts);
  },
  showInformationMessage: message("info"),
  showWarningMessage: message("warning"),
  showErrorMessage: message("error"),
  async withProgress<T>(opts: { title?: string }, task: (p: unknown, t: unknown) => Promise<T>): Promise<T> {
    const rec = { title: opts.title, messages: [] as string[] };
    shown.progress.push(rec);
    const listeners: (() => void)[] = [];
    const token = {
      isCancellationRequested: false,
      onCancellationRequested: (f: () => void) => (listeners.push(f), new Disposable()),
    };
    return task({ report: (v: { message?: string }) => rec.messages.push(v.message ?? "") }, token);
  },
  createWebviewPanel() {
    const rec = { posted: [] as unknown[] };
    shown.webviews.push(rec);
    return {
      webview: {
        html: "",
        postMessage: async (m: unknown) => (rec.posted.push(m), true),
        onDidReceiveMessage: () => new Disposable(),
      },
      reveal() {},
      onDidDispose: () => new Disposable(),
    };
  },
};

export const workspace = {
  workspaceFolders: undefined as { uri: Uri }[] | undefined,
  /** The documents open (shown or not). */
  textDocuments: [] as { uri: Uri }[],
  async openTextDocument(u: Uri) {
    let d = workspace.textDocuments.find((x) => x.uri.toString() === u.toString());
    if (!d) workspace.textDocuments.push((d = { uri: u }));
    return d;
  },
  getConfiguration(section: string) {
    return { get: <T>(key: string): T | undefined => config[`${section}.${key}`] as T | undefined };
  },
  registerTextDocumentContentProvider(scheme: string, p: { provideTextDocumentContent(u: Uri): string }) {
    contentProviders.set(scheme, p);
    return new Disposable(() => contentProviders.delete(scheme));
  },
  asRelativePath(u: Uri | string): string {
    const p = typeof u === "string" ? u : u.fsPath;
    const root = workspace.workspaceFolders?.[0]?.uri.fsPath;
    return root && p.startsWith(root + "/") ? p.slice(root.length + 1) : p;
  },
  // Walks the first workspace folder; the patterns are "**/*part*" as the extension sends them.
  async findFiles(include: string): Promise<Uri[]> {
    const root = workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!root) return [];
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    const part = include.replace(/^\*\*\//, "").replace(/\*/g, "");
    const out: Uri[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== "node_modules" && e.name !== ".git") walk(p);
        } else if (path.relative(root, p).includes(part)) out.push(Uri.file(p));
      }
    };
    walk(root);
    return out;
  },
};

/** The text of a virtual document, as the diff editor would show it. */
export function documentText(u: Uri): string {
  const p = contentProviders.get(u.scheme);
  if (!p) throw new Error(`no content provider for ${u.scheme}`);
  return p.provideTextDocumentContent(u);
}

export const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };

/** A problem as a language server reports it (lines 0-based). */
export interface FakeDiagnostic {
  severity: number;
  message: string;
  source?: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

const diagnostics = new Map<string, FakeDiagnostic[]>();
const diagnosticsChanged = new EventEmitter<{ uris: Uri[] }>();

export const languages = {
  getDiagnostics(u: Uri): FakeDiagnostic[] {
    return diagnostics.get(u.toString()) ?? [];
  },
  onDidChangeDiagnostics: diagnosticsChanged.event,
};

/** What a language server does: sets a file's problems and says they changed. */
export function setDiagnostics(u: Uri, ds: FakeDiagnostic[]): void {
  diagnostics.set(u.toString(), ds);
  diagnosticsChanged.fire({ uris: [u] });
}

export const commands = {
  registerCommand(name: string, f: (...args: unknown[]) => unknown): Disposable {
    commandTable.set(name, f);
    return new Disposable(() => commandTable.delete(name));
  },
  async executeCommand(name: string, ...args: unknown[]): Promise<unknown> {
    const f = commandTable.get(name);
    if (f) return f(...args);
    if (name.startsWith("vscode.") || name.endsWith(".focus")) {
      shown.executed.push({ name, args });
      return undefined;
    }
    throw new Error(`command ${name} not found`);
  },
};

export const env = {
  remoteName: undefined as string | undefined,
  clipboard: {
    async writeText(s: string) {
      shown.clipboard = s;
    },
  },
  async openExternal(u: Uri) {
    shown.opened.push(u.toString());
    return true;
  },
};
