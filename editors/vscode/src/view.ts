// The shapes the extension and the chat webview exchange. Both bundles import
// this file; it holds types and pure helpers only.

/** An attachment as the input shows it, before sending. */
export interface Chip {
  id: string;
  label: string;
  /** What goes to deckhand (a protocol 1.1 attachment). */
  attachment: { type: "file"; path: string } | { type: "selection"; path: string; range: { startLine: number; endLine: number }; text: string };
}

export type ItemAction = { label: string; action: "login" | "resend" | "chooseModel" | "openLog" };

export type Item =
  | { kind: "user"; id: string; text: string; chips?: string[] }
  | { kind: "thinking"; id: string; text: string }
  | { kind: "text"; id: string; text: string }
  | {
      kind: "tool";
      id: string;
      callId: string;
      name: string;
      summary: string;
      /** The whole command (bash) or the arguments, shown when expanded. */
      detail: string;
      status: "running" | "ok" | "failed";
      output?: string;
      error?: string;
      changed?: string[];
      /** A command's exit status. */
      exitCode?: number;
      /** The output came as chat/toolOutput while the command ran. */
      streamed?: boolean;
      /** A command: whether it ran inside the OS sandbox (chat/toolResult's sandboxed, 1.2). */
      sandboxed?: boolean;
    }
  | {
      kind: "permission";
      id: string;
      /** The tool call it is about; the view shows the card just before that call's card. */
      callId?: string;
      tool: string;
      description: string;
      command?: string;
      cwd?: string;
      path?: string;
      diff?: string;
      /** apply_patch: every file of the patch, in its order. */
      files?: { path: string; action: string; movePath?: string; diff: string }[];
      /** A command: whether it would run in the OS sandbox, and the model's reason to ask. */
      sandboxed?: boolean;
      justification?: string;
      state: "pending" | "allow" | "allowAlways" | "deny" | "withdrawn";
      reason?: string;
    }
  | { kind: "end"; id: string; turnId: string; stopReason: string; summary: string; changed: string[]; canUndo: boolean; undone?: string }
  | { kind: "error"; id: string; text: string; actions: ItemAction[] }
  | { kind: "notice"; id: string; text: string; warning?: boolean };

export interface ModelChoice {
  id: string;
  label: string;
  efforts: string[];
}

/** Everything under the input: running state, pickers, chips. */
export interface InputState {
  running: boolean;
  models: ModelChoice[];
  model?: string;
  effort?: string;
  chips: Chip[];
  loggedIn: boolean;
  /** deckhand said there is no login: the panel offers it before the first message. */
  loginNeeded?: boolean;
  /** A login flow waiting for the user: the panel shows its code or URL and its actions until it ends. */
  loginFlow?: { method: "headless" | "browser"; code?: string; url: string };
  /** AuthStatus.warning: a stored login that was lost or cannot be used. */
  authWarning?: string;
  /** The conversation's size against the model's context window, after the last turn. */
  context?: { tokens: number; window: number };
  /** The plan's usage windows, shortest first; resets in the user's zone. */
  limits?: { name: string; usedPercent: number; resets?: string }[];
  /** The approval policy of the next turns (1.2 §17); with the sandbox deckhand has, shown when it has one. */
  policy?: { value: "untrusted" | "on-request" | "never"; sandbox: string; reason?: string };
}

/** A plan window this full is warned of before a turn. */
export const nearlyUsedPercent = 90;

/** What the panel's login-flow buttons ask for. */
export type FlowAction = "copyOpen" | "openUrl" | "copyUrl" | "paste" | "cancel";

export type ToWebview =
  | { type: "reset"; items: Item[]; input: InputState }
  | { type: "item"; item: Item }
  /** More text for a text or thinking item the view already has. */
  | { type: "append"; id: string; text: string }
  | { type: "input"; input: InputState }
  | { type: "files"; requestId: number; files: string[] }
  | { type: "focus" };

export type FromWebview =
  /** timeZone: the user's (IANA name), where the view runs. */
  | { type: "ready"; timeZone?: string }
  | { type: "loginFlow"; action: FlowAction }
  | { type: "send"; text: string }
  | { type: "stop" }
  | { type: "new" }
  | { type: "permission"; id: string; decision: "allow" | "allowAlways" | "deny"; reason?: string }
  | { type: "openProposal"; id: string; index?: number }
  | { type: "openChange"; turnId: string; path: string }
  | { type: "undo"; turnId: string }
  | { type: "model"; model: string }
  | { type: "effort"; effort: string }
  | { type: "policy"; policy: string }
  | { type: "mcp" }
  | { type: "files"; requestId: number; query: string }
  | { type: "attachFile"; path: string }
  | { type: "removeChip"; id: string }
  | { type: "action"; itemId: string; action: ItemAction["action"] }
  | { type: "copy"; text: string }
  | { type: "login" };

/** Characters and lines of a command, said when it is too long to take in at a glance. */
export function sizeNote(command: string): string {
  const lines = command.split("\n").length;
  if (command.length <= 200 && lines <= 4) return "";
  return `${command.length.toLocaleString("en-US")} characters, ${lines} line${lines === 1 ? "" : "s"}: scroll to read all of it`;
}

/** How much of text (from its start) holds only finished blocks. */
export function finishedPrefix(text: string): number {
  let cut = 0;
  let fence = "";
  let at = 0;
  let blankBefore = false;
  while (at < text.length) {
    const nl = text.indexOf("\n", at);
    if (nl < 0) break; // the last line is not complete yet
    const line = text.slice(at, nl);
    if (fence) {
      if (line.trimStart().startsWith(fence) && line.trim().replace(/[`~]/g, "") === "") fence = "";
    } else {
      const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (blankBefore && line.trim() !== "" && !/^[ \t]/.test(line)) cut = at;
      if (open) fence = open[1];
    }
    blankBefore = !fence && line.trim() === "";
    at = nl + 1;
  }
  return cut;
}
