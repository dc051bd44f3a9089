package acp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sdk "github.com/coder/acp-go-sdk"
	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/jsonrpc"
)

// The ids of the three ways in. They are those of the ACP adapter for Codex,
// so that client configurations written for it work unchanged.
const (
	authBrowser  = "chat-gpt"
	authHeadless = "chat-gpt-device-code"
	authAPIKey   = "api-key"
)

// TerminalLoginArgs are the arguments a client adds to deckhand's ACP
// command line to run the headless login in a terminal of its own.
var TerminalLoginArgs = []string{"login", "headless"}

func (a *Agent) initialize(ctx context.Context, p sdk.InitializeRequest) (any, error) {
	a.mu.Lock()
	a.initialized = true
	a.caps = p.ClientCapabilities
	a.mu.Unlock()
	name := ""
	if p.ClientInfo != nil {
		name = p.ClientInfo.Name
	}
	a.log.Info("acp initialized", zap.String("client", name), zap.Int("protocolVersion", int(p.ProtocolVersion)),
		zap.Bool("fs", a.servesFiles()), zap.Bool("terminal", a.servesTerminals()))
	return sdk.InitializeResponse{
		ProtocolVersion: sdk.ProtocolVersionNumber,
		AgentInfo:       &sdk.Implementation{Name: "deckhand", Title: sdk.Ptr("deckhand"), Version: a.cfg.Version},
		AgentCapabilities: sdk.AgentCapabilities{
			LoadSession:        a.canLoad(),
			PromptCapabilities: sdk.PromptCapabilities{EmbeddedContext: true, Image: true},
			SessionCapabilities: sdk.SessionCapabilities{List: &sdk.SessionListCapabilities{},
				Resume: &sdk.SessionResumeCapabilities{}, Close: &sdk.SessionCloseCapabilities{}},
			Auth:            sdk.AgentAuthCapabilities{Logout: &sdk.LogoutCapabilities{}},
			McpCapabilities: mcpCapabilities(),
		},
		AuthMethods: a.authMethods(p.ClientCapabilities.Auth.Terminal),
	}, nil
}

func (a *Agent) authMethods(terminalAuth bool) []sdk.AuthMethod {
	browser := sdk.AuthMethod{Agent: &sdk.AuthMethodAgent{Id: authBrowser, Name: "ChatGPT Plus/Pro (browser)",
		Description: sdk.Ptr("deckhand opens your browser to log in with ChatGPT; the login completes when you approve it there.")}}
	apiKey := sdk.AuthMethod{Agent: &sdk.AuthMethodAgent{Id: authAPIKey, Name: "OpenAI API key",
		Description: sdk.Ptr(`Uses the key given in _meta {"api-key": {"apiKey": "sk-..."}} on authenticate, else OPENAI_API_KEY.`)}}
	headless := sdk.AuthMethod{Agent: &sdk.AuthMethodAgent{Id: authHeadless, Name: "ChatGPT Plus/Pro (device code)",
		Description: sdk.Ptr("For remote machines: the first attempt answers with a code to enter at a URL on any device; choose this method again to finish.")}}
	if terminalAuth {
		headless = sdk.AuthMethod{Terminal: &sdk.AuthMethodTerminalInline{Type: "terminal", Id: authHeadless,
			Name: "ChatGPT Plus/Pro (device code)", Args: TerminalLoginArgs,
			Description: sdk.Ptr("Runs `deckhand login headless` in a terminal: enter the code it shows at the URL it names, on any device.")}}
	}
	methods := []sdk.AuthMethod{browser, headless, apiKey}
	if a.cfg.NoBrowser {
		methods = methods[1:]
	}
	return methods
}

