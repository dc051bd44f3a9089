// Diagnostics from the editor (protocol 1.2 §20): deckhand asks, around each
// step that changes files, what VS Code's language servers report for those
// files; it tells the model the problems the change introduced. The answer
// comes from languages.getDiagnostics, once the servers have settled.

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";

export interface DiagnosticsParams {
  sessionId: string;
  paths: string[];
  /** "before": the step is about to change the files; "after": it changed them. */
  when?: "before" | "after" | string;
}

export interface WireDiagnostic {
  path: string;
  range: { startLine: number; endLine: number };
  severity: "error" | "warning";
  message: string;
  source?: string;
}

/** How long the language servers may take: quiet this long after their last change for the files... */
export let settleQuietMs = 400;
/** ...within this much in all (deckhand waits 5 s at most for an answer)... */
export let settleMaxMs = 3500;
/** ...and as long as this for a first change, after which none is expected. */
export let settleFirstMs = 1500;

/** Tests shorten the waits. */
export function setSettleTimes(quiet: number, first: number, max: number): void {
  settleQuietMs = quiet;
  settleFirstMs = first;
  settleMaxMs = max;
}

/**
 * Answers diagnostics/request. The files are opened as documents (not
 * shown), so that language servers check them at all; "after" waits for
 * their diagnostics to settle, and so does "before" for a file only just
 * opened (otherwise its old problems would look new afterwards).
 */
export async function answerDiagnostics(root: string, p: DiagnosticsParams, cancelled?: { isCancellationRequested: boolean }): Promise<{ diagnostics: WireDiagnostic[] }> {
  const paths = (Array.isArray(p?.paths) ? p.paths : []).filter((x) => typeof x === "string" && x);
  const files = paths.map((rel) => ({ rel, uri: vscode.Uri.file(path.isAbsolute(rel) ? rel : path.join(root, rel)) }));
  const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
  const fresh = files.filter((f) => !open.has(f.uri.toString()));
  const settled = watch(files.map((f) => f.uri));
  const docs = await Promise.all(files.map((f) => Promise.resolve(vscode.workspace.openTextDocument(f.uri)).then(undefined, () => undefined)));
  if (p?.when !== "before" || fresh.length) {
    // A document VS Code holds follows the disk a moment after deckhand
    // wrote it; the language servers check it from then on.
    await inSync(docs, files.map((f) => f.uri.fsPath), cancelled);
    settled.restart();
    await settled.wait(cancelled);
  }
  settled.dispose();
  const out: WireDiagnostic[] = [];
  for (const f of files) {
    for (const d of vscode.languages.getDiagnostics(f.uri)) {
      const severity = d.severity === vscode.DiagnosticSeverity.Error ? "error" : d.severity === vscode.DiagnosticSeverity.Warning ? "warning" : undefined;
      if (!severity || !d.message) continue;
      const w: WireDiagnostic = { path: f.rel, range: { startLine: d.range.start.line + 1, endLine: d.range.end.line + 1 }, severity, message: d.message };
      if (d.source) w.source = d.source;
      out.push(w);
    }
  }
  return { diagnostics: out };
}

/**
 * Waits (a third of settleMaxMs at most) until each open document holds
 * what its file on disk holds: servers that check the editor's copy see the
 * change from then on. Those that read the disk do not need it, so the wait
 * is bounded well inside the whole.
 */
async function inSync(docs: (vscode.TextDocument | undefined)[], files: string[], cancelled?: { isCancellationRequested: boolean }): Promise<void> {
  const end = Date.now() + settleMaxMs / 3;
  const stale = () =>
    docs.some((d, i) => {
      if (!d || d.isDirty || typeof d.getText !== "function") return false; // unsaved edits of the user's own: not the disk's
      try {
        return d.getText() !== fs.readFileSync(files[i], "utf8");
      } catch {
        return false; // deleted
      }
    });
  while (stale() && Date.now() < end && !cancelled?.isCancellationRequested) await new Promise((r) => setTimeout(r, 50));
}

/**
 * Follows onDidChangeDiagnostics for uris; wait() resolves once they have
 * been quiet a while after a change, or none came in settleFirstMs from
 * restart(), or settleMaxMs passed since the watch began.
 */
function watch(uris: vscode.Uri[]): { restart(): void; wait(cancelled?: { isCancellationRequested: boolean }): Promise<void>; dispose(): void } {
  const want = new Set(uris.map((u) => u.toString()));
  let last = 0;
  const sub = vscode.languages.onDidChangeDiagnostics((e) => {
    if (e.uris.some((u) => want.has(u.toString()))) last = Date.now();
  });
  const start = Date.now();
  let from = start;
  return {
    restart: () => (from = Date.now()),
    async wait(cancelled) {
      for (;;) {
        const now = Date.now();
        if (cancelled?.isCancellationRequested || now - start >= settleMaxMs) return;
        if (last ? now - Math.max(last, from) >= settleQuietMs : now - from >= settleFirstMs) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    dispose: () => sub.dispose(),
  };
}

/**
 * The problems of after that before did not have, matched as deckhand
 * matches them: by path, severity, source and message, counted, never by
 * line (an edit above a problem moves it).
 */
export function introduced(before: WireDiagnostic[], after: WireDiagnostic[]): WireDiagnostic[] {
  const key = (d: WireDiagnostic) => JSON.stringify([d.path, d.severity, d.source ?? "", d.message]);
  const seen = new Map<string, number>();
  for (const d of before) seen.set(key(d), (seen.get(key(d)) ?? 0) + 1);
  const out: WireDiagnostic[] = [];
  for (const d of after) {
    const n = seen.get(key(d)) ?? 0;
    if (n > 0) seen.set(key(d), n - 1);
    else out.push(d);
  }
  return out.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
}
