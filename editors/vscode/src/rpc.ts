// A JSON-RPC 2.0 client for deckhand over a child process's stdio, in
// newline-delimited JSON. It knows nothing of VS Code: the extension and the
// tests drive it the same way.
//
// Frames are dispatched on shape: a frame with `method` is a request (with
// `id`) or a notification (without) from deckhand; a frame with `result` or
// `error` and no `method` answers one of our requests. deckhand numbers its
// own requests independently, so the two id spaces never mix.

import { ChildProcess, spawn, SpawnOptions } from "node:child_process";

/** An error answer from deckhand, or a local failure shaped like one. */
export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

/** Error codes the client acts on (see the protocol's error table). */
export const ErrorCode = {
  InvalidParams: -32602,
  RequestCancelled: -32800,
  NotConnected: -32000,
  SessionBusy: -32003,
  PlanNotIncluded: -32010,
  RateLimited: -32011,
  Upstream: -32012,
  /** Local: the process ended before answering. */
  ConnectionClosed: -32099,
} as const;

export type NotificationHandler = (params: any) => void;
/** Answers a request from deckhand; `signal` aborts on `$/cancelRequest`. */
export type RequestHandler = (params: any, signal: AbortSignal) => Promise<unknown> | unknown;

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export interface SpawnConfig {
  command: string;
  args?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** RpcClient owns one deckhand child process and the connection to it. */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly notifications = new Map<string, Set<NotificationHandler>>();
  private readonly requests = new Map<string, RequestHandler>();
  private readonly incoming = new Map<string, AbortController>();
  private readonly exitListeners = new Set<(code: number | null, err?: Error) => void>();
  private buffer = "";
  private closedError?: RpcError;
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess, onStderr?: (text: string) => void) {
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => this.read(chunk));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => onStderr?.(chunk));
    child.stdin!.on("error", () => {
      /* EPIPE after the process died: reported through exit */
    });
    this.exited = new Promise((resolve) => {
      let spawnErr: Error | undefined;
      child.on("error", (err) => {
        spawnErr = err;
        this.fail(new RpcError(`Could not start deckhand (${err.message}): check the deckhand.path setting.`, ErrorCode.ConnectionClosed));
        for (const l of this.exitListeners) l(null, err);
        resolve(null);
      });
      child.on("close", (code) => {
        if (spawnErr) return;
        this.fail(new RpcError(`deckhand exited (status ${code}) before answering: run the command again to restart it.`, ErrorCode.ConnectionClosed));
        for (const l of this.exitListeners) l(code);
        resolve(code);
      });
    });
  }

  /** Starts deckhand and returns a client speaking to it. */
  static spawn(cfg: SpawnConfig, onStderr?: (text: string) => void): RpcClient {
    const opts: SpawnOptions = { cwd: cfg.cwd, env: cfg.env, stdio: ["pipe", "pipe", "pipe"] };
    return new RpcClient(spawn(cfg.command, cfg.args ?? [], opts), onStderr);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends a request and resolves with its result, or rejects with an RpcError. */
  request<T = any>(method: string, params?: unknown): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.write({ jsonrpc: "2.0", id, method, params: params ?? {} });
    });
  }

  notify(method: string, params?: unknown): void {
    if (!this.closedError) this.write({ jsonrpc: "2.0", method, params: params ?? {} });
  }

  /** Subscribes to a notification; the returned function unsubscribes. */
  onNotification(method: string, handler: NotificationHandler): () => void {
    let set = this.notifications.get(method);
    if (!set) this.notifications.set(method, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }

  /** Serves a request from deckhand (one handler per method). */
  onRequest(method: string, handler: RequestHandler): void {
    this.requests.set(method, handler);
  }

  onExit(listener: (code: number | null, err?: Error) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Ends the connection politely: shutdown, then exit, then wait for the process. */
  async close(timeoutMs = 3000): Promise<void> {
    if (!this.closedError) {
      try {
        await withTimeout(this.request("shutdown"), timeoutMs);
        this.notify("exit");
      } catch {
        // A dead or stuck server: closing stdin (below) or killing it ends it.
      }
      this.child.stdin!.end();
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  private write(msg: object): void {
    this.child.stdin!.write(JSON.stringify(msg) + "\n");
  }

  private read(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line === "") continue;
      let msg: any;
      try {
        msg = JSON.parse(line);
      } catch {
        continue; // stdout carries only frames; a broken one is not ours to act on
      }
      this.dispatch(msg);
    }
  }

  private dispatch(msg: any): void {
    if (typeof msg?.method === "string") {
      if (msg.id === undefined || msg.id === null) this.handleNotification(msg.method, msg.params);
      else this.handleRequest(msg.id, msg.method, msg.params);
      return;
    }
    if (typeof msg?.id !== "number") return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(new RpcError(String(msg.error.message ?? "deckhand reported an error."), Number(msg.error.code), msg.error.data));
    else p.resolve(msg.result);
  }

  private handleNotification(method: string, params: any): void {
    if (method === "$/cancelRequest") {
      this.incoming.get(JSON.stringify(params?.id))?.abort();
      return;
    }
    for (const h of [...(this.notifications.get(method) ?? [])]) {
      try {
        h(params);
      } catch {
        // One listener's bug must not stop the others or the reader.
      }
    }
  }

  // handleRequest answers asynchronously, so a slow prompt never holds up
  // the reading of further frames.
  private handleRequest(id: unknown, method: string, params: any): void {
    const handler = this.requests.get(method);
    if (!handler) {
      this.write({ jsonrpc: "2.0", id, error: { code: -32601, message: `The editor does not serve ${method}.` } });
      return;
    }
    const key = JSON.stringify(id);
    const ctl = new AbortController();
    this.incoming.set(key, ctl);
    Promise.resolve()
      .then(() => handler(params, ctl.signal))
      .then(
        (result) => {
          if (!ctl.signal.aborted) this.write({ jsonrpc: "2.0", id, result: result ?? null });
        },
        (err) => {
          if (!ctl.signal.aborted) this.write({ jsonrpc: "2.0", id, error: { code: -32603, message: String(err?.message ?? err) } });
        },
      )
      .finally(() => this.incoming.delete(key));
  }

  private fail(err: RpcError): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const ctl of this.incoming.values()) ctl.abort();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout")), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
