// Chat is the conversation of this window: the deckhand session messages go
// to, the transcript the panel shows, the running turn, the permission
// questions waiting for the user, the model choice and the attachments of the
// next message. The panel renders it; commands and the panel drive it.

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { ApprovalPolicy, Attachment, ChatEvent, ChatResult, Connection, LoadedSession, LoadedTool, LoadedTurn, PermissionAnswer, PermissionRequest } from "./deckhand";
import { DiagnosticsParams, introduced, WireDiagnostic } from "./diagnostics";
import { applyUnified, errorView, localTime, toolSummary } from "./format";
import { Host } from "./host";
import { flowAction, login } from "./login";
import { Review } from "./review";
import { CancellationToken, CancellationTokenSource, ErrorCode, RpcError } from "./rpc";
import { Chip, FlowAction, InputState, Item, ItemAction, ModelChoice, nearlyUsedPercent, ToWebview } from "./view";

interface Turn {
  source: CancellationTokenSource;
  sessionId?: string;
  turnId?: string;
  /** What write/edit calls found on disk before they ran, by workspace-relative path. */
  before: Map<string, string | undefined>;
  changed: Set<string>;
  /** Whether a bash call ran (its changes are not undone and not listed). */
  ranBash: boolean;
}

interface Pending {
  req: PermissionRequest;
  item: Extract<Item, { kind: "permission" }>;
  resolve(a: PermissionAnswer): void;
}

const keys = { session: "deckhand.sessionId", model: "deckhand.model", effort: "deckhand.effort", policy: "deckhand.approvalPolicy" };
const policies = ["untrusted", "on-request", "never"] as const;

export class Chat {
  /** The session follow-up messages go to. */
  sessionId?: string;
  items: Item[] = [];
  chips: Chip[] = [];
  models: ModelChoice[] = [];
  private turn?: Turn;
  private nextId = 1;
  /** The conversation's size against the model's window, from the last chat result (§15.6). */
  private context?: { tokens: number; window: number };
  /** Plan windows already warned of, by name and reset time: warned once each. */
  private readonly warned = new Set<string>();
  private readonly views = new Set<(m: ToWebview) => void>();
  private readonly pending = new Map<string, Pending>();
  /** Before-contents of finished turns, for "open the change as a diff". */
  private readonly befores = new Map<string, Map<string, string | undefined>>();
  /** The last message sent, its item in the transcript, and its turn when it failed (what Resend replaces). */
  private last?: { text: string; chips: Chip[]; itemId?: string; failedTurn?: string };
  private readonly appends = new Map<string, string>();
  private appendTimer?: ReturnType<typeof setTimeout>;
  /**
   * How long streamed text is gathered before it goes to the views. Each
   * message crosses the workbench's main thread (under code-server the
   * webview's too) and costs the view a render; 20 a second reads as smooth
   * and leaves that thread time for the user's clicks.
   */
  static appendMs = 50;
  private readonly runningEmitter = new vscode.EventEmitter<boolean>();
  readonly onDidChangeRunning = this.runningEmitter.event;
  /** Called when the panel should come forward (a question for the user). */
  reveal: () => void = () => undefined;
  /** Called when the number of questions waiting for the user changes; req is the one just asked. */
  onWaiting: (count: number, req?: PermissionRequest) => void = () => undefined;

  constructor(
    private readonly host: Host,
    private readonly state: vscode.Memento,
    private readonly review: Review,
  ) {
    // The panel offers the actions of a login flow while it waits for the user.
    host.onDidChangeLoginFlow(() => this.pushInput());
    host.onDidChangeLimits(() => this.pushInput());
    host.onDidChangeTimeZone(() => this.pushInput());
    host.onDiagnostics = (p, answer) => this.onDiagnostics(p, answer);
  }

  /** The last "before" answer of the running turn's step, by path. */
  private diagBefore = new Map<string, WireDiagnostic[]>();

