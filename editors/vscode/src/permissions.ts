// Answers deckhand's permission/request with a modal Allow / Allow always /
// Deny prompt. The RPC client calls this without waiting for it, so other
// frames keep flowing while the dialog is open.

import * as vscode from "vscode";
import { Decision, PermissionRequest } from "./deckhand";
import { shortArgs } from "./format";

const allow = "Allow";
const allowAlways = "Allow always";
const deny = "Deny";

/** Builds the prompt; log receives one line per decision. */
export function permissionPrompt(log: (line: string) => void) {
  return async (req: PermissionRequest, signal: AbortSignal): Promise<Decision> => {
    const detail = `Tool: ${req.tool}\nArguments: ${detailArgs(req.arguments)}`;
    const choice = await vscode.window.showInformationMessage(
      `deckhand wants to run ${req.tool}: ${req.description}`,
      { modal: true, detail },
      allow,
      allowAlways,
      deny,
    );
    // A dismissed dialog is a refusal, as is one deckhand withdrew.
    const decision: Decision = signal.aborted ? "deny" : choice === allow ? "allow" : choice === allowAlways ? "allowAlways" : "deny";
    log(`[permission] ${req.tool} ${shortArgs(req.arguments)}: ${decision}`);
    return decision;
  };
}

function detailArgs(args: Record<string, unknown>): string {
  const s = JSON.stringify(args ?? {}, null, 2);
  return s.length > 2000 ? s.slice(0, 2000) + "\n…" : s;
}
