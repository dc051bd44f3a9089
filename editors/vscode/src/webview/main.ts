// The chat webview: renders the transcript the extension sends (markdown
// with raw HTML off, highlighted code with a copy button, collapsed thinking,
// tool cards, permission cards, turn ends, errors) and the composer (Enter
// sends, Shift+Enter is a new line, @ completes workspace files, model and
// effort pickers). Bundled for the browser by esbuild.

import hljs from "highlight.js/lib/common";
import MarkdownIt from "markdown-it";
import type { FromWebview, InputState, Item, ToWebview } from "../view";
import { finishedPrefix, nearlyUsedPercent, sizeNote } from "../view";

declare function acquireVsCodeApi(): { postMessage(m: FromWebview): void; getState(): any; setState(s: any): void };

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const log = $<HTMLElement>("log");
const empty = $<HTMLElement>("empty");
const msg = $<HTMLTextAreaElement>("msg");
const send = $<HTMLButtonElement>("send");
const stop = $<HTMLButtonElement>("stop");
const model = $<HTMLSelectElement>("model");
const effort = $<HTMLSelectElement>("effort");
const policy = $<HTMLSelectElement>("policy");
const chips = $<HTMLElement>("chips");
const working = $<HTMLElement>("working");
const complete = $<HTMLElement>("complete");
const loginCard = $<HTMLElement>("login");
const loginWarning = $<HTMLElement>("login-warning");
const flowCard = $<HTMLElement>("flow");
const flowText = $<HTMLElement>("flow-text");
const flowActions = $<HTMLElement>("flow-actions");
const authWarning = $<HTMLElement>("auth-warning");
const meters = $<HTMLElement>("meters");
let shownFlow = "";
$<HTMLButtonElement>("login-button").addEventListener("click", () => vscode.postMessage({ type: "login" }));

// While the open block of a streaming answer is drawn, code of no named
// language is left plain: guessing its language tries every grammar over the
// whole block, again each frame as the block grows. It is guessed once the
// text is settled (see settle).
let guessLanguage = true;
const md = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: false,
  highlight: (code, lang) => {
    try {
      if (lang && hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
      if (!guessLanguage) return "";
      return hljs.highlightAuto(code).value;
    } catch {
      return "";
    }
  },
});
// Fenced code: a header with the language and a Copy button around the highlighted block.
const fence = md.renderer.rules.fence!;
md.renderer.rules.fence = (tokens, idx, options, env, self) => {
  const lang = tokens[idx].info.trim().split(/\s+/)[0] || "";
  const inner = fence(tokens, idx, options, env, self);
  return `<div class="code"><div class="code-head"><span>${md.utils.escapeHtml(lang || "text")}</span><button class="copy" type="button" title="Copy code">Copy</button></div>${inner}</div>`;
};

let input: InputState = { running: false, models: [], chips: [], loggedIn: false };
const nodes = new Map<string, HTMLElement>();
const items = new Map<string, Item>();
const dirty = new Map<string, Item>();
let frame = 0;
let mustScroll: HTMLElement | undefined;
// Whether new text keeps the end of the transcript in sight: until the user
// scrolls up, and again once they are back at the end (see the scroll listener).
let follow = true;
let lastScrollY = 0;
let lastHeight = window.innerHeight;

