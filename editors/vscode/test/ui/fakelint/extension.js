// A stand-in for a language server in deckhand's UI tests: every "BROKEN" in
// an open file is an error of the source "fakelint", reported through a
// DiagnosticCollection as a real linter extension does. Like a server that
// watches the files it was opened on, it reads them from disk too (a moment
// after a change), so that it sees what deckhand wrote even when the
// editor's copy of the file has not followed yet.
const fs = require("node:fs");
const vscode = require("vscode");

exports.activate = (context) => {
  const problems = vscode.languages.createDiagnosticCollection("fakelint");
  const seen = new Map(); // uri -> the text last linted
  const check = (uri, text) => {
    if (seen.get(uri.toString()) === text) return;
    seen.set(uri.toString(), text);
    const found = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const at = lines[i].indexOf("BROKEN");
      if (at < 0) continue;
      const d = new vscode.Diagnostic(new vscode.Range(i, at, i, at + 6), "BROKEN is not defined", vscode.DiagnosticSeverity.Error);
      d.source = "fakelint";
      found.push(d);
    }
    problems.set(uri, found);
  };
  const lint = (doc) => {
    if (doc.uri.scheme === "file") check(doc.uri, doc.getText());
  };
  const fromDisk = setInterval(() => {
    for (const doc of vscode.workspace.textDocuments) {
      if (doc.uri.scheme !== "file" || doc.isDirty) continue;
      try {
        check(doc.uri, fs.readFileSync(doc.uri.fsPath, "utf8"));
      } catch {
        // deleted
      }
    }
  }, 200);
  vscode.workspace.textDocuments.forEach(lint);
  context.subscriptions.push(
    problems,
    { dispose: () => clearInterval(fromDisk) },
    vscode.workspace.onDidOpenTextDocument(lint),
    vscode.workspace.onDidChangeTextDocument((e) => lint(e.document)),
  );
};
