package acp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	sdk "github.com/coder/acp-go-sdk"
	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
)

// client is the engine's view of the ACP client: turn events become
// session/update notifications, permission prompts
// session/request_permission, and, when the client offers them, file and
// terminal work goes to fs/* and terminal/*.
type client struct {
	a *Agent

	mu sync.Mutex
	// always holds the tools the user allowed for the rest of a session
	// ("session id/tool"): their calls run without asking, so they start
	// in_progress, not pending.
	always map[string]bool
	// outputs holds a running command's output so far (nativetools.go).
	outputs map[string]*strings.Builder
}

const methodUpdate = sdk.ClientMethodSessionUpdate

func (c *client) update(sessionID string, u sdk.SessionUpdate) {
	c.a.conn.Notify(methodUpdate, sdk.SessionNotification{SessionId: sdk.SessionId(sessionID), Update: u})
}

// TurnEvent implements engine.Client.
func (c *client) TurnEvent(ev engine.TurnEvent) {
	switch ev.Kind {
	case engine.EventDelta:
		c.a.conn.NotifyMergeable(methodUpdate, ev.SessionID+"/message", newChunk(ev.SessionID, false, ev.Text), mergeChunks)
	case engine.EventReasoning:
		c.a.conn.NotifyMergeable(methodUpdate, ev.SessionID+"/thought", newChunk(ev.SessionID, true, ev.Text), mergeChunks)
	case engine.EventToolCall:
		c.toolCall(ev)
	case engine.EventToolResult:
		c.toolResult(ev)
	case engine.EventToolOutput:
		c.toolOutput(ev)
	}
}

func (c *client) toolCall(ev engine.TurnEvent) {
	v := viewOf(c.a.rootOf(ev.SessionID), ev.Name, ev.Arguments)
	status := sdk.ToolCallStatusInProgress
	if v.mutating && !c.allowedAlways(ev.SessionID, ev.Name) {
		status = sdk.ToolCallStatusPending // until the user allows it
	}
	c.update(ev.SessionID, sdk.SessionUpdate{ToolCall: &sdk.SessionUpdateToolCall{
		SessionUpdate: "tool_call", ToolCallId: sdk.ToolCallId(ev.CallID), Title: v.title, Kind: v.kind,
		Status: status, Locations: v.locations, RawInput: ev.Arguments,
	}})
}

func (c *client) toolResult(ev engine.TurnEvent) {
	c.mu.Lock()
	delete(c.outputs, ev.CallID)
	c.mu.Unlock()
	status := sdk.ToolCallStatusCompleted
	if !ev.OK {
		status = sdk.ToolCallStatusFailed
	}
	var content []sdk.ToolCallContent
	out := ev.Output
	if ev.OK && len(ev.Changes) > 0 {
		for _, ch := range ev.Changes {
			content = append(content, diffOf(ch))
		}
		out = withoutUnifiedDiff(out) // the diff content shows it
	}
	if out := strings.TrimSpace(out); out != "" {
		content = append(content, sdk.ToolContent(sdk.TextBlock(fenced(out))))
	}
	c.update(ev.SessionID, sdk.SessionUpdate{ToolCallUpdate: &sdk.SessionToolCallUpdate{
		SessionUpdate: "tool_call_update", ToolCallId: sdk.ToolCallId(ev.CallID), Status: &status,
		Content: content, RawOutput: map[string]any{"output": ev.Output, "ok": ev.OK},
	}})
}

// withoutUnifiedDiff is a write or edit's output without the unified diff
// that follows its summary line.
func withoutUnifiedDiff(out string) string {
	if i := strings.Index(out, "\n--- "); i >= 0 && strings.Contains(out[i:], "\n+++ ") {
		return out[:i]
	}
	return out
}

func fenced(out string) string {
	f := fence(out)
	return f + "\n" + out + "\n" + f
}

func diffOf(ch engine.FileChange) sdk.ToolCallContent {
	d := sdk.ToolCallContentDiff{Type: "diff", Path: ch.Path, NewText: ch.NewText}
	if !ch.Created {
		d.OldText = sdk.Ptr(ch.OldText)
	}
	return sdk.ToolCallContent{Diff: &d}
}

