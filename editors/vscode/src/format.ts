// Plain-text renderings of deckhand's events and states, shared by the
// output channel, the chat panel, the status bar and the tests.

import type { AuthStatus, ChatResult } from "./deckhand";

const maxArgs = 80;

/** A one-line summary of a tool call's arguments, cut to a readable length. */
export function shortArgs(args: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(args ?? {});
  } catch {
    s = String(args);
  }
  s = s.replace(/\s+/g, " ");
  return s.length > maxArgs ? s.slice(0, maxArgs - 1) + "…" : s;
}

export function toolCallLine(name: string, args: unknown): string {
  return `[tool] ${name} ${shortArgs(args)}`;
}

export function toolResultLine(name: string, ok: boolean, error?: string): string {
  if (ok) return `[tool] ${name}: ok`;
  const why = (error ?? "").split("\n")[0];
  return `[tool] ${name}: failed${why ? ` (${why})` : ""}`;
}

export function stopLine(r: ChatResult): string {
  return `[done: ${r.stopReason}, ${r.steps} step${r.steps === 1 ? "" : "s"}, ${r.usage.inputTokens} in / ${r.usage.outputTokens} out tokens]`;
}

/** The login state in words, for the status bar and the status command. */
export function statusText(s: AuthStatus | undefined): string {
  if (!s || s.type === "none") return "not logged in";
  if (s.type === "api") return s.source === "env" ? "API key (OPENAI_API_KEY)" : "API key";
  return s.accountId ? `ChatGPT (${s.accountId})` : "ChatGPT";
}

/** "mm:ss" left until an RFC 3339 time, "expired" once past it. */
export function countdown(expiresAt: string | undefined, now: number = Date.now()): string {
  if (!expiresAt) return "";
  const left = Math.floor((Date.parse(expiresAt) - now) / 1000);
  if (Number.isNaN(left)) return "";
  if (left <= 0) return "expired";
  const m = Math.floor(left / 60);
  const sec = left % 60;
  return `${m}:${sec.toString().padStart(2, "0")}`;
}

/** A message for a notification, naming deckhand once. */
export function say(message: string): string {
  return /^deckhand\b/i.test(message) ? message : `deckhand: ${message}`;
}
