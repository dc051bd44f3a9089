// The chat commands: one conversation (deckhand session) at a time, its
// turns streamed into the "deckhand" output channel and the chat panel.

import * as vscode from "vscode";
import { ChatEvent, ChatResult, Connection } from "./deckhand";
import { say, stopLine, toolCallLine, toolResultLine } from "./format";
import { Host } from "./host";
import { login } from "./login";
import { ErrorCode, RpcError } from "./rpc";

/** Where a turn is shown; the output channel and the chat panel both are. */
export interface ChatSink {
  user(message: string): void;
  text(text: string): void;
  reasoning(text: string): void;
  line(line: string, kind: "tool" | "ok" | "failed" | "done" | "error"): void;
}

interface Turn {
  sessionId?: string;
  turnId?: string;
}

export class Chat {
  /** The conversation follow-up messages go to. */
  sessionId?: string;
  private turn?: Turn;
  private readonly sinks = new Set<ChatSink>();

  constructor(private readonly host: Host) {
    this.sinks.add(new OutputSink(host.output));
  }

  addSink(sink: ChatSink): vscode.Disposable {
    this.sinks.add(sink);
    return { dispose: () => this.sinks.delete(sink) };
  }

  get running(): boolean {
    return this.turn !== undefined;
  }

  /** Asks for a message and sends it. */
  async prompt(): Promise<void> {
    const message = await vscode.window.showInputBox({
      title: this.sessionId ? "deckhand: follow-up message" : "deckhand: new chat",
      prompt: "Message to deckhand",
      ignoreFocusOut: true,
    });
    if (message?.trim()) await this.send(message);
  }

  /** Runs one turn; resolves with its result, or undefined when it failed. */
  async send(message: string): Promise<ChatResult | undefined> {
    if (this.turn) {
      const stop = await vscode.window.showWarningMessage("deckhand is still answering: stop it before sending another message.", "Stop");
      if (stop === "Stop") await this.cancel();
      return undefined;
    }
    this.host.output.show(true);
    this.each((s) => s.user(message));
    let conn: Connection;
    try {
      conn = await this.host.connection();
    } catch (err) {
      return this.fail(err, message);
    }
    const turn: Turn = { sessionId: this.sessionId };
    this.turn = turn;
    const off = conn.onChat((e) => this.onEvent(turn, e));
    let result: ChatResult;
    try {
      result = await conn.chat(message, turn.sessionId);
    } catch (err) {
      // A turn that failed after chat/started leaves a usable session.
      if (turn.sessionId) this.sessionId = turn.sessionId;
      return this.fail(err, message);
    } finally {
      off();
      this.turn = undefined;
    }
    this.sessionId = result.sessionId;
    this.each((s) => s.line(stopLine(result), "done"));
    return result;
  }

  /** Stops the running turn (deckhand.cancel); false when none runs. */
  async cancel(): Promise<boolean> {
    const sessionId = this.turn?.sessionId;
    if (!sessionId) return false;
    const conn = await this.host.connection();
    return (await conn.cancelTurn(sessionId)).cancelled;
  }

  /** Forgets the conversation: the next message starts a new session. */
  reset(): void {
    this.sessionId = undefined;
    this.host.output.appendLine("--- new chat ---");
  }

  private onEvent(turn: Turn, e: ChatEvent): void {
    if (e.kind === "started") {
      // A new conversation learns its id here; a follow-up matches its own.
      if (turn.turnId || (turn.sessionId && turn.sessionId !== e.sessionId)) return;
      turn.sessionId = e.sessionId;
      turn.turnId = e.turnId;
      return;
    }
    if (e.turnId !== turn.turnId) return;
    switch (e.kind) {
      case "delta":
        this.each((s) => s.text(e.text));
        break;
      case "reasoning":
        this.each((s) => s.reasoning(e.text));
        break;
      case "toolCall":
        this.each((s) => s.line(toolCallLine(e.name, e.arguments), "tool"));
        break;
      case "toolResult":
        this.each((s) => s.line(toolResultLine(e.name, e.ok, e.error), e.ok ? "ok" : "failed"));
        break;
    }
  }

  private async fail(err: unknown, message: string): Promise<undefined> {
    const text = (err as Error).message ?? String(err);
    if (err instanceof RpcError && err.code === ErrorCode.RequestCancelled) return undefined;
    this.each((s) => s.line(`[error] ${text}`, "error"));
    if (err instanceof RpcError && err.code === ErrorCode.NotConnected) {
      const choice = await vscode.window.showErrorMessage(say(text), "Log in");
      if (choice === "Log in" && (await login(this.host, (err.data as any)?.methods))) await this.send(message);
      return undefined;
    }
    if (err instanceof RpcError && err.code === ErrorCode.PlanNotIncluded) {
      const choice = await vscode.window.showErrorMessage(say(text), "Use an API key");
      if (choice) await login(this.host);
      return undefined;
    }
    vscode.window.showErrorMessage(say(text));
    return undefined;
  }

  private each(f: (s: ChatSink) => void): void {
    for (const s of this.sinks) f(s);
  }
}

/** OutputSink renders a turn as plain text lines in an output channel. */
class OutputSink implements ChatSink {
  private mode: "line" | "text" | "reasoning" = "line";

  constructor(private readonly out: vscode.OutputChannel) {}

  user(message: string): void {
    this.endLine();
    this.out.appendLine(`> ${message}`);
  }

  text(text: string): void {
    if (this.mode === "reasoning") this.endLine();
    this.mode = "text";
    this.out.append(text);
  }

  reasoning(text: string): void {
    if (this.mode !== "reasoning") {
      this.endLine();
      this.out.append("[thinking] ");
    }
    this.mode = "reasoning";
    this.out.append(text);
  }

  line(line: string): void {
    this.endLine();
    this.out.appendLine(line);
  }

  private endLine(): void {
    if (this.mode !== "line") this.out.appendLine("");
    this.mode = "line";
  }
}