// ---- transcript ----

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(label: string, onClick: () => void, cls = ""): HTMLButtonElement {
  const b = el("button", cls, label);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

// Streamed markdown is rendered in two parts: the finished blocks, each
// rendered once and kept, and the open block at the end, rendered again as
// text arrives. A block is finished at a blank line outside a fenced code
// block when the next line starts a new block (not indented, which could be
// a list item's continuation or indented code).
//
// Finished blocks are gathered in chunks of about chunkChars characters of
// markdown. A full chunk is sealed: the browser lays out and paints it only
// while it is near the view (content-visibility), at the size it last had.
// Chunks, rather than one element a block, keep what each frame lays out and
// watches small however long the answer grows; the chunk being filled is laid
// out as usual, so its size is right even while the user reads higher up.
const chunkChars = 3000;
interface Live {
  text: string; // the text drawn so far
  done: number; // characters of the text rendered into blocks for good
  blocks: HTMLElement;
  open: HTMLElement;
  chunk?: HTMLElement; // the chunk being filled
  chunkChars: number;
}
const live = new WeakMap<HTMLElement, Live>();
/** Targets whose open block was drawn without guessing code languages. */
const unsettled = new Set<HTMLElement>();

/** Renders text into target, reusing what an earlier call rendered of the same growing text. */
function markdownLive(target: HTMLElement, text: string): void {
  let s = live.get(target);
  if (!s || text.length < s.done) {
    s = { text, done: 0, blocks: el("div", "blocks"), open: el("div", "open"), chunkChars: 0 };
    target.replaceChildren(s.blocks, s.open);
    live.set(target, s);
  }
  s.text = text;
  const cut = s.done + finishedPrefix(text.slice(s.done));
  if (cut > s.done) {
    if (!s.chunk || s.chunkChars >= chunkChars) {
      s.chunk?.classList.add("sealed");
      s.chunk = el("div", "chunk");
      s.chunkChars = 0;
      s.blocks.append(s.chunk);
    }
    s.chunk.insertAdjacentHTML("beforeend", md.render(text.slice(s.done, cut)));
    s.chunkChars += cut - s.done;
    s.done = cut;
  }
  guessLanguage = false;
  try {
    s.open.innerHTML = md.render(text.slice(s.done));
  } finally {
    guessLanguage = true;
  }
  unsettled.add(target);
}

/**
 * Draws the open block of texts that grow no more as a finished one (code of
 * no named language highlighted): those with an item after them, or all once
 * no turn runs.
 */
function settle(all: boolean): void {
  const last = log.lastElementChild;
  for (const target of unsettled) {
    const s = live.get(target);
    if (!all && last?.contains(target)) continue;
    unsettled.delete(target);
    if (s && target.isConnected) s.open.innerHTML = md.render(s.text.slice(s.done));
  }
}

function nearBottom(slack = 80): boolean {
  return window.innerHeight + window.scrollY >= document.body.scrollHeight - slack;
}

// Following the end stops as soon as the user scrolls up, by however little,
// and starts again when they come back near the end. Decided here, when the
// user scrolls, rather than in each frame that draws new text: that frame
// would otherwise have to lay out the page before changing it, and would
// pull back a user who had just scrolled up a few lines.
window.addEventListener(
  "scroll",
  () => {
    const y = window.scrollY;
    const height = window.innerHeight;
    // Moving up in a view of the same size, and not to the very end (where a
    // shorter page puts the view), is the user's doing; a view resized or
    // hidden by the workbench is not.
    if (y < lastScrollY - 1 && height === lastHeight && height > 0 && !nearBottom(2)) follow = false;
    else if (nearBottom()) follow = true;
    lastScrollY = y;
    lastHeight = height;
  },
  { passive: true },
);
// Turning the wheel up, or a key that goes up the page, stops following at
// once (where the page can go up): the scroll it starts is animated, and the
// next frame of text would otherwise scroll back to the end before the first
// step of it is seen.
window.addEventListener("wheel", (e) => e.deltaY < 0 && window.scrollY > 0 && (follow = false), { passive: true });
document.addEventListener("keydown", (e) => {
  const editing = e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
  if (!editing && window.scrollY > 0 && ["ArrowUp", "PageUp", "Home"].includes(e.key)) follow = false;
});

function render(item: Item): HTMLElement {
  switch (item.kind) {
    case "user": {
      const d = el("div", "user");
      d.append(el("div", "who", "You"));
      d.append(el("div", "body", item.text));
      if (item.chips?.length) {
        const c = el("div", "chips");
        for (const label of item.chips) c.append(el("span", "chip", label));
        d.append(c);
      }
      return d;
    }
    case "text": {
      const d = el("div", "assistant md");
      markdownLive(d, item.text);
      return d;
    }
    case "thinking": {
      const d = el("details", "thinking");
      d.append(el("summary", "", "Thinking"));
      const body = el("div", "md");
      markdownLive(body, item.text);
      d.append(body);
      return d;
    }
    case "tool": {
      const d = el("details", `tool ${item.status}`);
      const s = el("summary");
      s.append(el("span", "icon", item.status === "running" ? "◌" : item.status === "ok" ? "✓" : "✗"));
      s.append(el("span", "name", item.name));
      s.append(el("span", "sum", item.summary));
      if (item.status === "failed") s.append(el("span", "state", item.exitCode ? `exit ${item.exitCode}` : "failed"));
      // Whether a command ran inside the OS sandbox (1.2).
      if (item.sandboxed !== undefined) {
        const b = el("span", item.sandboxed ? "sandbox-badge in" : "sandbox-badge out", item.sandboxed ? "sandboxed" : "unsandboxed");
        b.title = item.sandboxed ? "Ran sandboxed: it could write only the workspace and temp folders, with no network." : "Ran outside the sandbox, with your full access.";
        s.append(b);
      }
      d.append(s);
      const body = el("div", "body");
      body.append(el("div", "label", item.name === "bash" ? "Command" : "Arguments"));
      body.append(el("pre", "detail", item.detail));
      if (item.error) body.append(el("div", "error-text", item.error));
      if (item.status === "running") {
        body.append(el("div", "label", "Running…"));
        if (item.output?.length) {
          // A command's output so far: the card opens on it and keeps its end in sight.
          const live = el("pre", "output live", item.output);
          body.append(live);
          d.open = true;
          requestAnimationFrame(() => (live.scrollTop = live.scrollHeight));
        }
      } else {
        body.append(el("div", "label", "Output"));
        body.append(el("pre", "output", item.output?.length ? item.output : "(no output)"));
      }
      d.append(body);
      return d;
    }
    case "permission": {
      const what = item.path
        ? `${item.tool} ${item.path}`
        : item.files
          ? item.files.length === 1
            ? `apply_patch (${item.files[0].action} ${item.files[0].path})`
            : `apply_patch (${item.files.length} files)`
          : item.tool;
      if (item.state !== "pending") {
        // Decided: one line, so the transcript stays about the work.
        const words = { allow: "Allowed", allowAlways: "Allowed always", deny: "Denied", withdrawn: "Not needed any more" }[item.state];
        const d = el("div", `permission decided ${item.state}`);
        d.append(el("span", "icon", item.state === "deny" ? "✗" : item.state === "withdrawn" ? "–" : "✓"));
        d.append(el("span", "decision", `${words}: ${what}${item.reason ? ` (reason: ${item.reason})` : ""}`));
        return d;
      }
      const d = el("div", "permission pending");
      d.append(el("div", "title", `Allow deckhand to run ${what}?`));
      // For bash the command itself says it all; the description could only cut it short.
      if (item.description && item.command === undefined) d.append(el("div", "desc", item.description));
      if (item.command !== undefined) {
        const note = sizeNote(item.command);
        if (note) d.append(el("div", "size", note));
        d.append(el("pre", "command", item.command));
      }
      if (item.cwd) d.append(el("div", "cwd", `in ${item.cwd}`));
      if (item.sandboxed === true) d.append(el("div", "sandbox in", "Runs sandboxed: writes only the workspace and temp folders, no network."));
      if (item.sandboxed === false) d.append(el("div", "sandbox out", "Runs outside the sandbox: full access to your files and the network."));
      if (item.justification) d.append(el("div", "why", `Why: ${item.justification}`));
      if (item.files) {
        // Every file of the patch: its action, its path (and where a move puts it), its diff.
        const list = el("div", "files");
        item.files.forEach((f, i) => {
          const fd = el("details", `file ${f.action}`);
          if (i === 0) fd.open = true;
          const fs = el("summary");
          fs.append(el("span", "action", f.action));
          fs.append(el("span", "fpath", f.movePath ? `${f.path} → ${f.movePath}` : f.path));
          fs.append(button("Diff", () => vscode.postMessage({ type: "openProposal", id: item.id, index: i }), "link"));
          fd.append(fs);
          fd.append(el("pre", "diff", f.diff || "(no change to the content)"));
          list.append(fd);
        });
        d.append(list);
      }
      if (item.path) {
        const row = el("div", "path");
        row.append(button("Show the diff again", () => vscode.postMessage({ type: "openProposal", id: item.id }), "link"));
        d.append(row);
      }
      const reason = el("input", "reason");
      reason.placeholder = "Reason for denying (optional, told to the model)";
      reason.setAttribute("aria-label", "Reason for denying");
      const row = el("div", "actions");
      const decide = (decision: "allow" | "allowAlways" | "deny") => {
        vscode.postMessage({ type: "permission", id: item.id, decision, reason: decision === "deny" ? reason.value : undefined });
        // The card's buttons go: the keys go back to the input, not to the page.
        msg.focus();
      };
      row.append(button("Allow", () => decide("allow")));
      row.append(button("Allow always", () => decide("allowAlways"), "secondary"));
      row.append(button("Deny", () => decide("deny"), "secondary danger"));
      reason.addEventListener("keydown", (e) => {
        if (e.key === "Enter") decide("deny");
      });
      d.append(reason, row);
      return d;
    }
    case "end": {
      const d = el("div", "end");
      d.append(el("div", "summary", item.summary));
      if (item.changed.length) {
        const list = el("div", "changed");
        list.append(el("span", "label", "Changed:"));
        for (const p of item.changed) list.append(button(p, () => vscode.postMessage({ type: "openChange", turnId: item.turnId, path: p }), "link file"));
        if (item.canUndo) list.append(button("Undo", () => vscode.postMessage({ type: "undo", turnId: item.turnId }), "secondary undo"));
        d.append(list);
      }
      if (item.undone) d.append(el("div", "undone", item.undone));
      return d;
    }
    case "error": {
      const d = el("div", "error");
      d.setAttribute("role", "alert");
      d.append(el("div", "text", item.text));
      const row = el("div", "actions");
      for (const a of item.actions) row.append(button(a.label, () => vscode.postMessage({ type: "action", itemId: item.id, action: a.action }), "secondary"));
      d.append(row);
      return d;
    }
    case "notice": {
      const d = el("div", item.warning ? "notice warning" : "notice", item.text);
      if (item.warning) d.setAttribute("role", "alert");
      return d;
    }
  }
}

/** The element streamed text of a text or thinking node goes into. */
function textTarget(node: HTMLElement, item: Item): HTMLElement | undefined {
  if (item.kind === "text") return node;
  if (item.kind === "thinking") return node.querySelector<HTMLElement>(":scope > .md") ?? undefined;
  return undefined;
}

function place(item: Item): void {
  items.set(item.id, item);
  const old = nodes.get(item.id);
  const target = old && (item.kind === "text" || item.kind === "thinking") ? textTarget(old, item) : undefined;
  if (target && (item.kind === "text" || item.kind === "thinking")) {
    // More of a streamed text: only its open block is drawn again.
    markdownLive(target, item.text);
    return;
  }
  const node = render(item);
  node.dataset.id = item.id;
  // Keep what the user opened (a tool card, the thinking) open across updates.
  // (A running command's card with output opens by itself, to show it coming.)
  const live = item.kind === "tool" && item.status === "running" && !!item.output;
  if (old instanceof HTMLDetailsElement && node instanceof HTMLDetailsElement && !live) node.open = old.open;
  if (item.kind === "tool") node.dataset.callId = item.callId;
  if (old) old.replaceWith(node);
  else {
    // A permission question goes just before the card of the call it is about.
    const call = item.kind === "permission" && item.callId ? log.querySelector(`[data-call-id="${CSS.escape(item.callId)}"]`) : null;
    if (call) call.before(node);
    else log.append(node);
  }
  nodes.set(item.id, node);
  // A question for the user, or what the user just sent, is always brought into view.
  if ((item.kind === "permission" && item.state === "pending") || (item.kind === "user" && !old)) mustScroll = node;
}

function flush(): void {
  frame = 0;
  for (const item of dirty.values()) place(item);
  dirty.clear();
  settle(!input.running);
  empty.hidden = nodes.size > 0;
  if (mustScroll) {
    mustScroll.scrollIntoView({ block: "nearest" });
    follow = true;
  } else if (follow) window.scrollTo(0, document.body.scrollHeight);
  mustScroll = undefined;
}

function queue(item: Item): void {
  dirty.set(item.id, item);
  if (!frame) frame = requestAnimationFrame(flush);
}

log.addEventListener("click", (e) => {
  const t = e.target as HTMLElement;
  if (t.classList.contains("copy")) {
    const code = t.closest(".code")?.querySelector("pre code")?.textContent ?? "";
    vscode.postMessage({ type: "copy", text: code });
    t.textContent = "Copied";
    setTimeout(() => (t.textContent = "Copy"), 1500);
  }
});

// ---- composer ----

/** The login flow waiting for the user: its code or URL and its buttons, until it ends. */
function applyFlow(f: InputState["loginFlow"]): void {
  const key = f ? `${f.method} ${f.code ?? ""} ${f.url}` : "";
  flowCard.hidden = !f;
  if (key === shownFlow) return; // keeps a button the user is about to press in place
  shownFlow = key;
  if (!f) return flowActions.replaceChildren();
  const act = (action: "copyOpen" | "openUrl" | "copyUrl" | "paste" | "cancel") => () => vscode.postMessage({ type: "loginFlow", action });
  if (f.method === "headless") {
    flowText.replaceChildren(el("div", "", "Enter this code on the page below, on any device:"), el("div", "code", f.code ?? ""), el("div", "url", f.url));
    flowActions.replaceChildren(button("Copy code & open", act("copyOpen")), button("Cancel", act("cancel"), "secondary"));
  } else {
    flowText.replaceChildren(
      el("div", "", "Sign in in your browser. If it did not open, open the page; if the browser is on another machine, paste the address it ended on."),
      el("div", "url", f.url),
    );
    flowActions.replaceChildren(
      button("Open URL", act("openUrl")),
      button("Copy URL", act("copyUrl"), "secondary"),
      button("Paste redirect URL", act("paste"), "secondary"),
      button("Cancel", act("cancel"), "secondary"),
    );
  }
}

/** One meter: a label, a bar filled to pct, the number; "high" at 90% and over. */
function meter(cls: string, label: string, pct: number, title: string): HTMLElement {
  const m = el("span", `meter ${cls}${pct >= nearlyUsedPercent ? " high" : ""}`);
  m.title = title;
  const bar = el("span", "gauge");
  const fill = el("i");
  fill.style.width = `${Math.max(0, Math.min(100, pct))}%`;
  bar.append(fill);
  m.append(el("span", "label", label), bar, el("span", "pct", `${Math.round(pct)}%`));
  return m;
}

/** The context gauge and the plan's windows under the input. */
function applyMeters(s: InputState): void {
  const parts: HTMLElement[] = [];
  if (s.context) {
    const { tokens, window: size } = s.context;
    const pct = (tokens / size) * 100;
    parts.push(meter("context", "Context", pct, `${tokens.toLocaleString()} of the model's ${size.toLocaleString()} tokens (deckhand compacts the conversation at 90%)`));
  }
  for (const w of s.limits ?? []) {
    parts.push(meter("limit", w.name, w.usedPercent, `Your plan's ${w.name} window: ${Math.round(w.usedPercent)}% used${w.resets ? `, resets ${w.resets}` : ""}`));
  }
  meters.replaceChildren(...parts);
  meters.hidden = !parts.length;
}

const policyWords: Record<string, string> = {
  "on-request": "Commands run in the sandbox without asking; one that needs more (writing outside the workspace, the network) asks first.",
  untrusted: "Every command asks first, but a short list of read-only ones (ls, cat, grep, git status...), which run in the sandbox.",
  never: "Nothing asks: commands run in the sandbox, and the model is refused anything outside it.",
};

function applyInput(s: InputState): void {
  input = s;
  applyMeters(s);
  policy.hidden = !s.policy;
  if (s.policy) {
    policy.value = s.policy.value;
    const none = s.policy.sandbox === "none" ? `\nThis machine has no sandbox${s.policy.reason ? ` (${s.policy.reason})` : ""}: every command asks${s.policy.value === "never" ? ", and with Never ask none runs" : ""}.` : "";
    policy.title = `Approval policy: ${policyWords[s.policy.value] ?? ""}\nFile edits always show their diff first.${none}`;
  }
  applyFlow(s.loginFlow);
  loginCard.hidden = !s.loginNeeded || !!s.loginFlow;
  // A stored login that cannot be used: on the login card, or on its own when another login is in use.
  loginWarning.hidden = !s.authWarning;
  loginWarning.textContent = s.authWarning ?? "";
  authWarning.hidden = !s.authWarning || !!s.loginNeeded;
  authWarning.textContent = s.authWarning ?? "";
  send.disabled = s.running;
  stop.disabled = !s.running;
  working.hidden = !s.running;
  document.body.classList.toggle("running", s.running);
  model.hidden = effort.hidden = !s.models.length;
  model.replaceChildren(...s.models.map((m) => new Option(m.label, m.id, false, m.id === s.model)));
  const efforts = s.models.find((m) => m.id === s.model)?.efforts ?? [];
  effort.replaceChildren(new Option("default effort", "", false, !s.effort), ...efforts.map((e) => new Option(`${e} effort`, e, false, e === s.effort)));
  chips.replaceChildren(
    ...s.chips.map((c) => {
      const chip = el("span", "chip", c.label);
      chip.title = c.attachment.type === "selection" ? `${c.attachment.path} lines ${c.attachment.range.startLine}-${c.attachment.range.endLine}` : c.attachment.path;
      chip.append(button("×", () => vscode.postMessage({ type: "removeChip", id: c.id }), "remove"));
      return chip;
    }),
  );
}

function submit(): void {
  if (input.running) return; // Send is disabled; the draft stays
  const text = msg.value;
  if (!text.trim()) return;
  vscode.postMessage({ type: "send", text });
  msg.value = "";
  saveDraft();
}

function saveDraft(): void {
  vscode.setState({ draft: msg.value });
}

send.addEventListener("click", submit);
stop.addEventListener("click", () => vscode.postMessage({ type: "stop" }));
$<HTMLButtonElement>("new").addEventListener("click", () => vscode.postMessage({ type: "new" }));
model.addEventListener("change", () => vscode.postMessage({ type: "model", model: model.value }));
effort.addEventListener("change", () => vscode.postMessage({ type: "effort", effort: effort.value }));
policy.addEventListener("change", () => vscode.postMessage({ type: "policy", policy: policy.value }));

// @ completion of workspace files
let requestId = 0;
let options: string[] = [];
let active = 0;

function mention(): { start: number; query: string } | undefined {
  const upto = msg.value.slice(0, msg.selectionStart);
  const m = /(^|\s)@([^\s@]*)$/.exec(upto);
  return m ? { start: upto.length - m[2].length - 1, query: m[2] } : undefined;
}

function closeCompletion(): void {
  complete.hidden = true;
  options = [];
}

function showCompletion(files: string[]): void {
  options = files;
  active = 0;
  complete.replaceChildren(
    ...files.map((f, i) => {
      const row = el("div", i === active ? "option active" : "option", f);
      row.setAttribute("role", "option");
      row.addEventListener("mousedown", (e) => {
        e.preventDefault();
        choose(i);
      });
      return row;
    }),
  );
  if (!files.length) complete.append(el("div", "none", "No matching file"));
  complete.hidden = false;
}

function choose(i: number): void {
  const m = mention();
  const file = options[i];
  if (!m || !file) return closeCompletion();
  const before = msg.value.slice(0, m.start);
  const after = msg.value.slice(msg.selectionStart);
  msg.value = `${before}@${file} ${after}`;
  msg.selectionStart = msg.selectionEnd = before.length + file.length + 2;
  vscode.postMessage({ type: "attachFile", path: file });
  closeCompletion();
  saveDraft();
}

msg.addEventListener("input", () => {
  saveDraft();
  const m = mention();
  if (!m) return closeCompletion();
  vscode.postMessage({ type: "files", requestId: ++requestId, query: m.query });
});

msg.addEventListener("keydown", (e) => {
  if (!complete.hidden && options.length) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      [...complete.children].forEach((c, i) => c.classList.toggle("active", i === active));
      return;
    }
    if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      choose(active);
      return;
    }
  }
  if (e.key === "Escape" && !complete.hidden) {
    e.preventDefault(); // closes the completion; a second Escape stops the turn
    closeCompletion();
    return;
  }
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submit();
    return;
  }
  // Shift+Tab from the input goes to the question waiting for the user.
  if (e.key === "Tab" && e.shiftKey) {
    const allow = log.querySelector<HTMLButtonElement>(".permission.pending .actions button");
    if (allow) {
      e.preventDefault();
      allow.focus();
    }
  }
});
msg.addEventListener("blur", () => setTimeout(closeCompletion, 150));

