package engine

import (
	"context"
	"encoding/json"
)

// Client is the engine's view of whoever drives it: an editor over JSON-RPC or
// a terminal. Calls to TurnEvent for one session come in order, from one
// goroutine at a time.
type Client interface {
	// TurnEvent reports progress of a turn.
	TurnEvent(ev TurnEvent)
	// LoginCompleted reports the end of a login flow.
	LoginCompleted(ev LoginEvent)
	// Review asks the user whether a call may run and returns their verdict:
	// allow, allow for the rest of the session, or deny with a reason. It is
	// the one way the engine asks, and it is called only when the client
	// declared it can answer. An error is taken as a denial.
	Review(ctx context.Context, req PermissionRequest) (Verdict, error)
}

// EventKind says what a TurnEvent reports.
type EventKind int

// Turn event kinds.
const (
	EventStarted EventKind = iota
	EventDelta
	EventReasoning
	EventToolCall
	EventToolResult
	EventCompacted // the history was compacted before the next request
	EventLimits    // the service reported the plan's limits (Limits)
	EventNotSaved  // the session could not be written (Error says why); it is kept in memory
	// EventToolOutput carries a running command's output (Text) as it
	// comes, at most every 100 ms per call.
	EventToolOutput
	// EventUsage says, after each model response and after each step's
	// tool outputs, the turn's tokens so far and how full the context
	// window is (Usage).
	EventUsage
)

// TurnEvent is one step of a turn's progress. Text is set for EventDelta and
// EventReasoning; the call fields for EventToolCall and EventToolResult.
type TurnEvent struct {
	Kind      EventKind
	SessionID string
	TurnID    string
	Text      string
	CallID    string
	Name      string
	Arguments json.RawMessage
	OK        bool
	Output    string // cut to DisplayLimit for EventToolResult
	Error     string
	// ChangedPaths lists the files a write or edit changed (EventToolResult).
	ChangedPaths []string
	// ParentCallID names the code-mode exec call a nested call came from
	// (EventToolCall, EventToolResult).
	ParentCallID string
	// Sandboxed says, for a command that ran, whether it ran inside the OS
	// sandbox (EventToolResult); nil for other calls.
	Sandboxed *bool
	// ExitCode is a command's exit status (EventToolResult of bash).
	ExitCode *int
	// Permission is how a call that needed permission was let run or not
	// (EventToolResult), as the session file keeps it; nil for calls that
	// needed none.
	Permission *CallPermission
	// BeforeTokens and AfterTokens size the history around a compaction
	// (EventCompacted).
	BeforeTokens, AfterTokens int64
	// Limits are the plan limits the service reported (EventLimits).
	Limits *Limits
	// Changes are what a write, edit or apply_patch changed, each file
	// whole before and after, for a face that draws its own diffs
	// (EventToolResult); text files of at most 4 MiB only.
	Changes []FileChange
	// Usage is the turn's usage so far (EventUsage).
	Usage *Usage
}

// DisplayLimit is how much of a tool's output a TurnEvent carries.
const DisplayLimit = 4096

// LoginEvent reports the end of a login flow.
type LoginEvent struct {
	FlowID string
	Method string
	State  FlowState
	Err    error // nil when State is FlowComplete
	Status Status
}

// PermissionRequest asks for one tool call.
type PermissionRequest struct {
	SessionID   string
	TurnID      string
	CallID      string
	Tool        string
	Arguments   json.RawMessage
	Description string
	// Preview shows what the call would do (a diff, the whole command); nil
	// for calls that have none.
	Preview *Preview
}

// Verdict is the user's answer to a PermissionRequest, with the reason of
// a denial when they gave one.
type Verdict struct {
	Decision Decision
	Reason   string
}

// Decision is the user's answer to a PermissionRequest.
type Decision string

// Decisions.
const (
	Allow       Decision = "allow"
	AllowAlways Decision = "allowAlways"
	Deny        Decision = "deny"
)
