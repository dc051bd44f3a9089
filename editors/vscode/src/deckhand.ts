// The typed face of one deckhand process: starting and initializing it, the
// protocol's request and notification shapes, and the bookkeeping of login
// flows. No VS Code import, so the tests use it directly.

import type * as protocol from "./protocol.gen";
import { CancellationToken, RpcClient, SpawnConfig } from "./rpc";

// The protocol's types are generated from its schema
// (protocol/schema/deckhand.schema.json); these are the names the extension
// knows them by.
export type AuthStatus = protocol.AuthStatus;
export type LoginMethod = protocol.Method;
/** What a 1.1 server says it serves, in initialize's result. */
export type Capabilities = protocol.ServerCapabilities;
/** 1.2: one MCP server, as mcp/list and mcp/status say. */
export type McpServer = protocol.MCPServerStatus;
/** 1.2 §17: when the user is asked before a command runs. */
export type ApprovalPolicy = protocol.ApprovalPolicy;
export type LimitWindow = protocol.LimitWindow;
/** 1.2: what account/limits and limits carry. */
export type Limits = protocol.AccountLimits;
export type PreviewFile = protocol.PreviewFile;
export type InitializeResult = protocol.InitializeResult;
export type ModelInfo = protocol.Model;
export type ModelsResult = protocol.ModelsResult;
export type Attachment = protocol.Attachment;
export type SessionInfo = protocol.SessionInfo;
/** A call of a reopened turn, with what its chat/toolResult and its permission said (1.2). */
export type LoadedTool = protocol.TranscriptTool;
export type LoadedTurn = protocol.TranscriptTurn;
export type LoadedSession = protocol.SessionsLoadResult;
export type UndoResult = protocol.UndoResult;
export type ConnectResult = protocol.ConnectResult;
export type OAuthStart = protocol.StartOAuthResult;
export type AuthCompleted = protocol.AuthCompletedParams;
export type ChatResult = protocol.ChatResult;
export type PermissionRequest = protocol.PermissionRequestParams;
export type Decision = protocol.Decision;
/** The answer to a permission request; a reason only goes with a deny. */
export type PermissionAnswer = protocol.PermissionResult;

/** chat's params besides the message; the effort is one the model's entry lists. */
export type ChatOptions = Omit<protocol.ChatParams, "message" | "reasoningEffort"> & { reasoningEffort?: string };

/** The chat notifications, each with the fields its method adds. */
export type ChatEvent =
  | ({ kind: "started" } & protocol.ChatStartedParams)
  | ({ kind: "delta" | "reasoning" } & protocol.ChatTextParams)
  | ({ kind: "toolCall" } & protocol.ChatToolCallParams)
  | ({ kind: "toolResult" } & protocol.ChatToolResultParams)
  | ({ kind: "usage" } & protocol.ChatUsageParams)
  | ({ kind: "compacted" } & protocol.ChatCompactedParams)
  | ({ kind: "toolOutput" } & protocol.ChatToolOutputParams);

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
