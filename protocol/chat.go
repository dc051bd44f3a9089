package protocol

import "encoding/json"

// Reasoning efforts.
const (
	EffortLow    = "low"
	EffortMedium = "medium"
	EffortHigh   = "high"
)

// Stop reasons.
const (
	StopEndTurn   = "end_turn"
	StopCancelled = "cancelled"
	StopMaxSteps  = "max_steps"
)

// ChatParams are the params of chat.
type ChatParams struct {
	SessionID       string `json:"sessionId,omitempty"`
	Message         string `json:"message"`
	Model           string `json:"model,omitempty"`
	ReasoningEffort string `json:"reasoningEffort,omitempty"`
	// Attachments (1.1) go to the model with the message.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Approvals (1.2) hold for this turn.
	Approvals
	// RetryOf (extension) names a turn of the session that ended before
	// the model said anything: this message replaces it (an editor's
	// Resend). A turn it cannot replace is ignored.
	RetryOf string `json:"retryOf,omitempty"`
}

// Usage counts tokens.
type Usage struct {
	InputTokens  int64 `json:"inputTokens"`
	OutputTokens int64 `json:"outputTokens"`
	// ContextTokens (1.1) is the size of the history at the turn's end, and
	// ContextWindow the model's context window.
	ContextTokens int64 `json:"contextTokens,omitempty"`
	ContextWindow int64 `json:"contextWindow,omitempty"`
}

// ChatResult is the result of chat, sent when the turn ends.
type ChatResult struct {
	SessionID  string `json:"sessionId"`
	TurnID     string `json:"turnId"`
	StopReason string `json:"stopReason"`
	Text       string `json:"text"`
	Steps      int    `json:"steps"`
	Usage      Usage  `json:"usage"`
}

// TurnRef is in every chat notification.
type TurnRef struct {
	SessionID string `json:"sessionId"`
	TurnID    string `json:"turnId"`
}

// ChatStartedParams are the params of chat/started.
type ChatStartedParams struct {
	TurnRef
}

// ChatTextParams are the params of chat/delta and chat/reasoning.
type ChatTextParams struct {
	TurnRef
	Text string `json:"text"`
}

// ChatToolCallParams are the params of chat/toolCall.
type ChatToolCallParams struct {
	TurnRef
	CallID    string          `json:"callId"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	// ParentCallID (1.2) names the code-mode exec call whose script made
	// this call.
	ParentCallID string `json:"parentCallId,omitempty"`
}

// ChatToolResultParams are the params of chat/toolResult. Output is cut to
// ToolResultDisplayLimit bytes for display.
type ChatToolResultParams struct {
	TurnRef
	CallID string `json:"callId"`
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Output string `json:"output"`
	Error  string `json:"error,omitempty"`
	// ChangedPaths (1.1) lists the files a write or edit changed.
	ChangedPaths []string `json:"changedPaths,omitempty"`
	// ParentCallID (1.2): as in chat/toolCall.
	ParentCallID string `json:"parentCallId,omitempty"`
	// Sandboxed (1.2, an extension) says, for a command that ran, whether
	// it ran inside the OS sandbox.
	Sandboxed *bool `json:"sandboxed,omitempty"`
	// ExitCode is a command's exit status (bash): ok stays true for a
	// command that ran and exited non-zero, so an editor says it failed.
	ExitCode *int `json:"exitCode,omitempty"`
	// Permission (additive) is how a call that needed permission was let
	// run or not, as sessions/load gives it: a live call and a reopened
	// one render from the same fields.
	Permission *TranscriptPermission `json:"permission,omitempty"`
}

// ToolResultDisplayLimit is how much of a tool's output chat/toolResult carries.
const ToolResultDisplayLimit = 4096

// CancelParams are the params of cancel: one of SessionID or FlowID.
type CancelParams struct {
	SessionID string `json:"sessionId,omitempty"`
	FlowID    string `json:"flowId,omitempty"`
}

// CancelResult is the result of cancel.
type CancelResult struct {
	Cancelled bool `json:"cancelled"`
}
