package protocol

import "encoding/json"

// Version 1.1 additions: review before allowing, undo, context from the
// editor, long sessions.

// Methods and notifications of 1.1 (review, undo, compaction).
const (
	MethodUndo          = "undo"
	NotifyChatCompacted = "chat/compacted"
)

// Preview is what permission/request shows of a call: {path, diff} for
// write and edit, {command, cwd} for bash. The command is never shortened.
type Preview struct {
	Path    string `json:"path,omitempty"`
	Diff    string `json:"diff,omitempty"`
	Command string `json:"command,omitempty"`
	Cwd     string `json:"cwd,omitempty"`
	// Files (1.2, nativetools.go) lists every file of an apply_patch.
	Files []PreviewFile `json:"files,omitempty"`
	// Sandboxed (1.2, commands only) says whether the command would run in
	// the OS sandbox; Justification is why the model asks to run it outside.
	Sandboxed     *bool  `json:"sandboxed,omitempty"`
	Justification string `json:"justification,omitempty"`
	// Server, Tool and Arguments (1.2) are an MCP tool call's; Servers the
	// MCP servers a workspace's .mcp.json (Path) would start.
	Server    string             `json:"server,omitempty"`
	Tool      string             `json:"tool,omitempty"`
	Arguments json.RawMessage    `json:"arguments,omitempty"`
	Servers   []MCPServerPreview `json:"servers,omitempty"`
}

// UndoParams are the params of undo. No TurnID: the session's last turn
// that changed files and is not undone yet.
type UndoParams struct {
	SessionID string `json:"sessionId"`
	TurnID    string `json:"turnId,omitempty"`
	Force     bool   `json:"force,omitempty"`
}

// UndoResult is the result of undo.
type UndoResult struct {
	TurnID   string        `json:"turnId"`
	Restored []string      `json:"restored"`
	Skipped  []UndoSkipped `json:"skipped"`
	// RanBash: the turn ran bash, whose changes are not undone; Message
	// says so in a sentence.
	RanBash bool   `json:"ranBash,omitempty"`
	Message string `json:"message,omitempty"`
}

// UndoSkipped is a file undo left alone, and why.
type UndoSkipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Attachment types.
const (
	AttachFile      = "file"
	AttachSelection = "selection"
	AttachText      = "text"
	AttachImage     = "image" // 1.2: Path, or MimeType and Data (base64)
)

// Attachment is one item of chat's attachments: a file the server reads
// (Path, optional Range), the editor's selection (Path, Range, Text) or free
// text (Title, Text).
type Attachment struct {
	Type  string     `json:"type"`
	Path  string     `json:"path,omitempty"`
	Range *LineRange `json:"range,omitempty"`
	Text  string     `json:"text,omitempty"`
	Title string     `json:"title,omitempty"`
	// MimeType and Data (1.2) are a pasted image, base64.
	MimeType string `json:"mimeType,omitempty"`
	Data     string `json:"data,omitempty"`
}

// LineRange is an inclusive range of 1-based lines.
type LineRange struct {
	StartLine int `json:"startLine"`
	EndLine   int `json:"endLine"`
}

// ChatCompactedParams are the params of chat/compacted: the history was
// compacted from BeforeTokens to about AfterTokens.
type ChatCompactedParams struct {
	TurnRef
	BeforeTokens int64 `json:"beforeTokens"`
	AfterTokens  int64 `json:"afterTokens"`
}
