// A stand-in for a language server in deckhand's UI tests: every "BROKEN" in
// an open file is an error of the source "fakelint", reported through a
// DiagnosticCollection as a real linter extension does. The files deckhand
// changes on disk are reloaded by VS Code, which calls onDidChangeTextDocument.
const vscode = require("vscode");

exports.activate = (context) => {
  const problems = vscode.languages.createDiagnosticCollection("fakelint");
  const lint = (doc) => {
    if (doc.uri.scheme !== "file") return;
    const found = [];
    for (let i = 0; i < doc.lineCount; i++) {
      const at = doc.lineAt(i).text.indexOf("BROKEN");
      if (at < 0) continue;
      const d = new vscode.Diagnostic(new vscode.Range(i, at, i, at + 6), "BROKEN is not defined", vscode.DiagnosticSeverity.Error);
      d.source = "fakelint";
      found.push(d);
    }
    problems.set(doc.uri, found);
  };
  vscode.workspace.textDocuments.forEach(lint);
  context.subscriptions.push(
    problems,
    vscode.workspace.onDidOpenTextDocument(lint),
    vscode.workspace.onDidChangeTextDocument((e) => lint(e.document)),
  );
};
