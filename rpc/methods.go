package rpc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/protocol"
)

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func checkProvider(p string) error {
	if p != protocol.ProviderOpenAI {
		return invalidParams(fmt.Sprintf("provider %q is not served; deckhand serves %q", p, protocol.ProviderOpenAI))
	}
	return nil
}

func (s *Server) registerAuth() {
	eng := s.cfg.Engine
	request(s, protocol.MethodConnect, true, func(ctx context.Context, p protocol.ConnectParams) (any, error) {
		if err := checkProvider(p.Provider); err != nil {
			return nil, err
		}
		switch p.Method {
		case "":
		case protocol.MethodIDAPIKey:
			if blank(p.APIKey) {
				return nil, invalidParams("apiKey is required with method apiKey")
			}
			st, err := eng.ConnectAPIKey(ctx, p.APIKey)
			if err != nil {
				return nil, err
			}
			// Its warning (a key not verified yet) is said once, here.
			return protocol.ConnectResult{Provider: protocol.ProviderOpenAI, Methods: methods(), Status: authStatus(st)}, nil
		default:
			return nil, invalidParams(fmt.Sprintf("method %q cannot be used with connect: use apiKey here, startOAuth for browser or headless", p.Method))
		}
		return protocol.ConnectResult{Provider: protocol.ProviderOpenAI, Methods: methods(), Status: authStatus(eng.Status())}, nil
	})
	request(s, protocol.MethodStartOAuth, true, func(ctx context.Context, p protocol.StartOAuthParams) (any, error) {
		if err := checkProvider(p.Provider); err != nil {
			return nil, err
		}
		if p.Method != protocol.MethodIDBrowser && p.Method != protocol.MethodIDHeadless {
			return nil, invalidParams(`method must be "browser" or "headless"`)
		}
		open := p.OpenBrowser == nil || *p.OpenBrowser
		info, err := eng.StartOAuth(ctx, p.Method, open)
		if err != nil {
			return nil, err
		}
		return protocol.StartOAuthResult{
			FlowID: info.FlowID, Method: info.Method, URL: info.URL,
			UserCode: info.UserCode, VerificationURL: info.VerificationURL,
			IntervalSeconds: int(info.Interval / time.Second), ExpiresAt: rfc3339(info.ExpiresAt),
		}, nil
	})
	request(s, protocol.MethodCompleteOAuth, true, func(ctx context.Context, p protocol.CompleteOAuthParams) (any, error) {
		if blank(p.FlowID) || blank(p.CallbackURL) {
			return nil, invalidParams("flowId and callbackUrl are required")
		}
		st, err := eng.CompleteOAuth(ctx, p.FlowID, p.CallbackURL)
		if err != nil {
			return nil, err
		}
		return authStatus(st), nil
	})
	request(s, protocol.MethodPollDevice, true, func(ctx context.Context, p protocol.PollDeviceParams) (any, error) {
		if blank(p.FlowID) {
			return nil, invalidParams("flowId is required")
		}
		r, err := eng.PollDevice(ctx, p.FlowID, p.Wait)
		if err != nil {
			return nil, err
		}
		res := protocol.PollDeviceResult{FlowID: r.FlowID, State: string(r.State)}
		if r.State == engine.FlowComplete {
			st := authStatus(r.Status)
			res.Status = &st
		}
		if r.Err != nil {
			res.Error = flowError(r.State, r.Err)
		}
		return res, nil
	})
	request(s, protocol.MethodLogout, true, func(ctx context.Context, p protocol.LogoutParams) (any, error) {
		if err := checkProvider(p.Provider); err != nil {
			return nil, err
		}
		st, err := eng.Logout(ctx)
		if err != nil {
			return nil, err
		}
		return authStatus(st), nil
	})
	request(s, protocol.MethodAuthStatus, false, func(ctx context.Context, _ struct{}) (any, error) {
		return authStatus(eng.Status()), nil
	})
	request(s, protocol.MethodModels, false, func(ctx context.Context, _ struct{}) (any, error) {
		l, err := eng.ModelCatalog(ctx)
		if err != nil {
			return nil, err
		}
		res := protocol.ModelsResult{Default: l.Default, Source: l.Source, Models: make([]protocol.Model, 0, len(l.Models))}
		for _, m := range l.Models {
			res.Models = append(res.Models, protocol.Model{ID: m.ID, Label: m.Label, Default: m.Default,
				ReasoningEfforts: m.ReasoningEfforts, Description: m.Description,
				Tools: m.Tools, DefaultReasoningEffort: m.DefaultEffort, ContextWindow: m.ContextWindow})
		}
		return res, nil
	})
	request(s, protocol.MethodLimits, false, func(ctx context.Context, _ struct{}) (any, error) {
		l, _ := eng.Limits()
		return accountLimits(l), nil
	})
}

func (s *Server) registerChat() {
	eng := s.cfg.Engine
	request(s, protocol.MethodChat, true, func(ctx context.Context, p protocol.ChatParams) (any, error) {
		req := engine.ChatRequest{SessionID: p.SessionID, Message: p.Message, Model: p.Model, Effort: p.ReasoningEffort,
			Attachments: attachments(p.Attachments), ApprovalPolicy: p.ApprovalPolicy, Sandbox: p.Sandbox, RetryOf: p.RetryOf}
		res, err := eng.Chat(ctx, req) // checks req first
		if err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			// Cancelled by $/cancelRequest: the request answers -32800.
			return nil, ctx.Err()
		}
		return protocol.ChatResult{
			SessionID: res.SessionID, TurnID: res.TurnID, StopReason: wireStop(res.StopReason),
			Text: res.Text, Steps: res.Steps,
			Usage: protocol.Usage{InputTokens: res.Usage.InputTokens, OutputTokens: res.Usage.OutputTokens,
				ContextTokens: res.Usage.ContextTokens, ContextWindow: res.Usage.ContextWindow},
		}, nil
	})
	request(s, protocol.MethodCancel, true, func(ctx context.Context, p protocol.CancelParams) (any, error) {
		var ok bool
		var err error
		switch {
		case !blank(p.SessionID) && !blank(p.FlowID):
			return nil, invalidParams("give sessionId or flowId, not both")
		case !blank(p.SessionID):
			ok, err = eng.CancelSession(p.SessionID)
		case !blank(p.FlowID):
			ok, err = eng.CancelFlow(p.FlowID)
		default:
			return nil, invalidParams("sessionId or flowId is required")
		}
		if err != nil {
			return nil, err
		}
		return protocol.CancelResult{Cancelled: ok}, nil
	})
}

func methods() []protocol.Method {
	var out []protocol.Method
	for _, m := range engine.Methods() {
		out = append(out, protocol.Method{ID: m.ID, Label: m.Label})
	}
	return out
}

func authStatus(st engine.Status) protocol.AuthStatus {
	return protocol.AuthStatus{
		Provider: protocol.ProviderOpenAI, Type: st.Type, Source: st.Source,
		AccountID: st.AccountID, ExpiresAt: rfc3339(st.ExpiresAt), Warning: st.Warning,
	}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