  /**
   * After a step changed files, what deckhand tells the model of the
   * problems the change introduced, said in the transcript too (the tool's
   * card was drawn before deckhand added them to its output).
   */
  private onDiagnostics(p: DiagnosticsParams, answer: WireDiagnostic[]): void {
    const turn = this.turn;
    if (!turn || (turn.sessionId && p?.sessionId !== turn.sessionId)) return;
    const paths = Array.isArray(p?.paths) ? p.paths : [];
    if (p.when === "before") {
      for (const x of paths) this.diagBefore.set(x, answer.filter((d) => d.path === x));
      return;
    }
    const before = paths.flatMap((x) => this.diagBefore.get(x) ?? []);
    for (const x of paths) this.diagBefore.delete(x);
    const fresh = introduced(before, answer);
    if (!fresh.length) return;
    const shown = fresh.slice(0, 5).map((d) => `${d.path}:${d.range.startLine}: ${d.severity}: ${d.message}${d.source ? ` (${d.source})` : ""}`);
    if (fresh.length > shown.length) shown.push(`(${fresh.length - shown.length} more)`);
    this.add({
      kind: "notice",
      id: this.id(),
      warning: true,
      text: `The language servers report ${fresh.length === 1 ? "a problem" : `${fresh.length} problems`} this change introduced; deckhand told the model:\n${shown.join("\n")}`,
    });
  }

  get running(): boolean {
    return this.turn !== undefined;
  }

  get model(): string | undefined {
    return this.state.get<string>(keys.model) || undefined;
  }

  get effort(): string | undefined {
    return this.state.get<string>(keys.effort) || undefined;
  }

  /** The approval policy chosen for this workspace; deckhand's default (on-request) when none. */
  get approvalPolicy(): ApprovalPolicy | undefined {
    const p = this.state.get<string>(keys.policy);
    return policies.includes(p as ApprovalPolicy) ? (p as ApprovalPolicy) : undefined;
  }

  async setApprovalPolicy(p: string): Promise<void> {
    if (!policies.includes(p as ApprovalPolicy)) return;
    await this.state.update(keys.policy, p === "on-request" ? undefined : p);
    this.pushInput();
  }

  /** Subscribes a view; it gets the whole transcript at once, then changes. */
  attach(post: (m: ToWebview) => void): vscode.Disposable {
    // The transcript already holds the text not yet sent to the other views.
    this.flushAppends();
    this.views.add(post);
    post({ type: "reset", items: this.items, input: this.input() });
    return { dispose: () => this.views.delete(post) };
  }

  input(): InputState {
    const loggedIn = !!this.host.authStatus && this.host.authStatus.type !== "none";
    const loginNeeded = this.host.authStatus?.type === "none";
    const f = this.host.loginFlow;
    const loginFlow = f ? { method: f.method, code: f.code, url: f.url } : undefined;
    const limits = loggedIn
      ? (this.host.limits?.windows ?? [])
          .filter((w) => typeof w?.name === "string" && typeof w.usedPercent === "number")
          .map((w) => ({ name: w.name, usedPercent: w.usedPercent, resets: w.resetsAt ? localTime(w.resetsAt, this.host.timeZone, "dateTime") || undefined : undefined }))
      : undefined;
    return {
      running: this.running,
      models: this.models,
      model: this.currentModel(),
      effort: this.effort,
      chips: this.chips,
      loggedIn,
      loginNeeded,
      loginFlow,
      authWarning: this.host.authStatus?.warning,
      context: this.context,
      limits: limits?.length ? limits : undefined,
      policy: this.host.sandbox ? { value: this.approvalPolicy ?? "on-request", sandbox: this.host.sandbox.kind, reason: this.host.sandbox.reason } : undefined,
    };
  }

  /** Runs one turn; resolves with its result, or undefined when it did not complete. */
  async send(text: string, chips: Chip[] = this.takeChips(), retryOf?: string): Promise<ChatResult | undefined> {
    if (this.turn) {
      vscode.window.showWarningMessage("deckhand is still answering: press Stop first, or wait. Your message stays in the input.");
      return undefined;
    }
    this.warnNearlyUsed();
    const userItem: Item = { kind: "user", id: this.id(), text, chips: chips.map((c) => c.label) };
    const last = (this.last = { text, chips, itemId: userItem.id, failedTurn: undefined as string | undefined });
    this.add(userItem);
    const source = new CancellationTokenSource();
    const turn: Turn = { source, sessionId: this.sessionId, before: new Map(), changed: new Set(), ranBash: false };
    this.setTurn(turn);
    let conn: Connection | undefined;
    let off = () => {};
    try {
      conn = await this.host.connection();
      const { message, attachments } = this.compose(conn, text, chips);
      off = conn.onChat((e) => this.onEvent(turn, e));
      // A 1.1 deckhand has no policies: it is not sent one.
      const approvalPolicy = conn.initialized.capabilities?.sandbox ? this.approvalPolicy : undefined;
      const result = await conn.chat(message, { sessionId: turn.sessionId, model: this.currentModel(), reasoningEffort: this.effort, attachments, retryOf, approvalPolicy }, source.token);
      this.adopt(result.sessionId);
      this.finish(conn, turn, result);
      return result;
    } catch (err) {
      // A turn that failed after chat/started leaves a usable session.
      if (turn.sessionId) this.adopt(turn.sessionId);
      last.failedTurn = turn.turnId;
      if (!(err instanceof RpcError && err.code === ErrorCode.RequestCancelled)) this.fail(err);
      else this.add({ kind: "notice", id: this.id(), text: "Stopped." });
      return undefined;
    } finally {
      off();
      this.withdrawAll();
      this.setTurn(undefined);
      source.dispose();
    }
  }

