// Test fixtures: the real deckhand binary, the fake of OpenAI as a process,
// and a temporary home and workspace per test.

import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";

const repo = path.resolve(__dirname, "..", "..", "..", "..", "..");

/** A model step the fake answers one /responses request with. */
export interface Step {
  text?: string;
  reasoning?: string;
  /** A call with input is a custom tool call (apply_patch) whose input is that text. */
  calls?: { id: string; name: string; arguments?: Record<string, unknown>; input?: string }[];
  delayMs?: number;
  stall?: boolean;
  /** The model service answers this HTTP error instead. */
  error?: { status: number; body: string };
}

let built: { deckhand: string; fake: string } | undefined;

/**
 * The deckhand and fakeupstream binaries: DECKHAND_BIN and FAKEUPSTREAM_BIN
 * when set (the test script builds them), else built once into a temp dir.
 */
export function binaries(): { deckhand: string; fake: string } {
  if (built) return built;
  let deckhand = process.env.DECKHAND_BIN;
  let fake = process.env.FAKEUPSTREAM_BIN;
  if (!deckhand || !fake) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deckhand-bin-"));
    deckhand ??= path.join(dir, "deckhand");
    fake ??= path.join(dir, "fakeupstream");
    execFileSync("go", ["build", "-o", deckhand, "./cmd/deckhand"], { cwd: repo, stdio: "inherit" });
    execFileSync("go", ["build", "-o", fake, "./cmd/fakeupstream"], { cwd: repo, stdio: "inherit" });
  }
  built = { deckhand, fake };
  return built;
}

export interface Fake {
  issuer: string;
  codex: string;
  api: string;
  /** The environment that points deckhand at this fake, with its own home. */
  env: NodeJS.ProcessEnv;
  home: string;
  workspace: string;
  /** Every request the fake received so far (bodies decoded where JSON). */
  requests(): Promise<FakeRequest[]>;
  /** The bodies of the model requests (/responses), in order. */
  modelRequests(): Promise<any[]>;
  stop(): Promise<void>;
}

export interface FakeRequest {
  method: string;
  path: string;
  body?: any;
}

/** Starts fakeupstream with the given model steps, a fresh home and workspace. */
export async function startFake(steps: Step[] = [], extraArgs: string[] = []): Promise<Fake> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "deckhand-vscode-"));
  const home = path.join(root, "home");
  const workspace = path.join(root, "ws");
  fs.mkdirSync(home);
  fs.mkdirSync(workspace);
  const script = path.join(root, "script.json");
  fs.writeFileSync(script, JSON.stringify(steps));
  // The fake's issuer, like OpenAI's, refuses a callback port it does not
  // know: register the one deckhand will listen on.
  const oauthPort = await freePort();
  const child: ChildProcess = spawn(binaries().fake, ["--script", script, "--allow-port", String(oauthPort), ...extraArgs], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const rl = readline.createInterface({ input: child.stdout! });
  const lines: string[] = [];
  const waiting: { resolve(line: string): void; reject(e: Error): void }[] = [];
  rl.on("line", (line) => {
    const w = waiting.shift();
    if (w) w.resolve(line);
    else lines.push(line);
  });
  const gone = (err: Error) => waiting.splice(0).forEach((w) => w.reject(err));
  child.once("error", gone);
  child.once("close", () => gone(new Error("fakeupstream exited before answering")));
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const l = lines.shift();
      if (l !== undefined) return resolve(l);
      waiting.push({ resolve, reject });
    });
  const first = await nextLine();
  const urls = JSON.parse(first) as { issuer: string; codex: string; api: string };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DECKHAND_HOME: home,
    DECKHAND_AUTH_ISSUER: urls.issuer,
    DECKHAND_CODEX_BASE_URL: urls.codex,
    OPENAI_BASE_URL: urls.api,
    OPENAI_API_KEY: "",
    DECKHAND_OAUTH_PORT: String(oauthPort),
    DECKHAND_LOG_LEVEL: "warn",
    // The tests answer a permission request for every command: without
    // the sandbox every command asks, as in protocol 1.0.
    DECKHAND_NO_SANDBOX: "1",
  };
  const requests = async (): Promise<FakeRequest[]> => {
    const answer = nextLine();
    child.stdin!.write("requests\n");
    return JSON.parse(await answer).requests as FakeRequest[];
  };
  return {
    ...urls,
    env,
    home,
    workspace,
    requests,
    async modelRequests() {
      return (await requests()).filter((r) => r.path.endsWith("/responses")).map((r) => r.body);
    },
    async stop() {
      child.stdin!.end();
      await exited;
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls cond until it holds; the timeout only guards against a hang. */
export async function until(what: string, cond: () => boolean, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
