package protocol

import "encoding/json"

// Tool names the model sees.
const (
	ToolRead  = "read"
	ToolList  = "list"
	ToolGlob  = "glob"
	ToolGrep  = "grep"
	ToolWrite = "write"
	ToolEdit  = "edit"
	ToolBash  = "bash"
)

// Permission decisions.
const (
	DecisionAllow       = "allow"
	DecisionAllowAlways = "allowAlways"
	DecisionDeny        = "deny"
)

// PermissionRequestParams are the params of permission/request (server to
// client), sent only to an editor that declared capabilities.permissions.
type PermissionRequestParams struct {
	SessionID   string          `json:"sessionId"`
	TurnID      string          `json:"turnId"`
	CallID      string          `json:"callId"`
	Tool        string          `json:"tool"`
	Arguments   json.RawMessage `json:"arguments"`
	Description string          `json:"description"`
	// Preview (1.1) shows what the call would do.
	Preview *Preview `json:"preview,omitempty"`
}

// PermissionResult is the editor's answer to permission/request.
type PermissionResult struct {
	Decision string `json:"decision"`
	// Reason (1.1) may come with a deny; the model is told it.
	Reason string `json:"reason,omitempty"`
}
