// The JSON-RPC connection to one deckhand child process, on vscode-jsonrpc
// (the library VS Code's own language clients use) over the child's stdio in
// the LSP base framing. It knows nothing of VS Code's editor API: the
// extension and the tests drive it the same way.

import { ChildProcess, spawn, SpawnOptions } from "node:child_process";
import {
  CancellationToken,
  createMessageConnection,
  MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-jsonrpc/node";

export { CancellationToken, CancellationTokenSource } from "vscode-jsonrpc/node";

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
  ModelNotServed: -32013,
  /** Local: the process ended before answering. */
  ConnectionClosed: -32099,
} as const;

export type NotificationHandler = (params: any) => void;
/** Answers a request from deckhand; `token` fires on `$/cancelRequest`. */
export type RequestHandler = (params: any, token: CancellationToken) => Promise<unknown> | unknown;

export interface SpawnConfig {
  command: string;
  args?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** RpcClient owns one deckhand child process and the connection to it. */
export class RpcClient {
  private readonly conn: MessageConnection;
  private readonly exitListeners = new Set<(code: number | null, err?: Error) => void>();
  private closedError?: RpcError;
  /** Rejects with the reason once the process is gone; never resolves. */
  private readonly gone: Promise<never>;
  /** Resolves once the process runs; nothing is written before. */
  private readonly spawned: Promise<void>;
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess, onStderr?: (text: string) => void) {
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => onStderr?.(chunk));
    child.stdin!.on("error", () => {
      /* EPIPE after the process died: reported through exit */
    });
    this.conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.conn.onError(() => {
      /* a broken frame or a write to a dead pipe: the exit handler reports it */
    });
    let fail!: (e: RpcError) => void;
    this.gone = new Promise<never>((_, reject) => (fail = reject));
    this.gone.catch(() => undefined);
    this.spawned = new Promise((resolve) => child.once("spawn", () => resolve()));
    this.exited = new Promise((resolve) => {
      let spawnErr: Error | undefined;
      const end = (err: RpcError, code: number | null, cause?: Error) => {
        this.closedError = err;
        fail(err);
        this.conn.dispose();
        for (const l of this.exitListeners) l(code, cause);
        resolve(code);
      };
      child.on("error", (err) => {
        spawnErr = err;
        end(new RpcError(`deckhand could not be started (${err.message}): set deckhand.path to a deckhand binary that runs here.`, ErrorCode.ConnectionClosed), null, err);
      });
      child.on("close", (code) => {
        if (spawnErr) return;
        end(new RpcError(`deckhand stopped (exit status ${code}) before answering: send the message again to restart it.`, ErrorCode.ConnectionClosed), code);
      });
    });
    this.conn.listen();
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

  /**
   * Sends a request and resolves with its result, or rejects with an
   * RpcError. Cancelling the token sends `$/cancelRequest`; deckhand then
   * answers -32800.
   */
  async request<T = any>(method: string, params?: unknown, token?: CancellationToken): Promise<T> {
    if (this.closedError) throw this.closedError;
    await Promise.race([this.spawned, this.gone]);
    try {
      const sent = token ? this.conn.sendRequest<T>(method, params ?? {}, token) : this.conn.sendRequest<T>(method, params ?? {});
      return await Promise.race([sent, this.gone]);
    } catch (err) {
      if (err instanceof RpcError) throw err;
      if (err instanceof ResponseError) throw new RpcError(err.message || "deckhand reported an error.", err.code, err.data);
      throw this.closedError ?? new RpcError(`deckhand could not be reached (${(err as Error).message}): send the message again.`, ErrorCode.ConnectionClosed);
    }
  }

  notify(method: string, params?: unknown): void {
    this.spawned.then(() => {
      if (!this.closedError) this.conn.sendNotification(method, params ?? {}).catch(() => undefined);
    });
  }

  /** Subscribes to a notification; the returned function unsubscribes. */
  onNotification(method: string, handler: NotificationHandler): () => void {
    const d = this.conn.onNotification(method, (params: any) => {
      try {
        handler(params);
      } catch {
        // One listener's bug must not stop the others or the reader.
      }
    });
    return () => d.dispose();
  }

  /** Serves a request from deckhand (one handler per method). */
  onRequest(method: string, handler: RequestHandler): void {
    this.conn.onRequest(method, async (params: any, token: CancellationToken) => {
      try {
        return (await handler(params, token)) ?? null;
      } catch (err) {
        return new ResponseError(-32603, String((err as Error)?.message ?? err));
      }
    });
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
