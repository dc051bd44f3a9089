package protocol

import "encoding/json"

// Session methods (protocol 1.1), and deckhand's sessions/close extension.
const (
	MethodSessionsList   = "sessions/list"
	MethodSessionsLoad   = "sessions/load"
	MethodSessionsDelete = "sessions/delete"
	MethodSessionsClose  = "sessions/close"
)

// SessionsListParams are the params of sessions/list. Without workspaceRoot
// the list is of the connection's workspace; All (an extension) lists every
// workspace's.
type SessionsListParams struct {
	WorkspaceRoot string `json:"workspaceRoot,omitempty"`
	Limit         int    `json:"limit,omitempty"`
	All           bool   `json:"all,omitempty"`
}

// SessionInfo is one entry of sessions/list.
type SessionInfo struct {
	SessionID     string `json:"sessionId"`
	Title         string `json:"title"`
	WorkspaceRoot string `json:"workspaceRoot"`
	Model         string `json:"model"`
	CreatedAt     string `json:"createdAt"`
	UpdatedAt     string `json:"updatedAt"`
	Turns         int    `json:"turns"`
	// Broken: the session's file cannot be read; Error says why.
	Broken bool   `json:"broken,omitempty"`
	Error  string `json:"error,omitempty"`
}

// SessionsListResult is the result of sessions/list, newest first.
type SessionsListResult struct {
	Sessions []SessionInfo `json:"sessions"`
}

// SessionParams are the params of sessions/load, sessions/delete and
// sessions/close.
type SessionParams struct {
	SessionID string `json:"sessionId"`
}

// SessionsLoadResult is the result of sessions/load: a transcript to render.
type SessionsLoadResult struct {
	SessionID     string `json:"sessionId"`
	Title         string `json:"title"`
	WorkspaceRoot string `json:"workspaceRoot"`
	Model         string `json:"model"`
	// ReasoningEffort is the effort the session's last turn asked for ("":
	// the default); a chat request naming none continues with it, as with
	// the model.
	ReasoningEffort string           `json:"reasoningEffort,omitempty"`
	Turns           []TranscriptTurn `json:"turns"`
}

// TranscriptTurn is one turn of a transcript. StopReason is a chat stop
// reason, "error" for a turn that failed (Error says why), or "" for the
// turn running now.
type TranscriptTurn struct {
	TurnID  string           `json:"turnId"`
	Message string           `json:"message"`
	Text    string           `json:"text"`
	Tools   []TranscriptTool `json:"tools"`
	// Steps (additive) is what the turn did in order, as it was shown
	// live: reasoning and text with their text, tools by callId.
	Steps      []TranscriptStep `json:"steps,omitempty"`
	StopReason string           `json:"stopReason"`
	Error      string           `json:"error,omitempty"`
	// Attachments (additive) name what the message came with, as chat's
	// attachments without their content (no text, no image data).
	Attachments []Attachment `json:"attachments,omitempty"`
	// ChangedPaths (additive) lists the files the turn's write, edit and
	// apply_patch calls changed; Undoable says undo can still take them
	// back, Undone that it did.
	ChangedPaths []string `json:"changedPaths,omitempty"`
	Undoable     bool     `json:"undoable,omitempty"`
	Undone       bool     `json:"undone,omitempty"`
	// Usage (additive) is what chat's result said of the turn: its tokens
	// and how full the context window was after it.
	Usage *Usage `json:"usage,omitempty"`
	// StepCount (additive) is chat's result's steps for the turn; absent
	// when it took none or its session file lacks its end.
	StepCount int `json:"stepCount,omitempty"`
	// RetryOf (extension) names the failed turn this one replaced, which
	// the transcript no longer lists, and RetriedError is how it failed.
	RetryOf      string `json:"retryOf,omitempty"`
	RetriedError string `json:"retriedError,omitempty"`
}

// TranscriptStep is one thing a transcript turn did: Kind "reasoning" or
// "text" with Text, or "tool" with the CallID of one of the turn's tools.
type TranscriptStep struct {
	Kind   string `json:"kind"`
	Text   string `json:"text,omitempty"`
	CallID string `json:"callId,omitempty"`
}

// TranscriptTool is one tool call of a transcript turn.
type TranscriptTool struct {
	CallID    string          `json:"callId"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	OK        bool            `json:"ok"`
	Output    string          `json:"output"`
	// Error, ChangedPaths, Sandboxed and ExitCode (additive) are as in
	// chat/toolResult.
	Error        string   `json:"error,omitempty"`
	ChangedPaths []string `json:"changedPaths,omitempty"`
	Sandboxed    *bool    `json:"sandboxed,omitempty"`
	ExitCode     *int     `json:"exitCode,omitempty"`
	// Permission (additive) is how a call that needed permission was let
	// run or not; absent for calls that needed none.
	Permission *TranscriptPermission `json:"permission,omitempty"`
	// ParentCallID (additive) names the code-mode exec call whose script
	// made this call, as in chat/toolResult.
	ParentCallID string `json:"parentCallId,omitempty"`
}

// TranscriptPermission is the permission decision of a transcript's call.
// Decision is "allow", "allowAlways" or "deny"; By is "user" (the user
// answered a permission/request), "session" (allowed for the session
// earlier), "policy" (the approval policy and sandbox decided, or the
// editor cannot ask) or "allowAll" (deckhand runs with --allow-all).
// Reason is the user's reason for a denial, or what the model was told of
// a refusal nobody was asked about.
type TranscriptPermission struct {
	Decision string `json:"decision"`
	By       string `json:"by"`
	Reason   string `json:"reason,omitempty"`
}

// SessionsDeleteResult is the result of sessions/delete.
type SessionsDeleteResult struct {
	Deleted bool `json:"deleted"`
}

// SessionsCloseResult is the result of sessions/close: the session was in
// memory and is freed; it stays on disk and a later chat reloads it.
type SessionsCloseResult struct {
	Closed bool `json:"closed"`
}

// NotifyChatNotSaved: the session could not be written to disk (a full
// disk). The turn goes on, the session is kept in memory, and its next turn
// writes the whole of it again; a restart before that loses what was not
// written.
const NotifyChatNotSaved = "chat/notSaved"

// ChatNotSavedParams are the params of chat/notSaved; Message says why, in
// a sentence for the user.
type ChatNotSavedParams struct {
	TurnRef
	Message string `json:"message"`
}
