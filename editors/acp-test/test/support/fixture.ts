// The fixture of the ACP suite: a fake of OpenAI (cmd/fakeupstream) and the
// real `deckhand acp`, driven by the official ACP client library over pipes.
import { test } from "node:test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, chmodSync, rmSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { createInterface } from "node:readline";
import { createServer } from "node:net";
import * as acp from "@agentclientprotocol/sdk";
import { Checker, lines } from "./schema.js";

const DECKHAND = process.env.DECKHAND_BIN ?? "bin/deckhand";
const FAKE = process.env.FAKEUPSTREAM_BIN ?? "bin/fakeupstream";

/** One model step of the fake (docs/protocol.md §12). */
export interface Step {
  text?: string;
  reasoning?: string;
  calls?: { id: string; name: string; arguments: Record<string, unknown> }[];
  delayMs?: number;
  stall?: boolean;
  /** A message whose only content is this refusal. */
  refusal?: string;
  /** The input and output tokens the step reports. */
  usage?: [number, number];
  /** Ends the step with response.incomplete and this reason. */
  incomplete?: "max_output_tokens" | "content_filter" | string;
}

export interface Fake {
  issuer: string;
  codex: string;
  api: string;
  /** The requests the fake received so far (its "requests" command). */
  requests(): Promise<{ method: string; path: string; body?: unknown }[]>;
  stop(): void;
}

/** Starts the fake of OpenAI with these steps. */
export async function startFake(dir: string, steps: Step[], args: string[] = []): Promise<Fake> {
  const script = join(dir, "steps.json");
  writeFileSync(script, JSON.stringify(steps));
  const proc = spawn(FAKE, ["--script", script, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const rl = createInterface({ input: proc.stdout! });
  const lines: string[] = [];
  let waiter: ((l: string) => void) | null = null;
  rl.on("line", (l) => {
    if (waiter) { const w = waiter; waiter = null; w(l); } else lines.push(l);
  });
  const nextLine = () => new Promise<string>((resolve, reject) => {
    const l = lines.shift();
    if (l !== undefined) return resolve(l);
    waiter = resolve;
    proc.once("exit", (code) => reject(new Error(`fakeupstream exited with ${code}`)));
  });
  const addr = JSON.parse(await nextLine());
  return {
    ...addr,
    requests: async () => {
      proc.stdin!.write("requests\n");
      return JSON.parse(await nextLine()).requests;
    },
    stop: () => { rl.close(); proc.stdin!.end(); proc.kill(); },
  };
}

export interface Options {
  steps?: Step[];
  /** The client's capabilities for initialize. */
  capabilities?: acp.ClientCapabilities;
  /** More environment for deckhand. */
  env?: Record<string, string>;
  /** Registers more client handlers (fs/*, ...). */
  handlers?: (app: acp.ClientApp) => void;
  /** Reuse this DECKHAND_HOME (a second process over the same sessions). */
  home?: string;
  /** Reuse this workspace. */
  workspace?: string;
  /** Reuse this fake. */
  fake?: Fake;
  /** deckhand's arguments instead of ["acp"] (an editor's command line). */
  args?: string[];
  /** Answers permission requests instead of Harness.answers. */
  onPermission?: (params: acp.RequestPermissionRequest, signal: AbortSignal) => Promise<acp.RequestPermissionResponse>;
}

/** A permission request the client received, and the option it chose. */
export interface Asked {
  params: acp.RequestPermissionRequest;
  chose: string | null;
}

/** Schema violations in what any deckhand wrote since the last takeViolations. */
const violations: string[] = [];
let checkedMessages = 0;

/** Returns and forgets the violations found so far. */
export function takeViolations(): string[] {
  return violations.splice(0);
}

/** How many messages deckhand wrote and the schema checked. */
export function checked(): number {
  return checkedMessages;
}

export class Harness {
  readonly updates: acp.SessionNotification[] = [];
  readonly asked: Asked[] = [];
  /** Picks the option to answer the next permission request with (an option kind). */
  answers: acp.PermissionOptionKind[] = [];
  stderr = "";
  agent!: acp.ClientContext;
  conn!: acp.ClientConnection;
  proc!: ChildProcess;
  fake!: Fake;
  ownFake = false;

  constructor(readonly dir: string, readonly home: string, readonly workspace: string) {}

  async initialize(capabilities: acp.ClientCapabilities = {}): Promise<acp.InitializeResponse> {
    return this.agent.request("initialize", {
      protocolVersion: acp.PROTOCOL_VERSION,
      clientCapabilities: capabilities,
      clientInfo: { name: "deckhand-acp-test", version: "0" },
    });
  }

  /** Logs in with the fake's API key. */
  async loginWithKey(): Promise<void> {
    await this.agent.request("authenticate", { methodId: "api-key", _meta: { "api-key": { apiKey: "sk-fake" } } });
  }

  async newSession(cwd = this.workspace): Promise<acp.NewSessionResponse> {
    return this.agent.request("session/new", { cwd, mcpServers: [] });
  }

  /** The updates of one session, in arrival order. */
  of(sessionId: string): acp.SessionUpdate[] {
    return this.updates.filter((n) => n.sessionId === sessionId).map((n) => n.update);
  }

  /** The text of the agent_message_chunks (or agent_thought_chunks) of a session. */
  text(sessionId: string, kind: "agent_message_chunk" | "agent_thought_chunk" = "agent_message_chunk"): string {
    return this.of(sessionId)
      .filter((u) => u.sessionUpdate === kind)
      .map((u) => ((u as { content: acp.ContentBlock }).content as { text?: string }).text ?? "")
      .join("");
  }

  /** Resolves once an update matching pred has arrived. */
  async waitFor(pred: (n: acp.SessionNotification) => boolean, ms = 10_000): Promise<acp.SessionNotification> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.updates.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error("no matching session/update arrived");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Ends deckhand (and the fake, when it is this harness's own). */
  async close(): Promise<number | null> {
    this.conn.close();
    this.proc.stdin!.end();
    const code = await new Promise<number | null>((resolve) => {
      if (this.proc.exitCode !== null) return resolve(this.proc.exitCode);
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 10_000);
      this.proc.once("exit", (c) => { clearTimeout(t); resolve(c); });
    });
    if (this.ownFake) this.fake.stop();
    return code;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts `deckhand acp` in a fresh home and workspace against a fake. */
export async function start(opts: Options = {}): Promise<Harness> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "deckhand-acp-")));
  const home = opts.home ?? join(dir, "home");
  const workspace = opts.workspace ?? join(dir, "ws");
  mkdirSync(home, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  const h = new Harness(dir, home, workspace);
  // The fake, like OpenAI, takes the browser login's callback only on the ports it knows.
  const oauthPort = await freePort();
  h.fake = opts.fake ?? (await startFake(dir, opts.steps ?? [], ["--allow-port", String(oauthPort)]));
  h.ownFake = !opts.fake;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    DECKHAND_HOME: home,
    DECKHAND_AUTH_ISSUER: h.fake.issuer,
    DECKHAND_CODEX_BASE_URL: h.fake.codex,
    OPENAI_BASE_URL: h.fake.api,
    DECKHAND_OAUTH_PORT: String(oauthPort),
    DECKHAND_LOG_LEVEL: "debug",
    ...opts.env,
  };
  h.proc = spawn(DECKHAND, [...(opts.args ?? ["acp"]), "--retry-delay", "10ms"], { cwd: workspace, env, stdio: ["pipe", "pipe", "pipe"] });
  h.proc.stderr!.on("data", (b: Buffer) => { h.stderr += b.toString(); });
  const app = acp.client({ name: "deckhand-acp-test" })
    .onNotification("session/update", ({ params }) => { h.updates.push(params); })
    .onRequest("session/request_permission", ({ params, signal }) => {
      if (opts.onPermission) return opts.onPermission(params, signal);
      const kind = h.answers.shift();
      const option = kind ? params.options.find((o) => o.kind === kind) : undefined;
      h.asked.push({ params, chose: option?.optionId ?? null });
      if (!option) return { outcome: { outcome: "cancelled" } };
      return { outcome: { outcome: "selected", optionId: option.optionId } };
    });
  opts.handlers?.(app);
  // Both directions pass through the schema checker on their way.
  const checker = new Checker(violations);
  const fromClient = lines((l) => checker.clientLine(l));
  const fromAgent = lines((l) => { checker.agentLine(l); checkedMessages++; });
  const stdin = (Writable.toWeb(h.proc.stdin!) as WritableStream<Uint8Array>).getWriter();
  const writable = new WritableStream<Uint8Array>({
    write: async (chunk) => { fromClient(chunk); await stdin.write(chunk); },
    close: async () => { await stdin.close(); },
    abort: async (reason) => { await stdin.abort(reason); },
  });
  const readable = (Readable.toWeb(h.proc.stdout!) as ReadableStream<Uint8Array>).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({ transform: (chunk, c) => { fromAgent(chunk); c.enqueue(chunk); } }),
  );
  const stream = acp.ndJsonStream(writable, readable);
  h.conn = app.connect(stream);
  h.agent = h.conn.agent;
  return h;
}

