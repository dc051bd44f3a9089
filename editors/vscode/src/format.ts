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
  return statusWords(s) + (s?.warning ? ` (${s.warning.replace(/\.$/, "")})` : "");
}

/** The login state alone, without its warning (the status bar's short form). */
export function statusWords(s: AuthStatus | undefined): string {
  if (!s || s.type === "none") return "not logged in";
  if (s.type === "api") return s.source === "env" ? "API key (OPENAI_API_KEY)" : "API key";
  return s.accountId ? `ChatGPT (${s.accountId})` : "ChatGPT";
}

/**
 * A time from the wire (RFC 3339) in the user's zone: timeZone when the
 * chat view reported one, else this process's. "" when it does not parse.
 */
export function localTime(at: string | number | Date, timeZone?: string, style: "time" | "dateTime" = "time"): string {
  const d = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(d.getTime())) return "";
  const opts: Intl.DateTimeFormatOptions = style === "time" ? { hour: "2-digit", minute: "2-digit" } : { dateStyle: "short", timeStyle: "short" };
  try {
    return d.toLocaleString([], { ...opts, timeZone });
  } catch {
    return d.toLocaleString([], opts);
  }
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

/** The one-line summary of a tool call on its card: what it does, to what. */
export function toolSummary(name: string, args: Record<string, unknown> | undefined): string {
  const a = args ?? {};
  const str = (k: string) => (typeof a[k] === "string" ? (a[k] as string) : "");
  const firstLine = (s: string) => {
    const line = s.split("\n")[0];
    return line.length > 100 ? line.slice(0, 99) + "…" : line + (s.includes("\n") ? " …" : "");
  };
  switch (name) {
    case "bash":
      return firstLine(str("command"));
    case "exec_command":
      return firstLine(str("cmd"));
    case "apply_patch": {
      // The files the patch names: + added, - deleted.
      const files = [...str("input").matchAll(/^\*\*\* (Add|Update|Delete) File: (.+)$/gm)].map((m) => ({ Add: "+", Delete: "-", Update: "" })[m[1] as "Add"] + m[2].trim());
      return files.length ? firstLine(files.join(" ")) : "(empty patch)";
    }
    case "read":
    case "write":
    case "edit":
      return str("path");
    case "list":
      return str("path") || ".";
    case "glob":
    case "grep":
      return str("pattern") + (str("path") ? ` in ${str("path")}` : "");
    default:
      return shortArgs(a);
  }
}

/** An error as the panel shows it: the user's words and the action that helps. */
export function errorView(code: number | undefined, message: string, data: any, now: Date = new Date(), timeZone?: string): { text: string; actions: { label: string; action: "login" | "resend" | "chooseModel" | "openLog" }[] } {
  switch (code) {
    case -32000:
      return { text: "You are not logged in to OpenAI (or the login expired). Log in, and your message is sent again.", actions: [{ label: "Log in", action: "login" }] };
    case -32010:
      return { text: "Your ChatGPT plan does not include Codex. Log in with an API key instead.", actions: [{ label: "Log in", action: "login" }] };
    case -32011: {
      let when = "";
      const at = data?.resetsAt ? Date.parse(data.resetsAt) : data?.retryAfterSeconds ? now.getTime() + Number(data.retryAfterSeconds) * 1000 : NaN;
      if (!Number.isNaN(at)) when = ` Try again at ${localTime(at, timeZone)}.`;
      return { text: `The usage limit of this login is reached.${when || " Try again later."}`, actions: [{ label: "Resend", action: "resend" }] };
    }
    case -32013: {
      const avail = Array.isArray(data?.available) && data.available.length ? ` Available: ${data.available.join(", ")}.` : "";
      return { text: `The model ${data?.model ?? ""} is not served for this login.${avail}`.replace("model  is", "model is"), actions: [{ label: "Choose a model", action: "chooseModel" }] };
    }
    case -32099:
      return { text: message, actions: [{ label: "Resend", action: "resend" }, { label: "Show log", action: "openLog" }] };
    default:
      return { text: message, actions: [{ label: "Resend", action: "resend" }] };
  }
}

/** The plan's usage windows by name: "5h 12% · weekly 40%" ("" when none). */
export function limitsText(windows: { name: string; usedPercent: number }[] | undefined): string {
  return (windows ?? [])
    .filter((w) => w && typeof w.name === "string" && typeof w.usedPercent === "number")
    .map((w) => `${w.name} ${Math.round(w.usedPercent)}%`)
    .join(" · ");
}

/**
 * Applies a unified diff (deckhand's preview of one file) to the file's
 * content; undefined when a hunk does not match, so the caller can fall back
 * to showing the diff itself.
 */
export function applyUnified(before: string, diff: string): string | undefined {
  const src = before === "" ? [] : before.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  let at = 0; // next line of src to copy
  let inHunk = false;
  for (const line of diff.replace(/\n$/, "").split("\n")) {
    const h = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@/.exec(line);
    if (h) {
      const start = Math.max(0, Number(h[1]) - (h[2] === "0" ? 0 : 1));
      if (start < at) return undefined;
      out.push(...src.slice(at, start));
      at = start;
      inHunk = true;
      continue;
    }
    if (!inHunk || line.startsWith("\\")) continue;
    const tag = line[0];
    const text = line.slice(1);
    if (tag === " " || tag === "-") {
      if (src[at] !== text) return undefined;
      at++;
      if (tag === " ") out.push(text);
    } else if (tag === "+") {
      out.push(text);
    } else if (line === "") {
      if (src[at] !== "") return undefined;
      out.push("");
      at++;
    } else {
      return undefined;
    }
  }
  out.push(...src.slice(at));
  return out.length ? out.join("\n") + "\n" : "";
}
