// Context for the next message: "Add Selection to Chat" puts the editor's
// selection (unsaved text included) on the input as a chip.

import * as path from "node:path";
import * as vscode from "vscode";
import { Chip } from "./view";

/** The active editor's selection (or its current line) as a chip; undefined without an editor. */
export function selectionChip(editor: vscode.TextEditor | undefined): Chip | undefined {
  if (!editor) return undefined;
  const doc = editor.document;
  let sel: vscode.Range = editor.selection;
  if (editor.selection.isEmpty) sel = doc.lineAt(editor.selection.active.line).range;
  const startLine = sel.start.line + 1;
  // A selection that ends at column 0 of a line does not include that line.
  const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line : sel.end.line + 1;
  const rel = doc.uri.scheme === "file" ? vscode.workspace.asRelativePath(doc.uri, false) : doc.fileName;
  const text = doc.getText(sel);
  const label = `${path.basename(rel)}:${startLine === endLine ? startLine : `${startLine}-${endLine}`}`;
  return { id: `s:${rel}:${startLine}-${endLine}`, label, attachment: { type: "selection", path: rel, range: { startLine, endLine }, text } };
}
