// The typed face of one deckhand process: starting and initializing it, the
// protocol's request and notification shapes, and the bookkeeping of login
// flows. No VS Code import, so the tests use it directly.

import { CancellationToken, RpcClient, SpawnConfig } from "./rpc";

export interface LoginMethod {
  id: "browser" | "headless" | "apiKey" | string;
  label: string;
}

export interface AuthStatus {
  provider: string;
  type: "none" | "api" | "oauth";
  source?: "stored" | "env";
  accountId?: string;
  expiresAt?: string;
  /** A stored login that was lost or cannot be used: one sentence, why and what to do. */
  warning?: string;
}

/** What a 1.1 server says it serves, in initialize's result. */
export interface Capabilities {
  sessions?: boolean;
  attachments?: boolean;
  preview?: boolean;
  undo?: boolean;
  compaction?: boolean;
  /** 1.2: account/limits and limits. */
  limits?: boolean;
  /** 1.2: diagnostics/request (§20). */
  diagnostics?: boolean;
  /** 1.2: mcp/list and mcp/status (§18). */
  mcp?: boolean;
  /** 1.2 §17.2: the OS sandbox commands run in ("none": every command asks). */
  sandbox?: { kind: "landlock" | "seatbelt" | "none" | string; networkClosed?: boolean; reason?: string };
}

/** 1.2: one MCP server, as mcp/list and mcp/status say. */
export interface McpServer {
  name: string;
  source: "config" | "workspace" | "client" | string;
  transport: "stdio" | "http" | "sse" | string;
  status: "starting" | "ready" | "failed" | "stopped" | string;
  error?: string;
  tools: string[];
}

/** 1.2 §17: when the user is asked before a command runs. */
export type ApprovalPolicy = "untrusted" | "on-request" | "never";

/** 1.2: one usage window of the plan, named by its length ("5h", "weekly"). */
export interface LimitWindow {
  name: string;
  windowMinutes?: number;
  usedPercent: number;
  resetsAt?: string;
}

/** 1.2: what account/limits and limits carry. */
export interface Limits {
  planType?: string;
  windows: LimitWindow[];
}

/** 1.2: one file of an apply_patch review. */
export interface PreviewFile {
  path: string;
  action: "add" | "update" | "delete" | "move";
  movePath?: string;
  diff: string;
}

export interface InitializeResult {
  serverInfo: { name: string; version: string };
  protocolVersion: number;
  auth: AuthStatus;
  workspaceRoot?: string;
  capabilities?: Capabilities;
  instructions?: string[];
}

export interface ModelInfo {
  id: string;
  label?: string;
  default?: boolean;
  reasoningEfforts?: string[];
}

export interface ModelsResult {
  models: ModelInfo[];
  default?: string;
  source?: "live" | "builtin";
}

export type Attachment =
  | { type: "file"; path: string; range?: { startLine: number; endLine: number } }
  | { type: "selection"; path: string; range: { startLine: number; endLine: number }; text: string }
  | { type: "text"; title: string; text: string };

export interface SessionInfo {
  sessionId: string;
  title: string;
  workspaceRoot: string;
  model?: string;
  createdAt: string;
  updatedAt: string;
  turns: number;
  broken?: boolean;
  error?: string;
}

/** A call of a reopened turn, with what its chat/toolResult and its permission said (1.2). */
export interface LoadedTool {
  callId: string;
  name: string;
  arguments: Record<string, unknown>;
  ok: boolean;
  output: string;
  error?: string;
  changedPaths?: string[];
  sandboxed?: boolean;
  exitCode?: number;
  /** by: "user" (a permission/request answered), "session", "policy" or "allowAll". */
  permission?: { decision: Decision; by: "user" | "session" | "policy" | "allowAll" | string; reason?: string };
}

export interface LoadedTurn {
  turnId: string;
  message: string;
  text: string;
  tools?: LoadedTool[];
  /** What the message came with, without the content (1.2). */
  attachments?: ({ type: "file" | "selection"; path: string; range?: { startLine: number; endLine: number } } | { type: "text"; title: string } | { type: "image"; path?: string; mimeType?: string })[];
  changedPaths?: string[];
  undoable?: boolean;
  undone?: boolean;
  usage?: ChatResult["usage"];
  /** What the turn did, in order (a deckhand that has them). */
  steps?: { kind: "reasoning" | "text" | "tool"; text?: string; callId?: string }[];
  stopReason?: string;
  error?: string;
}

export interface LoadedSession {
  sessionId: string;
  title: string;
  workspaceRoot: string;
  model?: string;
  turns: LoadedTurn[];
}

export interface UndoResult {
  turnId: string;
  restored: string[];
  skipped: { path: string; reason: string }[];
  /** Said when the turn also ran bash, whose changes are not undone. */
  message?: string;
}

export interface ChatOptions {
  sessionId?: string;
  approvalPolicy?: ApprovalPolicy;
  model?: string;
  reasoningEffort?: string;
  attachments?: Attachment[];
  /** The failed turn this message replaces (extension: deckhand drops it). */
  retryOf?: string;
}