// Escape stops the running turn (after closing the @ completion; not while
// typing a reason for denying).
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape" || e.defaultPrevented || !input.running || !complete.hidden) return;
  if ((e.target as HTMLElement | null)?.classList?.contains("reason")) return;
  e.preventDefault();
  vscode.postMessage({ type: "stop" });
});

// ---- messages from the extension ----

window.addEventListener("message", (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  switch (m.type) {
    case "reset":
      log.replaceChildren();
      nodes.clear();
      items.clear();
      dirty.clear();
      for (const item of m.items) place(item);
      empty.hidden = nodes.size > 0;
      applyInput(m.input);
      settle(true);
      follow = true;
      window.scrollTo(0, document.body.scrollHeight);
      break;
    case "item":
      queue(m.item);
      break;
    case "append": {
      const item = dirty.get(m.id) ?? items.get(m.id);
      if (item && (item.kind === "text" || item.kind === "thinking")) {
        item.text += m.text;
        queue(item);
      }
      break;
    }
    case "input":
      applyInput(m.input);
      if (!m.input.running) settle(true);
      break;
    case "files":
      if (m.requestId === requestId && mention()) showCompletion(m.files);
      break;
    case "focus":
      msg.focus();
      break;
  }
});

const saved = vscode.getState();
if (saved?.draft) msg.value = saved.draft;
vscode.postMessage({ type: "ready", timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone });
// The keys are handled from here on (the UI tests wait for it before typing).
document.body.dataset.ready = "1";
