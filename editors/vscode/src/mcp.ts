// The MCP servers quick pick (protocol 1.2 §18): each server of the current
// conversation (or those a new one would start) with its state and tools,
// kept up to date from mcp/status while it is open.

import * as vscode from "vscode";
import { McpServer } from "./deckhand";
import { Host } from "./host";

const icons: Record<string, string> = { ready: "$(pass-filled)", starting: "$(loading~spin)", failed: "$(error)", stopped: "$(circle-outline)" };

/** One row of the pick: the server, its state and tools, or why it failed. */
export function mcpItem(s: McpServer): vscode.QuickPickItem & { name: string } {
  const tools = s.tools ?? [];
  const state = s.status === "stopped" ? "not started yet" : s.status;
  const short = tools.map((t) => t.replace(new RegExp(`^mcp__${s.name.replace(/[^a-zA-Z0-9_-]/g, "_")}__`), ""));
  return {
    name: s.name,
    label: `${icons[s.status] ?? "$(server)"} ${s.name}`,
    description: `${state} · ${tools.length} tool${tools.length === 1 ? "" : "s"} · ${s.transport}, from ${s.source === "workspace" ? ".mcp.json" : s.source === "client" ? "the editor" : "deckhand's config"}`,
    detail: s.error ? `Failed: ${s.error}` : short.length ? short.join(", ") : s.status === "stopped" ? "Starts with the conversation's first message." : "No tools.",
  };
}

/** Shows the servers; resolves when the pick is closed. */
export async function showMcpServers(host: Host, sessionId: string | undefined): Promise<void> {
  const conn = await host.connection();
  if (!conn.has("mcp")) {
    vscode.window.showInformationMessage("deckhand: this deckhand has no MCP support (it predates protocol 1.2).");
    return;
  }
  const servers = new Map<string, McpServer>();
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { name: string }>();
  pick.title = "deckhand: MCP servers";
  pick.placeholder = "MCP servers of this conversation, with their tools";
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.busy = true;
  const draw = () => {
    pick.items = [...servers.values()].sort((a, b) => a.name.localeCompare(b.name)).map(mcpItem);
    if (!servers.size && !pick.busy) pick.placeholder = "No MCP servers configured (deckhand's config.json mcpServers, or the workspace's .mcp.json)";
  };
  let listed = sessionId;
  // A server's new state, while the pick is open.
  const off = conn.onMcpStatus((s) => {
    if (listed && s.sessionId !== listed) return;
    listed ??= s.sessionId;
    servers.set(s.name, s);
    draw();
  });
  const closed = new Promise<void>((resolve) => pick.onDidHide(() => resolve()));
  pick.show();
  try {
    const res = await conn.mcpList(sessionId);
    for (const s of res.servers ?? []) if (!servers.has(s.name) || servers.get(s.name)!.status === "stopped") servers.set(s.name, s);
  } catch (err) {
    pick.placeholder = `Could not list the MCP servers: ${(err as Error).message}`;
  } finally {
    pick.busy = false;
    draw();
  }
  await closed;
  off();
  pick.dispose();
}