export interface ConnectResult {
  provider: string;
  methods: LoginMethod[];
  status: AuthStatus;
}

export interface OAuthStart {
  flowId: string;
  method: "browser" | "headless";
  url?: string;
  userCode?: string;
  verificationUrl?: string;
  intervalSeconds?: number;
  expiresAt: string;
}

export interface AuthCompleted {
  flowId: string;
  method: string;
  ok: boolean;
  error?: { code: number; message: string };
  status: AuthStatus;
}

export interface ChatResult {
  sessionId: string;
  turnId: string;
  stopReason: "end_turn" | "cancelled" | "max_steps";
  text: string;
  steps: number;
  usage: { inputTokens: number; outputTokens: number; contextTokens?: number; contextWindow?: number };
}

export interface PermissionRequest {
  sessionId: string;
  turnId: string;
  callId: string;
  tool: string;
  arguments: Record<string, unknown>;
  description: string;
  /** 1.1: the proposed change (edit, write) or the command and its directory (bash). */
  preview?: { path?: string; diff?: string; command?: string; cwd?: string; files?: PreviewFile[]; sandboxed?: boolean; justification?: string };
}

export type Decision = "allow" | "allowAlways" | "deny";

/** The answer to a permission request; a reason only goes with a deny. */
export interface PermissionAnswer {
  decision: Decision;
  reason?: string;
}

/** The chat notifications, each with the fields its method adds. */
export type ChatEvent =
  | { kind: "started"; sessionId: string; turnId: string }
  | { kind: "delta" | "reasoning"; sessionId: string; turnId: string; text: string }
  | { kind: "toolCall"; sessionId: string; turnId: string; callId: string; name: string; arguments: Record<string, unknown> }
  | { kind: "toolResult"; sessionId: string; turnId: string; callId: string; name: string; ok: boolean; output: string; error?: string; changedPaths?: string[]; exitCode?: number; sandboxed?: boolean }
  | { kind: "usage"; sessionId: string; turnId: string; usage: ChatResult["usage"] }
  | { kind: "compacted"; sessionId: string; turnId: string; beforeTokens: number; afterTokens: number }
  | { kind: "toolOutput"; sessionId: string; turnId: string; callId: string; text: string };

const chatKinds = ["started", "delta", "reasoning", "toolCall", "toolResult", "compacted", "toolOutput", "usage"] as const;

export interface ConnectionOptions extends SpawnConfig {
  workspaceRoot?: string;
  clientVersion: string;
  onStderr?: (text: string) => void;
  /** Answers diagnostics/request (1.2 §20); given, initialize declares capabilities.diagnostics. */
  diagnostics?: (params: any, token: CancellationToken) => Promise<unknown>;
}

/** Connection is one initialized deckhand process. */
export class Connection {
  readonly rpc: RpcClient;
  /** Flows that ended, kept so a waiter that comes late still sees the end. */
  private readonly completed = new Map<string, AuthCompleted>();
  private readonly flowWaiters = new Map<string, Set<(c: AuthCompleted) => void>>();
  private readonly authListeners = new Set<(c: AuthCompleted) => void>();
  initialized!: InitializeResult;

  private constructor(rpc: RpcClient) {
    this.rpc = rpc;
    rpc.onNotification("auth/completed", (p: AuthCompleted) => {
      this.completed.set(p.flowId, p);
      for (const w of this.flowWaiters.get(p.flowId) ?? []) w(p);
      this.flowWaiters.delete(p.flowId);
      for (const l of this.authListeners) l(p);
    });
  }

  /** Starts deckhand, sends initialize (declaring permission prompts) and waits for it. */
  static async start(opts: ConnectionOptions, permissions: (req: PermissionRequest, token: CancellationToken) => Promise<PermissionAnswer>): Promise<Connection> {
    const rpc = RpcClient.spawn(opts, opts.onStderr);
    const conn = new Connection(rpc);
    rpc.onRequest("permission/request", async (params: PermissionRequest, token) => {
      const a = await permissions(params, token);
      return a.decision === "deny" && a.reason ? { decision: "deny", reason: a.reason } : { decision: a.decision };
    });
    const capabilities: Record<string, boolean> = { permissions: true };
    if (opts.diagnostics) {
      rpc.onRequest("diagnostics/request", (params, token) => opts.diagnostics!(params, token));
      capabilities.diagnostics = true;
    }
    try {
      conn.initialized = await rpc.request<InitializeResult>("initialize", {
        clientInfo: { name: "deckhand-vscode", version: opts.clientVersion },
        workspaceRoot: opts.workspaceRoot,
        capabilities,
      });
    } catch (err) {
      await rpc.close(1000);
      throw err;
    }
    return conn;
  }

  connect(): Promise<ConnectResult> {
    return this.rpc.request("connect", { provider: "openai" });
  }