  /**
   * Before a turn: a plan window at 90% or more is said in the transcript,
   * once per window until it resets, so a turn that stops at the limit
   * does not come as a surprise.
   */
  private warnNearlyUsed(): void {
    if (!this.host.authStatus || this.host.authStatus.type === "none") return;
    for (const w of this.host.limits?.windows ?? []) {
      if (typeof w?.usedPercent !== "number" || w.usedPercent < nearlyUsedPercent) continue;
      const key = `${w.name} ${w.resetsAt ?? ""}`;
      if (this.warned.has(key)) continue;
      this.warned.add(key);
      const at = w.resetsAt ? localTime(w.resetsAt, this.host.timeZone, "dateTime") : "";
      const used = w.usedPercent >= 100 ? "used up" : `${Math.floor(w.usedPercent)}% used`;
      this.add({
        kind: "notice",
        id: this.id(),
        warning: true,
        text: `Your plan's ${w.name} window is ${used}${at ? ` (it resets ${at})` : ""}: this turn may stop at the limit.`,
      });
    }
  }

  /** Stops the running turn; false when none runs. */
  async cancel(): Promise<boolean> {
    const turn = this.turn;
    if (!turn) return false;
    this.withdrawAll();
    if (!turn.sessionId) {
      // Before chat/started there is no session to name: cancel the request itself.
      turn.source.cancel();
      return true;
    }
    const conn = await this.host.connection();
    return (await conn.cancelTurn(turn.sessionId)).cancelled;
  }

  /** New: forgets the conversation and clears the panel. */
  async reset(): Promise<void> {
    if (this.turn) await this.cancel().catch(() => undefined);
    this.sessionId = undefined;
    this.items = [];
    this.chips = [];
    this.befores.clear();
    this.context = undefined;
    await this.state.update(keys.session, undefined);
    this.broadcast({ type: "reset", items: this.items, input: this.input() });
  }

  /** Shows a stored session and continues it with the next message. */
  async load(sessionId: string): Promise<void> {
    if (this.turn) throw new Error("deckhand is still answering: stop the turn before opening another conversation.");
    const conn = await this.host.connection();
    const s = await conn.loadSession(sessionId);
    this.items = this.render(s, conn.has("undo"));
    this.sessionId = s.sessionId;
    this.befores.clear();
    // The gauge at once: the last turn's usage as its result had it.
    this.context = undefined;
    for (const t of s.turns ?? []) this.context = contextOf(t.usage) ?? this.context;
    await this.state.update(keys.session, s.sessionId);
    this.broadcast({ type: "reset", items: this.items, input: this.input() });
  }

  /** After a window reload: shows the session this workspace had open, if deckhand keeps sessions. */
  async restore(): Promise<void> {
    const id = this.state.get<string>(keys.session);
    if (!id || this.sessionId || this.items.length) return;
    const conn = await this.host.connection();
    if (!conn.has("sessions")) return;
    this.host.log.appendLine(`reopening conversation ${id}`);
    try {
      await this.load(id);
    } catch (err) {
      this.host.log.appendLine(`could not reopen the last conversation: ${(err as Error).message}`);
      await this.state.update(keys.session, undefined);
    }
  }

  /** Reads the model catalog; the pickers stay hidden until it answers. */
  async refreshModels(): Promise<void> {
    try {
      const conn = await this.host.connection();
      if (!this.host.authStatus || this.host.authStatus.type === "none") {
        this.models = [];
      } else {
        const res = await conn.models();
        const def = res.models.find((m) => m.default)?.id ?? res.default;
        this.models = res.models.map((m) => ({ id: m.id, label: m.label || m.id, efforts: m.reasoningEfforts?.length ? m.reasoningEfforts : ["low", "medium", "high"] }));
        // The default model first, so a fresh workspace starts on it.
        if (def) this.models.sort((a, b) => (a.id === def ? -1 : b.id === def ? 1 : 0));
      }
    } catch (err) {
      this.host.log.appendLine(`models: ${(err as Error).message}`);
      this.models = [];
    }
    this.pushInput();
  }

