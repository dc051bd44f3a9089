package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/jsonrpc"
	"github.com/deckhand-dev/deckhand/protocol"
)

// wireError maps the engine's errors to the protocol's codes. Anything it
// does not know becomes -32603 in the Conn.
func (s *Server) wireError(err error) error {
	var (
		rpcErr  *Error
		authReq *engine.AuthRequiredError
		busy    *engine.SessionBusyError
		notIncl *engine.UsageNotIncludedError
		limit   *engine.RateLimitError
		up      *engine.UpstreamError
		model   *engine.ModelNotServedError
	)
	if worded := wordError(err); worded != nil {
		return worded
	}
	switch {
	case errors.As(err, &rpcErr):
		return rpcErr
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, engine.ErrInvalidParams), errors.Is(err, engine.ErrUnknownSession), errors.Is(err, engine.ErrUnknownFlow):
		return &Error{Code: jsonrpc.CodeInvalidParams, Message: sentence(err.Error())}
	case errors.As(err, &authReq):
		return &Error{Code: protocol.CodeAuthRequired, Message: authReq.Reason,
			Data: protocol.AuthRequiredData{Provider: protocol.ProviderOpenAI, Methods: methods()}}
	case errors.As(err, &busy):
		return &Error{Code: protocol.CodeSessionBusy, Message: sentence(busy.Error()),
			Data: protocol.SessionBusyData{SessionID: busy.SessionID}}
	case errors.As(err, &notIncl):
		return &Error{Code: protocol.CodeUsageNotIncluded, Message: notIncl.Error(),
			Data: protocol.UsageNotIncludedData{Provider: protocol.ProviderOpenAI}}
	case errors.As(err, &limit):
		d := protocol.RateLimitData{ResetsAt: rfc3339(limit.ResetsAt)}
		if limit.RetryAfter > 0 {
			secs := int(limit.RetryAfter.Seconds() + 0.5)
			d.RetryAfterSeconds = &secs
		}
		return &Error{Code: protocol.CodeRateLimited, Message: limit.Error(), Data: d}
	case errors.As(err, &model):
		return &Error{Code: protocol.CodeModelNotServed, Message: model.Error(),
			Data: protocol.ModelNotServedData{Model: model.Model, Available: model.Available}}
	case errors.As(err, &up):
		return &Error{Code: protocol.CodeUpstreamFailed, Message: sentence(up.Error()),
			Data: protocol.UpstreamFailedData{Status: up.Status, Detail: up.Detail}}
	}
	s.log.Error("unexpected error", zap.Error(err))
	return err
}

// sentence makes an error text read as a sentence.
func sentence(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	if last := b[len(b)-1]; last != '.' && last != '!' && last != '?' {
		b = append(b, '.')
	}
	return string(b)
}

// flowError is the {code, message} of a login flow that did not complete.
func flowError(state engine.FlowState, err error) *protocol.Error {
	if state == engine.FlowCancelled {
		return &protocol.Error{Code: jsonrpc.CodeRequestCancelled, Message: "The login was cancelled; start it again to log in."}
	}
	return &protocol.Error{Code: protocol.CodeAuthRequired, Message: sentence(err.Error())}
}

// client is the engine's view of the editor on this connection.
type client struct {
	conn *Conn
	log  *zap.Logger
	// diagnostics: the editor answers diagnostics/request (diagnostics.go).
	diagnostics bool
}

func ref(ev engine.TurnEvent) protocol.TurnRef {
	return protocol.TurnRef{SessionID: ev.SessionID, TurnID: ev.TurnID}
}