  connectApiKey(apiKey: string): Promise<ConnectResult> {
    return this.rpc.request("connect", { provider: "openai", method: "apiKey", apiKey });
  }

  startOAuth(method: "browser" | "headless", openBrowser = true): Promise<OAuthStart> {
    const params: Record<string, unknown> = { provider: "openai", method };
    if (method === "browser") params.openBrowser = openBrowser;
    return this.rpc.request("startOAuth", params);
  }

  completeOAuth(flowId: string, callbackUrl: string): Promise<AuthStatus> {
    return this.rpc.request("completeOAuth", { flowId, callbackUrl });
  }

  cancelFlow(flowId: string): Promise<{ cancelled: boolean }> {
    return this.rpc.request("cancel", { flowId });
  }

  cancelTurn(sessionId: string): Promise<{ cancelled: boolean }> {
    return this.rpc.request("cancel", { sessionId });
  }

  authStatus(): Promise<AuthStatus> {
    return this.rpc.request("authStatus", {});
  }

  logout(): Promise<AuthStatus> {
    return this.rpc.request("logout", { provider: "openai" });
  }

  /** True when initialize's result names the 1.1 capability. */
  has(cap: keyof Capabilities): boolean {
    return this.initialized.capabilities?.[cap] === true;
  }

  chat(message: string, opts: ChatOptions | string = {}, token?: CancellationToken): Promise<ChatResult> {
    if (typeof opts === "string") opts = { sessionId: opts };
    const params: Record<string, unknown> = { message };
    if (opts.sessionId) params.sessionId = opts.sessionId;
    if (opts.model) params.model = opts.model;
    if (opts.reasoningEffort) params.reasoningEffort = opts.reasoningEffort;
    if (opts.approvalPolicy) params.approvalPolicy = opts.approvalPolicy;
    if (opts.attachments?.length) params.attachments = opts.attachments;
    if (opts.retryOf) params.retryOf = opts.retryOf;
    return this.rpc.request("chat", params, token);
  }

  models(): Promise<ModelsResult> {
    return this.rpc.request("models", {});
  }

  listSessions(workspaceRoot?: string, limit?: number): Promise<{ sessions: SessionInfo[] }> {
    const params: Record<string, unknown> = {};
    if (workspaceRoot) params.workspaceRoot = workspaceRoot;
    if (limit) params.limit = limit;
    return this.rpc.request("sessions/list", params);
  }

  loadSession(sessionId: string): Promise<LoadedSession> {
    return this.rpc.request("sessions/load", { sessionId });
  }

  deleteSession(sessionId: string): Promise<{ deleted: boolean }> {
    return this.rpc.request("sessions/delete", { sessionId });
  }

  undo(sessionId: string, turnId?: string, force?: boolean): Promise<UndoResult> {
    const params: Record<string, unknown> = { sessionId };
    if (turnId) params.turnId = turnId;
    if (force) params.force = true;
    return this.rpc.request("undo", params);
  }

  /** Resolves with the flow's auth/completed, even if it already arrived. */
  waitFlow(flowId: string): Promise<AuthCompleted> {
    const done = this.completed.get(flowId);
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      let set = this.flowWaiters.get(flowId);
      if (!set) this.flowWaiters.set(flowId, (set = new Set()));
      set.add(resolve);
      this.rpc.exited.then(() => reject(new Error("deckhand exited before the login finished: start the login again.")));
    });
  }

  /** The MCP servers of a session (or those a session would start), with their state and tools (1.2 §18). */
  mcpList(sessionId?: string): Promise<{ servers: McpServer[] }> {
    return this.rpc.request("mcp/list", sessionId ? { sessionId } : {});
  }

  /** Calls listener on every mcp/status (one server's new state or tools). */
  onMcpStatus(listener: (s: McpServer & { sessionId: string }) => void): () => void {
    return this.rpc.onNotification("mcp/status", (p: McpServer & { sessionId: string }) => listener(p));
  }

  /** The last known plan limits (1.2; windows is empty when none were reported). */
  limits(): Promise<Limits> {
    return this.rpc.request("limits", {});
  }

  /** Calls listener on every account/limits; the returned function unsubscribes. */
  onLimits(listener: (l: Limits) => void): () => void {
    return this.rpc.onNotification("account/limits", (p: Limits) => listener(p));
  }

  /** Calls listener on every auth/completed (status bar updates). */
  onAuthCompleted(listener: (c: AuthCompleted) => void): () => void {
    this.authListeners.add(listener);
    return () => this.authListeners.delete(listener);
  }

  /** Subscribes to every chat notification; the returned function unsubscribes. */
  onChat(listener: (e: ChatEvent) => void): () => void {
    const offs = chatKinds.map((kind) => this.rpc.onNotification(`chat/${kind}`, (p) => listener({ kind, ...p })));
    return () => offs.forEach((off) => off());
  }

  close(): Promise<void> {
    return this.rpc.close();
  }
}
