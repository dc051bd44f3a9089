package acp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	sdk "github.com/coder/acp-go-sdk"
	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/jsonrpc"
)

// Config is what an Agent is built from.
type Config struct {
	Engine  *engine.Engine
	Version string
	// OpenBrowser opens a URL in the user's browser, for the ChatGPT
	// browser login, and returns once the opener runs (startBrowser in cmd/deckhand);
	// exited yields when the opener ends. nil, an error, or an opener that
	// ends with an error hands the URL to the user instead.
	OpenBrowser func(url string) (exited <-chan error, err error)
	// NoBrowser says no browser can be opened here (NO_BROWSER, read by
	// cmd/deckhand): the browser login is not offered.
	NoBrowser bool
	Log       *zap.Logger
}

// Agent serves ACP on one connection.
type Agent struct {
	cfg  Config
	eng  *engine.Engine
	log  *zap.Logger
	conn *jsonrpc.Conn
	view *client

	mu          sync.Mutex
	initialized bool
	caps        sdk.ClientCapabilities
	sessions    map[string]*session
	flows       map[string]string // login method id -> pending flow id
	models      []engine.Model
	defModel    string

	// browserMu guards browser, the last browser login started.
	browserMu sync.Mutex
	browser   engine.FlowInfo
}

// New builds an agent; Run serves it.
func New(cfg Config) *Agent {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	a := &Agent{cfg: cfg, eng: cfg.Engine, log: cfg.Log, sessions: map[string]*session{}, flows: map[string]string{}}
	a.view = &client{a: a, always: map[string]bool{}, outputs: map[string]*strings.Builder{}}
	return a
}

// Run serves one connection until the client closes its end, and returns
// the process's exit status.
func (a *Agent) Run(ctx context.Context, in io.Reader, out io.Writer) int {
	a.conn = jsonrpc.NewConn(jsonrpc.NewStream(in, out, jsonrpc.MaxFrame), a.log)
	a.conn.SetGate(a.gate)
	a.conn.SetCancelNotification("$/cancel_request", "requestId")
	a.register()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := a.conn.Serve(ctx)
	a.eng.Close()
	if err != nil && ctx.Err() == nil {
		a.log.Warn("connection ended with an error", zap.Error(err))
		return 1
	}
	return 0
}

// gate answers a request before initialize with a clear error. It runs in
// arrival order, so a request right behind initialize is served.
func (a *Agent) gate(method string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case method == sdk.AgentMethodInitialize:
		if a.initialized {
			return &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "initialize was already called on this connection."}
		}
	case !a.initialized:
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: fmt.Sprintf("Call initialize before %s.", method)}
	}
	return nil
}

// ACP's own error codes; the standard JSON-RPC ones are jsonrpc's.
const (
	codeAuthRequired     = -32000
	codeResourceNotFound = -32002
)

func (a *Agent) register() {
	a.conn.HandleInline(sdk.AgentMethodInitialize, handler(a, false, a.initialize))
	a.conn.Handle(sdk.AgentMethodAuthenticate, handler(a, true, a.authenticate))
	a.conn.Handle(sdk.AgentMethodLogout, handler(a, false, a.logout))
	a.conn.Handle(sdk.AgentMethodSessionNew, handler(a, true, a.newSession))
	a.conn.Handle(sdk.AgentMethodSessionLoad, handler(a, true, a.loadSession))
	a.conn.Handle(sdk.AgentMethodSessionList, handler(a, false, a.listSessions))
	a.conn.Handle(sdk.AgentMethodSessionResume, handler(a, true, a.resumeSession))
	a.conn.Handle(sdk.AgentMethodSessionClose, handler(a, true, a.closeSession))
	a.conn.Handle(sdk.AgentMethodSessionPrompt, handler(a, true, a.prompt))
	a.conn.Handle(sdk.AgentMethodSessionSetConfigOption, handler(a, true, a.setConfigOption))
	a.conn.Handle(sdk.AgentMethodSessionSetModel, handler(a, true, a.setModel))
	a.conn.Handle(sdk.AgentMethodSessionSetMode, handler(a, true, a.setMode))
	a.conn.HandleNotification(sdk.AgentMethodSessionCancel, a.cancel)
}

// handler decodes params into P and maps the engine's errors to ACP's codes.
func handler[P any](a *Agent, needParams bool, h func(ctx context.Context, p P) (any, error)) jsonrpc.HandlerFunc {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var p P
		if len(raw) == 0 || string(raw) == "null" {
			if needParams {
				return nil, invalidParams("params are required")
			}
		} else if err := json.Unmarshal(raw, &p); err != nil {
			return nil, invalidParams(paramsProblem(err))
		}
		res, err := h(ctx, p)
		if err != nil {
			return nil, a.wireError(err)
		}
		return res, nil
	}
}

func invalidParams(msg string) *jsonrpc.Error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "Invalid params: " + msg + "."}
}

// authRequired is ACP's auth_required, with the ways in.
func authRequired(reason string) *jsonrpc.Error {
	return &jsonrpc.Error{Code: codeAuthRequired, Message: reason}
}

// wireError maps the engine's errors to ACP's codes, worded for an ACP
// client; anything else is -32603 with its text.
func (a *Agent) wireError(err error) error {
	var (
		rpcErr    *jsonrpc.Error
		authReq   *engine.AuthRequiredError
		busy      *engine.SessionBusyError
		unknown   *engine.UnknownSessionError
		badParams *engine.InvalidParamsError
	)
	switch {
	case errors.As(err, &rpcErr):
		return rpcErr
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // the Conn answers -32800 for a cancelled request
	case errors.As(err, &authReq) && authReq.Cause == engine.AuthNotLoggedIn:
		return authRequired(msgNotLoggedIn)
	case errors.As(err, &authReq):
		return authRequired(strings.TrimSuffix(authReq.Reason, ".") + ": log in again with one of the agent's authentication methods.")
	case errors.As(err, &unknown):
		return &jsonrpc.Error{Code: codeResourceNotFound,
			Message: fmt.Sprintf("Unknown session %q: start one with session/new, or see session/list.", unknown.SessionID)}
	case errors.As(err, &badParams):
		return invalidParams(fmt.Sprintf("%s %s", badParams.Field, badParams.Problem))
	case errors.Is(err, engine.ErrInvalidParams):
		return invalidParams(strings.TrimPrefix(err.Error(), "invalid params: "))
	case errors.As(err, &busy):
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: sentence(busy.Error())}
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: sentence(err.Error())}
}

const msgNotLoggedIn = "Not logged in to OpenAI: log in with ChatGPT Plus/Pro (browser or device code) or an OpenAI API key first."

func sentence(s string) string {
	if s == "" {
		return s
	}
	if s[len(s)-1] != '.' {
		s += "."
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// needLogin answers auth_required while deckhand has no login.
func (a *Agent) needLogin() error {
	if a.eng.Status().Type != "none" {
		return nil
	}
	return authRequired(msgNotLoggedIn)
}
