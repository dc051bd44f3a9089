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
};

/** What the extension showed or did, in order. */
export const shown = {
  messages: [] as Message[],
  quickPicks: [] as string[][],
  inputBoxes: [] as { prompt?: string; password?: boolean }[],
  progress: [] as { title?: string; messages: string[] }[],
  channels: new Map<string, FakeOutputChannel>(),
  statusItems: [] as { text: string }[],
  clipboard: "",
  opened: [] as string[],
  webviews: [] as { posted: unknown[] }[],
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
  ui.quickPick = async () => undefined;
  ui.inputBox = async () => undefined;
  ui.message = async () => undefined;
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
  get fsPath(): string {
    return this.s.replace(/^file:\/\//, "");
  }
  toString(): string {
    return this.s;
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
    const m: Message = { level, text, items: rest as string[], modal, detail };
    shown.messages.push(m);
    return ui.message(m);
  };
}

export const window = {
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
  getConfiguration(section: string) {
    return { get: <T>(key: string): T | undefined => config[`${section}.${key}`] as T | undefined };
  },
};

export const commands = {
  registerCommand(name: string, f: (...args: unknown[]) => unknown): Disposable {
    commandTable.set(name, f);
    return new Disposable(() => commandTable.delete(name));
  },
  async executeCommand(name: string, ...args: unknown[]): Promise<unknown> {
    const f = commandTable.get(name);
    if (!f) throw new Error(`command ${name} not found`);
    return f(...args);
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
