// The typed face of one deckhand process: starting and initializing it, the
// protocol's request and notification shapes, and the bookkeeping of login
// flows. No VS Code import, so the tests use it directly.

import { RpcClient, SpawnConfig } from "./rpc";

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
}

export interface InitializeResult {
  serverInfo: { name: string; version: string };
  protocolVersion: number;
  auth: AuthStatus;
  workspaceRoot?: string;
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
  usage: { inputTokens: number; outputTokens: number };
}

export interface PermissionRequest {
  sessionId: string;
  turnId: string;
  callId: string;
  tool: string;
  arguments: Record<string, unknown>;
  description: string;
}

export type Decision = "allow" | "allowAlways" | "deny";

/** The chat notifications, each with the fields its method adds. */
export type ChatEvent =
  | { kind: "started"; sessionId: string; turnId: string }
  | { kind: "delta" | "reasoning"; sessionId: string; turnId: string; text: string }
  | { kind: "toolCall"; sessionId: string; turnId: string; callId: string; name: string; arguments: Record<string, unknown> }
  | { kind: "toolResult"; sessionId: string; turnId: string; callId: string; name: string; ok: boolean; output: string; error?: string };

const chatKinds = ["started", "delta", "reasoning", "toolCall", "toolResult"] as const;

export interface ConnectionOptions extends SpawnConfig {
  workspaceRoot?: string;
  clientVersion: string;
  onStderr?: (text: string) => void;
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
  static async start(opts: ConnectionOptions, permissions: (req: PermissionRequest, signal: AbortSignal) => Promise<Decision>): Promise<Connection> {
    const rpc = RpcClient.spawn(opts, opts.onStderr);
    const conn = new Connection(rpc);
    rpc.onRequest("permission/request", async (params: PermissionRequest, signal) => ({ decision: await permissions(params, signal) }));
    try {
      conn.initialized = await rpc.request<InitializeResult>("initialize", {
        clientInfo: { name: "deckhand-vscode", version: opts.clientVersion },
        workspaceRoot: opts.workspaceRoot,
        capabilities: { permissions: true },
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

  chat(message: string, sessionId?: string): Promise<ChatResult> {
    return this.rpc.request("chat", sessionId ? { sessionId, message } : { message });
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