func (a *Agent) authenticate(ctx context.Context, p sdk.AuthenticateRequest) (any, error) {
	switch p.MethodId {
	case authAPIKey:
		key := apiKeyFromMeta(p.Meta)
		if key == "" {
			if st := a.eng.Status(); st.Type == "api" {
				return sdk.AuthenticateResponse{}, nil // OPENAI_API_KEY or a stored key
			}
			return nil, invalidParams(`no API key: pass it in _meta as {"api-key": {"apiKey": "sk-..."}} or start deckhand with OPENAI_API_KEY set`)
		}
		if _, err := a.eng.ConnectAPIKey(ctx, key); err != nil {
			return nil, err
		}
		return sdk.AuthenticateResponse{}, nil
	case authBrowser:
		if id := a.pendingFlow(authBrowser); id != "" {
			return a.awaitFlow(ctx, authBrowser, id, nil) // the user has the URL
		}
		if a.eng.Status().Type == "oauth" {
			return sdk.AuthenticateResponse{}, nil
		}
		// A login already waiting for the browser is reused: a second click
		// opens the same URL again and waits for the same login (a second
		// start would cancel the first, §4.3).
		info, err := a.startBrowserLogin(ctx)
		if err != nil {
			return nil, err
		}
		err = errors.New("deckhand has no browser opener")
		var exited <-chan error
		if a.cfg.OpenBrowser != nil {
			exited, err = a.cfg.OpenBrowser(info.URL)
		}
		if err == nil {
			res, werr := a.awaitFlow(ctx, authBrowser, info.FlowID, exited)
			var opener *openerError
			if !errors.As(werr, &opener) {
				return res, werr
			}
			err = opener.err
		}
		a.log.Info("could not open a browser; the URL goes to the client", zap.Error(err))
		// No browser here: the URL goes out in the error, and the next
		// authenticate with this method waits for the login.
		a.setPendingFlow(authBrowser, info.FlowID)
		e := authRequired(fmt.Sprintf("deckhand could not open a browser: open %s in a browser on this machine, then choose %q again to finish.",
			info.URL, "ChatGPT Plus/Pro (browser)"))
		e.Data = map[string]any{"url": info.URL}
		return nil, e
	case authHeadless:
		if id := a.pendingFlow(authHeadless); id != "" {
			return a.awaitFlow(ctx, authHeadless, id, nil)
		}
		if a.eng.Status().Type == "oauth" {
			return sdk.AuthenticateResponse{}, nil
		}
		info, err := a.eng.StartOAuth(ctx, engine.MethodHeadless, false)
		if err != nil {
			return nil, err
		}
		a.setPendingFlow(authHeadless, info.FlowID)
		if a.elicitsURL() {
			// The client shows the URL and the code itself, and this one
			// call waits for the login.
			return a.elicitLogin(ctx, info)
		}
		// Without elicitation, ACP gives an agent-run login no channel to
		// the user but its answer: the code goes out in the error, and the
		// next authenticate with this method waits for the login.
		return nil, deviceCodeError(info)
	}
	return nil, invalidParams(fmt.Sprintf("unknown authentication method %q; use %s, %s or %s", p.MethodId, authBrowser, authHeadless, authAPIKey))
}

// startBrowserLogin starts a browser login, or returns the one this
// connection started while it waits for the user: checking and starting
// are one step, so two clicks at once make one login.
func (a *Agent) startBrowserLogin(ctx context.Context) (engine.FlowInfo, error) {
	a.browserMu.Lock()
	defer a.browserMu.Unlock()
	if id := a.browser.FlowID; id != "" {
		if r, err := a.eng.PollDevice(ctx, id, false); err == nil && r.State == engine.FlowPending {
			return a.browser, nil
		}
	}
	info, err := a.eng.StartOAuth(ctx, engine.MethodBrowser, false)
	if err != nil {
		return info, err
	}
	a.browser = info
	return info, nil
}

// elicitsURL says whether the client takes URL elicitations.
func (a *Agent) elicitsURL() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.caps.Elicitation != nil && a.caps.Elicitation.Url != nil
}

// elicitLogin hands the device-code login to the client as a URL
// elicitation (the verification URL, the code in its message) and waits
// for the login; elicitation/complete tells the client it is done. A
// declined elicitation ends the login.
func (a *Agent) elicitLogin(ctx context.Context, info engine.FlowInfo) (any, error) {
	params := map[string]any{
		"mode": "url", "elicitationId": info.FlowID, "url": info.VerificationURL,
		"message": fmt.Sprintf("To log deckhand in with ChatGPT, open %s and enter the code %s.", info.VerificationURL, info.UserCode),
	}
	if id, ok := jsonrpc.RequestID(ctx); ok {
		params["requestId"] = id
	}
	var res struct {
		Action string `json:"action"`
	}
	if err := a.conn.Call(ctx, sdk.ClientMethodElicitationCreate, params, &res); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		a.log.Info("the client did not take the login elicitation", zap.Error(err))
		return nil, deviceCodeError(info)
	}
	if res.Action != "accept" {
		a.setPendingFlow(authHeadless, "")
		_, _ = a.eng.CancelFlow(info.FlowID)
		return nil, authRequired("The login was not accepted; choose a way to log in again.")
	}
	out, err := a.awaitFlow(ctx, authHeadless, info.FlowID, nil)
	if err == nil {
		a.conn.Notify(sdk.ClientMethodElicitationComplete, map[string]any{"elicitationId": info.FlowID})
	}
	return out, err
}

