// Review shows deckhand's changes in VS Code's own diff editor: a proposed
// write or edit before it is allowed (the file on disk against the proposed
// content) and, after a turn, a changed file against its content before the
// turn. The left and proposed sides are virtual documents of this provider.

import * as vscode from "vscode";

export const scheme = "deckhand-review";

export class Review implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly docs = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(scheme, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.path) ?? "";
  }

  /** Opens the diff of a proposed change; the permission card holds the decision. */
  async showProposal(id: string, rel: string, before: string, after: string, title: string): Promise<void> {
    const left = this.put(`/before/${id}/${rel}`, before);
    const right = this.put(`/proposal/${id}/${rel}`, after);
    await vscode.commands.executeCommand("vscode.diff", left, right, title, { preview: true, preserveFocus: true });
  }

  /**
   * Closes the proposal's diff once the user decided (or deckhand withdrew
   * it), leaving the focus where it is; resolves once it is closed.
   */
  async closeProposal(id: string): Promise<void> {
    const prefix = `/proposal/${id}/`;
    const groups = (vscode.window as any).tabGroups as vscode.TabGroups | undefined;
    if (!groups) return;
    const closing: Thenable<unknown>[] = [];
    for (const group of groups.all) {
      for (const tab of group.tabs) {
        const input = tab.input as { modified?: vscode.Uri } | undefined;
        if (input?.modified?.scheme === scheme && input.modified.path.startsWith(prefix)) closing.push(groups.close(tab, true).then(undefined, () => undefined));
      }
    }
    await Promise.all(closing);
  }

  /** Opens a changed file against its content before the turn. */
  async showChange(turnId: string, rel: string, before: string, file: vscode.Uri): Promise<void> {
    const left = this.put(`/turn/${turnId}/${rel}`, before);
    await vscode.commands.executeCommand("vscode.diff", left, file, `${rel} (changes by deckhand)`);
  }

  private put(p: string, content: string): vscode.Uri {
    this.docs.set(p, content);
    const uri = vscode.Uri.from({ scheme, path: p });
    this.changed.fire(uri);
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