/** A stand-in for the user's browser: `xdg-open URL` fetches URL and follows its redirects, as a browser that approves the login would. */
export function fakeBrowser(dir: string): string {
  const bin = join(dir, "browser-bin");
  mkdirSync(bin, { recursive: true });
  const script = join(bin, "xdg-open");
  writeFileSync(script, `#!/usr/bin/env node\nfetch(process.argv[2]).then(r => r.text()).then(() => process.exit(0), e => { console.error(e); process.exit(1); });\n`);
  chmodSync(script, 0o755);
  return bin;
}

/** A TCP port nobody listens on now, for the browser login's callback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A browser that cannot open: `xdg-open` fails, as on a machine without a display. */
export function brokenBrowser(dir: string): string {
  const bin = join(dir, "broken-browser-bin");
  mkdirSync(bin, { recursive: true });
  const script = join(bin, "xdg-open");
  writeFileSync(script, "#!/bin/sh\necho 'xdg-open: no method available for opening' >&2\nexit 3\n");
  chmodSync(script, 0o755);
  return bin;
}

/**
 * A browser opener that stays in the foreground, as some do for as long as
 * the browser runs: `xdg-open URL` appends URL to the file `opened` in the
 * returned directory and then waits (up to a minute) for a file `release`,
 * or for the directory to be removed (it holds deckhand's stderr open, and
 * so the test file's run, while it waits).
 * It approves nothing: the test opens the URL itself.
 */
export function foregroundBrowser(dir: string): string {
  const bin = join(dir, "foreground-browser-bin");
  mkdirSync(bin, { recursive: true });
  const script = join(bin, "xdg-open");
  writeFileSync(script, `#!/bin/sh\necho "$1" >> "${bin}/opened"\necho "opener noise on stdout"\ni=0\nwhile [ -d "${bin}" ] && [ ! -e "${bin}/release" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n`);
  chmodSync(script, 0o755);
  return bin;
}

/** A test of the suite, with a bound: a hang fails the one test instead of the suite. */
export function it(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: 60_000 }, fn);
}

/** Runs body against h, prints deckhand's stderr when it fails, and always stops and removes h. */
export async function withAgent(h: Harness, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    process.stderr.write(`--- deckhand stderr ---\n${h.stderr}\n`);
    throw e;
  } finally {
    await h.close();
    h.cleanup();
  }
}