// pendingFlow returns the login flow a method started and left waiting for
// the user, "" when none is pending.
func (a *Agent) pendingFlow(method string) string {
	a.mu.Lock()
	id := a.flows[method]
	a.mu.Unlock()
	if id == "" {
		return ""
	}
	if r, err := a.eng.PollDevice(context.Background(), id, false); err != nil || r.State != engine.FlowPending {
		a.setPendingFlow(method, "")
		return ""
	}
	return id
}

func (a *Agent) setPendingFlow(method, flowID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if flowID == "" {
		delete(a.flows, method)
		return
	}
	a.flows[method] = flowID
}

// openerError: the browser opener ended with an error before the login
// did; the user needs the URL.
type openerError struct{ err error }

func (e *openerError) Error() string { return e.err.Error() }

// awaitFlow holds authenticate until the login flow ends, or the browser
// opener (exited, when not nil) fails: then the error is an *openerError
// and the flow goes on. A cancelled authenticate leaves the flow to the next
// one: the engine hands a browser login in progress to the next start.
func (a *Agent) awaitFlow(ctx context.Context, method, flowID string, exited <-chan error) (any, error) {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	if exited != nil {
		// The watch of the opener ends with this call, which waits for it.
		watched := make(chan struct{})
		defer func() { stop(nil); <-watched }()
		go func() {
			defer close(watched)
			select {
			case err := <-exited:
				if err != nil {
					stop(&openerError{err})
				}
			case <-ctx.Done():
			}
		}()
	}
	for {
		r, err := a.eng.PollDevice(ctx, flowID, true)
		if err != nil {
			var opener *openerError
			if errors.As(context.Cause(ctx), &opener) {
				return nil, opener
			}
			return nil, err
		}
		switch r.State {
		case engine.FlowPending:
			continue
		case engine.FlowComplete:
			a.setPendingFlow(method, "")
			return sdk.AuthenticateResponse{}, nil
		}
		a.setPendingFlow(method, "")
		msg := fmt.Sprintf("The login ended without success (%s)", r.State)
		if r.Err != nil {
			msg += ": " + strings.TrimSuffix(r.Err.Error(), ".")
		}
		return nil, authRequired(msg + "; try again.")
	}
}

// deviceCodeError hands the device code to the user in an auth_required
// error.
func deviceCodeError(info engine.FlowInfo) error {
	e := authRequired(fmt.Sprintf("To log in, open %s on any device and enter the code %s, then choose %q again to finish.",
		info.VerificationURL, info.UserCode, "ChatGPT Plus/Pro (device code)"))
	e.Data = map[string]any{"verificationUrl": info.VerificationURL, "userCode": info.UserCode,
		"expiresAt": info.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")}
	return e
}

// apiKeyFromMeta reads the key as the ACP adapter for Codex takes it,
// {"api-key": {"apiKey": "..."}}, or as {"apiKey": "..."}.
func apiKeyFromMeta(meta map[string]any) string {
	if m, ok := meta["api-key"].(map[string]any); ok {
		if k, ok := m["apiKey"].(string); ok {
			return strings.TrimSpace(k)
		}
	}
	if k, ok := meta["apiKey"].(string); ok {
		return strings.TrimSpace(k)
	}
	return ""
}

func (a *Agent) logout(ctx context.Context, _ struct{}) (any, error) {
	if _, err := a.eng.Logout(ctx); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *Agent) servesFiles() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.caps.Fs.ReadTextFile && a.caps.Fs.WriteTextFile
}

func (a *Agent) servesTerminals() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.caps.Terminal
}