  async setModel(model: string): Promise<void> {
    await this.state.update(keys.model, model);
    const m = this.models.find((x) => x.id === model);
    if (this.effort && m && !m.efforts.includes(this.effort)) await this.state.update(keys.effort, undefined);
    this.pushInput();
  }

  async setEffort(effort: string): Promise<void> {
    await this.state.update(keys.effort, effort || undefined);
    this.pushInput();
  }

  currentModel(): string | undefined {
    const saved = this.model;
    if (saved && (!this.models.length || this.models.some((m) => m.id === saved))) return saved;
    return this.models[0]?.id;
  }

  addChip(chip: Chip): void {
    this.chips = [...this.chips.filter((c) => c.label !== chip.label), chip];
    this.pushInput();
  }

  removeChip(id: string): void {
    this.chips = this.chips.filter((c) => c.id !== id);
    this.pushInput();
  }

  /** deckhand's permission/request: a card in the panel, and the diff editor for edits. */
  askPermission(req: PermissionRequest, token: CancellationToken): Promise<PermissionAnswer> {
    const args = req.arguments ?? {};
    const item: Extract<Item, { kind: "permission" }> = {
      kind: "permission",
      id: this.id(),
      callId: req.callId,
      tool: req.tool,
      description: req.description,
      state: "pending",
    };
    if (req.tool === "apply_patch" && Array.isArray(req.preview?.files)) {
      item.files = req.preview.files.map((f) => ({ path: f.path, action: f.action, movePath: f.movePath, diff: f.diff ?? "" }));
    } else if (req.tool === "bash" || req.tool === "exec_command") {
      const cmd = req.tool === "bash" ? args.command : args.cmd;
      item.command = req.preview?.command ?? (typeof cmd === "string" ? cmd : JSON.stringify(args, null, 2));
      item.cwd = req.preview?.cwd;
      if (typeof req.preview?.sandboxed === "boolean") item.sandboxed = req.preview.sandboxed;
      if (req.preview?.justification) item.justification = req.preview.justification;
    } else if (typeof args.path === "string" || req.preview?.path) {
      item.path = req.preview?.path ?? (args.path as string);
      item.diff = req.preview?.diff;
    } else {
      item.command = JSON.stringify(args, null, 2);
    }
    const answer = new Promise<PermissionAnswer>((resolve) => {
      const sub = token.onCancellationRequested(() => this.decide(item.id, "withdrawn"));
      this.pending.set(item.id, {
        req,
        item,
        resolve: (a) => {
          sub.dispose();
          resolve(a);
        },
      });
    });
    this.add(item);
    // Told first: whether the chat was in sight decides whether to notify.
    this.onWaiting(this.pending.size, req);
    this.reveal();
    if (req.tool === "edit" || req.tool === "write" || item.files?.length) this.openProposal(item.id).catch((e) => this.host.log.appendLine(`diff: ${e.message}`));
    return answer;
  }

