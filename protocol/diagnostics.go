package protocol

// RequestDiagnostics (1.2) is sent by the server to a client that declared
// capabilities.diagnostics, around each turn step that changes files: what
// do the editor's language servers report for these files now?
const RequestDiagnostics = "diagnostics/request"

// DiagnosticsRequestParams are the params of diagnostics/request. Paths are
// relative to the workspace root, as in changedPaths. When (an extension)
// is "before" (the step's calls are about to change the files: answer at
// once) or "after" (they changed them: the editor may let its language
// servers settle first).
type DiagnosticsRequestParams struct {
	SessionID string   `json:"sessionId"`
	Paths     []string `json:"paths"`
	When      string   `json:"when,omitempty"`
}

// DiagnosticsResult is the result of diagnostics/request.
type DiagnosticsResult struct {
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// Diagnostic is one problem a language server reports. Path is one of the
// paths asked about; Severity is "error" or "warning" (others are ignored).
type Diagnostic struct {
	Path     string    `json:"path"`
	Range    LineRange `json:"range"`
	Severity string    `json:"severity"`
	Message  string    `json:"message"`
	Source   string    `json:"source,omitempty"`
}