func (c *client) TurnEvent(ev engine.TurnEvent) {
	switch ev.Kind {
	case engine.EventStarted:
		c.conn.Notify(protocol.NotifyChatStarted, protocol.ChatStartedParams{TurnRef: ref(ev)})
	case engine.EventDelta:
		c.conn.NotifyMergeable(protocol.NotifyChatDelta, ev.SessionID+"/"+ev.TurnID, newTextBatch(ev), mergeText)
	case engine.EventReasoning:
		c.conn.NotifyMergeable(protocol.NotifyChatReasoning, ev.SessionID+"/"+ev.TurnID, newTextBatch(ev), mergeText)
	case engine.EventToolCall:
		c.conn.Notify(protocol.NotifyChatToolCall, protocol.ChatToolCallParams{TurnRef: ref(ev), CallID: ev.CallID, Name: ev.Name, Arguments: ev.Arguments, ParentCallID: ev.ParentCallID})
	case engine.EventLimits:
		if ev.Limits != nil {
			c.conn.Notify(protocol.NotifyAccountLimits, accountLimits(*ev.Limits))
		}
	case engine.EventCompacted:
		c.conn.Notify(protocol.NotifyChatCompacted, protocol.ChatCompactedParams{TurnRef: ref(ev), BeforeTokens: ev.BeforeTokens, AfterTokens: ev.AfterTokens})
	case engine.EventToolOutput:
		c.conn.Notify(protocol.NotifyChatToolOutput, protocol.ChatToolOutputParams{TurnRef: ref(ev), CallID: ev.CallID, Text: ev.Text})
	case engine.EventUsage:
		c.usage(ev) // usage.go
	case engine.EventNotSaved:
		c.conn.Notify(protocol.NotifyChatNotSaved, protocol.ChatNotSavedParams{TurnRef: ref(ev), Message: ev.Error})
	case engine.EventToolResult:
		c.conn.Notify(protocol.NotifyChatToolResult, protocol.ChatToolResultParams{TurnRef: ref(ev), CallID: ev.CallID, Name: ev.Name, OK: ev.OK, Output: ev.Output, Error: ev.Error, ChangedPaths: ev.ChangedPaths,
			Sandboxed: ev.Sandboxed, ExitCode: ev.ExitCode, ParentCallID: ev.ParentCallID, Permission: toolPermission(ev.Permission)})
	}
}

// textBatch is the params of a chat/delta or chat/reasoning waiting in the
// output queue; deltas queued behind it under pressure are appended to it,
// in amortised constant time, and it is encoded when written.
type textBatch struct {
	ref  protocol.TurnRef
	text strings.Builder
}

func newTextBatch(ev engine.TurnEvent) *textBatch {
	b := &textBatch{ref: ref(ev)}
	b.text.WriteString(ev.Text)
	return b
}

func (b *textBatch) MarshalJSON() ([]byte, error) {
	return json.Marshal(protocol.ChatTextParams{TurnRef: b.ref, Text: b.text.String()})
}

// mergeText joins two text notifications of one turn (the merge key) into one.
func mergeText(older, newer any) any {
	o, n := older.(*textBatch), newer.(*textBatch)
	o.text.WriteString(n.text.String())
	return o
}

func (c *client) LoginCompleted(ev engine.LoginEvent) {
	p := protocol.AuthCompletedParams{FlowID: ev.FlowID, Method: ev.Method, OK: ev.State == engine.FlowComplete, Status: authStatus(ev.Status)}
	if ev.Err != nil {
		p.Error = flowError(ev.State, ev.Err)
	}
	c.conn.Notify(protocol.NotifyAuthCompleted, p)
}

// accountLimits is the wire form of the engine's limits.
func accountLimits(l engine.Limits) protocol.AccountLimits {
	out := protocol.AccountLimits{PlanType: l.PlanType, Windows: make([]protocol.LimitWindow, 0, len(l.Windows))}
	for _, w := range l.Windows {
		pw := protocol.LimitWindow{Name: w.Name, WindowMinutes: w.WindowMinutes, UsedPercent: w.UsedPercent}
		if !w.ResetsAt.IsZero() {
			pw.ResetsAt = w.ResetsAt.Format(time.RFC3339)
		}
		out.Windows = append(out.Windows, pw)
	}
	if c := l.Credits; c != nil {
		out.Credits = &protocol.LimitCredits{HasCredits: c.HasCredits, Unlimited: c.Unlimited, Balance: c.Balance}
	}
	if !l.ObservedAt.IsZero() {
		out.ObservedAt = l.ObservedAt.Format(time.RFC3339)
	}
	return out
}