  /** The user's answer to a permission card (or its withdrawal); resolves once its diff is closed. */
  decide(id: string, decision: "allow" | "allowAlways" | "deny" | "withdrawn", reason?: string): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return Promise.resolve();
    this.pending.delete(id);
    this.onWaiting(this.pending.size);
    p.item.state = decision;
    if (reason?.trim()) p.item.reason = reason.trim();
    this.update(p.item);
    const closed = this.review.closeProposal(id);
    this.host.log.appendLine(`permission ${p.req.tool}: ${decision}${p.item.reason ? ` (${p.item.reason})` : ""}`);
    p.resolve(decision === "withdrawn" ? { decision: "deny" } : { decision, reason: decision === "deny" ? p.item.reason : undefined });
    return closed;
  }

  /** Opens the diff editor for a permission card's proposed change (of a patch, its file number index). */
  async openProposal(id: string, index = 0): Promise<void> {
    const p = this.pending.get(id);
    const item = p?.item ?? (this.items.find((i) => i.id === id) as Extract<Item, { kind: "permission" }> | undefined);
    if (item?.files) {
      const f = item.files[index];
      if (!f) return;
      const before = f.action === "add" ? "" : (readOrUndefined(this.abs(f.path)) ?? "");
      const after = f.action === "delete" ? "" : (applyUnified(before, f.diff) ?? f.diff);
      const shown = f.movePath ? `${f.path} → ${f.movePath}` : f.path;
      const of = item.files.length > 1 ? `, file ${index + 1} of ${item.files.length}` : "";
      await this.review.showProposal(id, f.path, before, after, `${shown}: proposed ${f.action} (deckhand${of})`);
      return;
    }
    if (!item?.path) return;
    const args = p?.req.arguments ?? {};
    const abs = this.abs(item.path);
    const before = readOrUndefined(abs);
    let after: string | undefined;
    if (item.tool === "write" && typeof args.content === "string") after = args.content;
    if (item.tool === "edit" && before !== undefined && typeof args.oldString === "string" && typeof args.newString === "string") {
      after = args.replaceAll ? before.split(args.oldString).join(args.newString) : replaceOnce(before, args.oldString, args.newString);
    }
    if (after === undefined && item.diff) after = item.diff; // no content to compute: show deckhand's diff against the file
    if (after === undefined) return;
    await this.review.showProposal(id, item.path, before ?? "", after, `${item.path}: proposed ${item.tool} (deckhand)`);
  }

  /** Opens a file a turn changed as a diff against its content before the turn. */
  async openChange(turnId: string, rel: string): Promise<void> {
    const before = this.befores.get(turnId);
    const uri = vscode.Uri.file(this.abs(rel));
    if (!before || !before.has(rel)) {
      await vscode.window.showTextDocument(uri);
      return;
    }
    await this.review.showChange(turnId, rel, before.get(rel) ?? "", uri);
  }

  /** Undo: puts back the files a turn changed. */
  async undo(turnId: string): Promise<void> {
    if (!this.sessionId) return;
    const conn = await this.host.connection();
    const res = await conn.undo(this.sessionId, turnId);
    const end = this.items.find((i) => i.kind === "end" && i.turnId === turnId) as Extract<Item, { kind: "end" }> | undefined;
    const parts: string[] = [];
    if (res.restored.length) parts.push(`Restored ${res.restored.join(", ")}.`);
    for (const s of res.skipped) parts.push(`Kept ${s.path}: ${s.reason}`);
    if (!parts.length) parts.push("Nothing to restore.");
    if (res.message) parts.push(res.message);
    if (end) {
      end.undone = parts.join(" ");
      end.canUndo = false;
      this.update(end);
    } else {
      this.add({ kind: "notice", id: this.id(), text: parts.join(" ") });
    }
  }

  /** A button of the login flow the panel shows. */
  flowAction(action: FlowAction): Promise<void> {
    return flowAction(this.host, action);
  }

  /** The user's time zone, reported by the chat view. */
  setTimeZone(tz: string | undefined): void {
    this.host.setTimeZone(tz);
  }

  /** An error card's button. */
  async act(itemId: string, action: ItemAction["action"]): Promise<void> {
    const item = this.items.find((i) => i.id === itemId);
    switch (action) {
      case "login":
        if ((await login(this.host)) && this.last) {
          this.dropFailed(item);
          await this.refreshModels();
          await this.send(this.last.text, this.last.chips, this.last.failedTurn);
        }
        break;
      case "resend":
        if (this.last) {
          this.dropFailed(item);
          await this.send(this.last.text, this.last.chips, this.last.failedTurn);
        }
        break;
      case "chooseModel":
        await vscode.commands.executeCommand("deckhand.chooseModel");
        break;
      case "openLog":
        this.host.log.show(true);
        break;
    }
  }

  private compose(conn: Connection, text: string, chips: Chip[]): { message: string; attachments?: Attachment[] } {
    if (!chips.length) return { message: text };
    if (conn.has("attachments")) return { message: text, attachments: chips.map((c) => c.attachment) };
    // A 1.0 deckhand takes no attachments: the selections go inline, files by name.
    const parts = chips.map((c) =>
      c.attachment.type === "selection"
        ? `${c.attachment.path} lines ${c.attachment.range.startLine}-${c.attachment.range.endLine}:\n\`\`\`\n${c.attachment.text}\n\`\`\``
        : `File: ${c.attachment.path}`,
    );
    return { message: `${text}\n\n${parts.join("\n\n")}` };
  }

  private onEvent(turn: Turn, e: ChatEvent): void {
    if (e.kind === "started") {
      // A new conversation learns its id here; a follow-up matches its own.
      if (turn.turnId || (turn.sessionId && turn.sessionId !== e.sessionId)) return;
      turn.sessionId = e.sessionId;
      turn.turnId = e.turnId;
      this.adopt(e.sessionId);
      return;
    }
    if (e.turnId !== turn.turnId) return;
    switch (e.kind) {
      case "delta":
      case "reasoning": {
        const kind = e.kind === "delta" ? "text" : "thinking";
        const last = this.items[this.items.length - 1];
        if (last && last.kind === kind) {
          last.text += e.text;
          this.append(last.id, e.text);
        } else {
          this.add({ kind, id: this.id(), text: e.text });
        }
        break;
      }
      case "toolCall": {
        const args = e.arguments ?? {};
        if ((e.name === "write" || e.name === "edit") && typeof args.path === "string") {
          const rel = this.rel(args.path);
          if (!turn.before.has(rel)) turn.before.set(rel, readOrUndefined(this.abs(rel)));
        }
        if (e.name === "apply_patch" && typeof args.input === "string") {
          // Each file the patch names, as it was, for the turn's diffs.
          for (const m of args.input.matchAll(/^\*\*\* (?:Add|Update|Delete) File: (.+)$/gm)) {
            const rel = this.rel(m[1].trim());
            if (!turn.before.has(rel)) turn.before.set(rel, readOrUndefined(this.abs(rel)));
          }
        }
        if (e.name === "bash" || e.name === "exec_command") turn.ranBash = true;
        this.add({ kind: "tool", id: this.id(), callId: e.callId, name: e.name, summary: toolSummary(e.name, args), detail: toolDetail(e.name, args), status: "running" });
        break;
      }
      case "toolResult": {
        const card = [...this.items].reverse().find((i) => i.kind === "tool" && i.callId === e.callId) as Extract<Item, { kind: "tool" }> | undefined;
        let changed = e.changedPaths;
        if (!changed && e.ok && (e.name === "write" || e.name === "edit")) {
          // A 1.0 deckhand does not list changed paths: a successful write or edit changed its path.
          changed = card ? [this.rel(card.summary)] : [];
        }
        for (const p of changed ?? []) turn.changed.add(this.rel(p));
        if (card) {
          // A command that ran but exited non-zero failed, though the tool worked.
          card.status = e.ok && !e.exitCode ? "ok" : "failed";
          card.exitCode = e.exitCode;
          if (typeof e.sandboxed === "boolean") card.sandboxed = e.sandboxed;
          // The streamed output is whole; the result's copy (the model's) may be cut.
          if (!(card.streamed && (card.output ?? "").length > (e.output ?? "").length)) card.output = e.output;
          card.error = e.error;
          card.changed = changed?.map((p) => this.rel(p));
          this.update(card);
        }
        break;
      }
      case "toolOutput": {
        // A running command's output as it comes: the card shows it while it runs.
        const card = [...this.items].reverse().find((i) => i.kind === "tool" && i.callId === e.callId) as Extract<Item, { kind: "tool" }> | undefined;
        if (card && card.status === "running" && typeof e.text === "string") {
          card.output = (card.output ?? "") + e.text;
          card.streamed = true;
          this.update(card);
        }
        break;
      }
      case "usage": {
        // Mid-turn (chat/usage): the gauge moves as the turn fills the context.
        const next = contextOf(e.usage);
        if (next) {
          this.context = next;
          this.pushInput();
        }
        break;
      }
      case "compacted":
        this.add({ kind: "notice", id: this.id(), text: `The conversation was compacted to fit the model's context (${e.beforeTokens.toLocaleString()} → ${e.afterTokens.toLocaleString()} tokens).` });
        break;
    }
  }

  private finish(conn: Connection, turn: Turn, r: ChatResult): void {
    const changed = [...turn.changed];
    this.befores.set(r.turnId, turn.before);
    this.context = contextOf(r.usage) ?? this.context;
    const summary = endSummary(r.stopReason, r.steps, r.usage, turn.ranBash && changed.length > 0);
    this.add({ kind: "end", id: this.id(), turnId: r.turnId, stopReason: r.stopReason, summary, changed, canUndo: changed.length > 0 && conn.has("undo") });
  }

  private fail(err: unknown): void {
    const e = err as RpcError;
    const view = errorView(e?.code, e?.message ?? String(err), e?.data, new Date(), this.host.timeZone);
    this.add({ kind: "error", id: this.id(), text: view.text, actions: view.actions });
    this.reveal();
  }

  /**
   * A stored session as the panel showed it live: the message's
   * attachments, each call's permission decision (and the reason for a
   * denial) just before it, its exit code and whether it ran sandboxed, the
   * files the turn changed and its Undo while it can be undone.
   */
  private render(s: LoadedSession, canUndo: boolean): Item[] {
    const items: Item[] = [];
    for (const t of s.turns ?? []) {
      const chips = (t.attachments ?? []).map(attachmentLabel).filter((l) => l);
      items.push({ kind: "user", id: this.id(), text: t.message, chips: chips.length ? chips : [] });
      // The failure this turn replaced (Resend), noted above its answer.
      if (t.retriedError) items.push({ kind: "error", id: this.id(), text: `${t.retriedError} (sent again)`, actions: [] });
      let ranBash = false;
      const toolItems = (tool: LoadedTool): Item[] => {
        const args = tool.arguments ?? {};
        if (tool.name === "bash" || tool.name === "exec_command") ranBash = true;
        const out: Item[] = [];
        // Live, a question the user answered stays as one line before its call.
        if (tool.permission?.by === "user") out.push(this.decidedPermission(tool));
        const card: Extract<Item, { kind: "tool" }> = {
          kind: "tool",
          id: this.id(),
          callId: tool.callId,
          name: tool.name,
          summary: toolSummary(tool.name, args),
          detail: toolDetail(tool.name, args),
          status: tool.ok && !tool.exitCode ? "ok" : "failed",
          output: tool.output,
        };
        if (tool.error) card.error = tool.error;
        if (typeof tool.exitCode === "number") card.exitCode = tool.exitCode;
        if (typeof tool.sandboxed === "boolean") card.sandboxed = tool.sandboxed;
        if (tool.changedPaths) card.changed = tool.changedPaths.map((p) => this.rel(p));
        out.push(card);
        return out;
      };
      if (t.steps?.length) {
        // As it happened: reasoning, text and tools in their order.
        const tools = new Map((t.tools ?? []).map((x) => [x.callId, x]));
        for (const st of t.steps) {
          if (st.kind === "reasoning") items.push({ kind: "thinking", id: this.id(), text: st.text ?? "" });
          else if (st.kind === "text") items.push({ kind: "text", id: this.id(), text: st.text ?? "" });
          else if (st.kind === "tool" && st.callId && tools.has(st.callId)) items.push(...toolItems(tools.get(st.callId)!));
        }
      } else {
        for (const tool of t.tools ?? []) items.push(...toolItems(tool));
        if (t.text) items.push({ kind: "text", id: this.id(), text: t.text });
      }
      if (t.error) items.push({ kind: "error", id: this.id(), text: t.error, actions: [] });
      const changed = (t.changedPaths ?? []).map((p) => this.rel(p));
      const stop = t.stopReason ?? "end_turn";
      const end: Extract<Item, { kind: "end" }> = {
        kind: "end",
        id: this.id(),
        turnId: t.turnId,
        stopReason: stop,
        summary: endSummary(stop, t.stepCount, t.usage, ranBash && changed.length > 0),
        changed,
        canUndo: canUndo && !!t.undoable && !t.undone && changed.length > 0,
      };
      if (t.undone) end.undone = "Undone.";
      items.push(end);
    }
    return items;
  }

  /** The one-line card of a permission the user answered, as it stays after the answer. */
  private decidedPermission(tool: LoadedTool): Item {
    const args = tool.arguments ?? {};
    const item: Extract<Item, { kind: "permission" }> = {
      kind: "permission",
      id: this.id(),
      callId: tool.callId,
      tool: tool.name,
      description: "",
      state: tool.permission!.decision,
    };
    if (tool.permission?.decision === "deny" && tool.permission.reason) item.reason = tool.permission.reason;
    if (tool.name === "apply_patch" && typeof args.input === "string") {
      item.files = [...args.input.matchAll(/^\*\*\* (Add|Update|Delete) File: (.+)$/gm)].map((m) => ({ path: m[2].trim(), action: m[1].toLowerCase(), diff: "" }));
    } else if (tool.name === "bash" || tool.name === "exec_command") {
      item.command = toolDetail(tool.name, args);
    } else if (typeof args.path === "string") {
      item.path = args.path;
    }
    return item;
  }

  private adopt(sessionId: string): void {
    if (this.sessionId === sessionId) return;
    this.sessionId = sessionId;
    this.state.update(keys.session, sessionId);
  }

  private withdrawAll(): void {
    for (const id of [...this.pending.keys()]) this.decide(id, "withdrawn");
  }

  private takeChips(): Chip[] {
    const c = this.chips;
    this.chips = [];
    return c;
  }

  private setTurn(t: Turn | undefined): void {
    this.turn = t;
    this.runningEmitter.fire(!!t);
    this.pushInput();
  }

  /**
   * Takes an error card away before its message is sent again, with the
   * message itself when nothing came after it: sent again, it shows once.
   */
  private dropFailed(item: Item | undefined): void {
    if (!item) return;
    const at = this.items.indexOf(item);
    const user = this.items.findIndex((i) => i.id === this.last?.itemId);
    const alone = user >= 0 && at > user && this.items.slice(user + 1, at).every((i) => i.kind === "notice");
    this.items = this.items.filter((i, n) => i !== item && !(alone && n === user));
    this.broadcast({ type: "reset", items: this.items, input: this.input() });
  }

  /** Tells the views (and the status bar) what is under the input now. */
  pushInput(): void {
    this.host.setModel(this.currentModel());
    this.broadcast({ type: "input", input: this.input() });
  }

  private add(item: Item): void {
    this.items.push(item);
    this.broadcast({ type: "item", item });
  }

  private update(item: Item): void {
    this.broadcast({ type: "item", item });
  }

  /**
   * Streamed text goes to the views as deltas, gathered for a frame's time:
   * a long answer is thousands of small deltas, and sending the whole text
   * with each made the panel's work grow with the square of its length.
   */
  private append(id: string, text: string): void {
    this.appends.set(id, (this.appends.get(id) ?? "") + text);
    this.appendTimer ??= setTimeout(() => this.flushAppends(), Chat.appendMs);
  }

  private flushAppends(): void {
    if (this.appendTimer) clearTimeout(this.appendTimer);
    this.appendTimer = undefined;
    const pending = [...this.appends];
    this.appends.clear();
    for (const [id, text] of pending) for (const v of this.views) v({ type: "append", id, text });
  }

  private broadcast(m: ToWebview): void {
    // Whatever comes next was said after the text gathered so far.
    this.flushAppends();
    for (const v of this.views) v(m);
  }

  private id(): string {
    return `i${this.nextId++}`;
  }

  private root(): string {
    return this.host.workspaceRoot ?? process.cwd();
  }

  private abs(p: string): string {
    return path.isAbsolute(p) ? p : path.join(this.root(), p);
  }

  private rel(p: string): string {
    if (!path.isAbsolute(p)) return p.replace(/^\.\//, "");
    for (const root of [this.root(), this.host.serverRoot]) {
      if (!root) continue;
      const r = path.relative(root, p);
      if (!r.startsWith("..") && !path.isAbsolute(r)) return r;
    }
    return p;
  }
}