// LoginCompleted implements engine.Client: authenticate waits for its own
// flow, so there is nothing to tell the client.
func (c *client) LoginCompleted(ev engine.LoginEvent) {
	c.a.log.Info("login ended", zap.String("method", ev.Method), zap.String("state", string(ev.State)))
}

// Permission option ids.
const (
	optionAllow  = "allow"
	optionAlways = "allow_always"
	optionReject = "reject"
)

// Review implements engine.Client with session/request_permission: the
// call is shown with the changes the engine previewed, as diffs.
func (c *client) Review(ctx context.Context, req engine.PermissionRequest) (engine.Verdict, error) {
	v := viewOf(c.a.rootOf(req.SessionID), req.Tool, req.Arguments)
	call := sdk.ToolCallUpdate{ToolCallId: sdk.ToolCallId(req.CallID), Title: sdk.Ptr(v.title), Kind: sdk.Ptr(v.kind),
		Locations: v.locations, RawInput: req.Arguments}
	if p := req.Preview; p != nil {
		if p.Sandboxed != nil && !*p.Sandboxed {
			title := v.title + " (outside the sandbox"
			if p.Justification != "" {
				title += ": " + p.Justification
			}
			call.Title = sdk.Ptr(title + ")")
		}
		for _, ch := range p.Changes {
			call.Content = append(call.Content, diffOf(ch))
		}
	}
	var res struct {
		Outcome struct {
			Outcome  string `json:"outcome"`
			OptionID string `json:"optionId"`
		} `json:"outcome"`
	}
	deny := engine.Verdict{Decision: engine.Deny}
	err := c.a.conn.Call(ctx, sdk.ClientMethodSessionRequestPermission, sdk.RequestPermissionRequest{
		SessionId: sdk.SessionId(req.SessionID), ToolCall: call,
		Options: []sdk.PermissionOption{
			{OptionId: optionAllow, Name: "Allow", Kind: sdk.PermissionOptionKindAllowOnce},
			{OptionId: optionAlways, Name: fmt.Sprintf("Always allow %s in this session", req.Tool), Kind: sdk.PermissionOptionKindAllowAlways},
			{OptionId: optionReject, Name: "Reject", Kind: sdk.PermissionOptionKindRejectOnce},
		},
	}, &res)
	if err != nil {
		return deny, err
	}
	d := engine.Deny
	if res.Outcome.Outcome == "selected" {
		switch res.Outcome.OptionID {
		case optionAllow:
			d = engine.Allow
		case optionAlways:
			d = engine.AllowAlways
		case optionReject:
		default:
			return deny, fmt.Errorf("the client chose the unknown permission option %q", res.Outcome.OptionID)
		}
	}
	if d == engine.Deny {
		return deny, nil
	}
	if d == engine.AllowAlways {
		c.mu.Lock()
		c.always[req.SessionID+"/"+req.Tool] = true
		c.mu.Unlock()
	}
	status := sdk.ToolCallStatusInProgress
	c.update(req.SessionID, sdk.SessionUpdate{ToolCallUpdate: &sdk.SessionToolCallUpdate{
		SessionUpdate: "tool_call_update", ToolCallId: sdk.ToolCallId(req.CallID), Status: &status}})
	return engine.Verdict{Decision: d}, nil
}

func (c *client) allowedAlways(sessionID, tool string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.always[sessionID+"/"+tool]
}

// chunk is an agent_message_chunk or agent_thought_chunk waiting in the
// output queue; chunks queued behind it under pressure are appended to it.
type chunk struct {
	sessionID string
	thought   bool
	text      strings.Builder
}

func newChunk(sessionID string, thought bool, text string) *chunk {
	c := &chunk{sessionID: sessionID, thought: thought}
	c.text.WriteString(text)
	return c
}

func (c *chunk) MarshalJSON() ([]byte, error) {
	u := sdk.UpdateAgentMessageText(c.text.String())
	if c.thought {
		u = sdk.UpdateAgentThoughtText(c.text.String())
	}
	return json.Marshal(sdk.SessionNotification{SessionId: sdk.SessionId(c.sessionID), Update: u})
}

func mergeChunks(older, newer any) any {
	o, n := older.(*chunk), newer.(*chunk)
	o.text.WriteString(n.text.String())
	return o
}
