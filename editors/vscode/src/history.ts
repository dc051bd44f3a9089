// The history view: this workspace's conversations from sessions/list,
// newest first; choosing one reopens it in the chat with sessions/load.

import * as vscode from "vscode";
import { SessionInfo } from "./deckhand";
import { localTime } from "./format";
import { Host } from "./host";

export const historyViewId = "deckhand.historyView";

export class History implements vscode.TreeDataProvider<SessionInfo> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Set when deckhand keeps no sessions, so the view can say so. */
  message?: string;

  constructor(private readonly host: Host) {
    // The dates are the user's: drawn again once the chat view says where the user is.
    host.onDidChangeTimeZone(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(s: SessionInfo): vscode.TreeItem {
    const item = new vscode.TreeItem(s.title || "(untitled)", vscode.TreeItemCollapsibleState.None);
    item.description = `${localTime(s.updatedAt, this.host.timeZone, "dateTime")} · ${s.turns} turn${s.turns === 1 ? "" : "s"}`;
    item.tooltip = s.broken ? `This conversation cannot be read: ${s.error ?? "unknown error"}` : `${s.title}\n${s.model ?? ""}\n${s.sessionId}`;
    item.iconPath = new vscode.ThemeIcon(s.broken ? "warning" : "comment-discussion");
    item.contextValue = "session";
    if (!s.broken) item.command = { command: "deckhand.openSession", title: "Open", arguments: [s.sessionId] };
    return item;
  }

  async getChildren(parent?: SessionInfo): Promise<SessionInfo[]> {
    if (parent) return [];
    try {
      const conn = await this.host.connection();
      if (!conn.has("sessions")) {
        this.message = "This deckhand does not keep conversations (it predates protocol 1.1).";
        return [];
      }
      this.message = undefined;
      return (await conn.listSessions(conn.initialized.workspaceRoot, 50)).sessions;
    } catch (err) {
      this.message = (err as Error).message;
      return [];
    }
  }
}