/** What a tool card shows when expanded: the whole command or patch, else the arguments. */
function toolDetail(name: string, args: Record<string, unknown>): string {
  if (name === "bash" && typeof args.command === "string") return args.command;
  if (name === "exec_command" && typeof args.cmd === "string") return args.cmd;
  if (name === "apply_patch" && typeof args.input === "string") return args.input;
  return JSON.stringify(args, null, 2);
}

/** A turn's end line: how it stopped, its steps (when known), its tokens. */
function endSummary(stopReason: string, steps: number | undefined, usage: ChatResult["usage"] | undefined, bashChanged: boolean): string {
  const words = stopReason === "cancelled" ? "Stopped" : stopReason === "max_steps" ? "Stopped at the step limit" : stopReason === "error" ? "Failed" : "Done";
  let summary = words;
  if (typeof steps === "number") summary += ` · ${steps} step${steps === 1 ? "" : "s"}`;
  const tokens = (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0);
  if (tokens > 0) summary += ` · ${tokens.toLocaleString("en-US")} tokens`;
  if (bashChanged) summary += " · what bash changed is not listed";
  return summary;
}

/** The context gauge's numbers from a usage, when it has them (§15.6). */
function contextOf(u: ChatResult["usage"] | undefined): { tokens: number; window: number } | undefined {
  if (typeof u?.contextTokens === "number" && typeof u.contextWindow === "number" && u.contextWindow > 0) return { tokens: u.contextTokens, window: u.contextWindow };
  return undefined;
}

/** A reopened message's attachment as its chip was labelled when it was sent. */
function attachmentLabel(a: NonNullable<LoadedTurn["attachments"]>[number]): string {
  if (a.type === "text") return a.title;
  if (a.type === "image") return a.path ? path.basename(a.path) : "image";
  const base = path.basename(a.path);
  if (!a.range) return base;
  return `${base}:${a.range.startLine === a.range.endLine ? a.range.startLine : `${a.range.startLine}-${a.range.endLine}`}`;
}

function readOrUndefined(p: string): string | undefined {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
}

function replaceOnce(s: string, from: string, to: string): string | undefined {
  const i = s.indexOf(from);
  return i < 0 ? undefined : s.slice(0, i) + to + s.slice(i + from.length);
}
