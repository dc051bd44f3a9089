package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/auth"
)

// FlowState is where a login flow is.
type FlowState string

// Flow states.
const (
	FlowPending   FlowState = "pending"
	FlowComplete  FlowState = "complete"
	FlowExpired   FlowState = "expired"
	FlowDenied    FlowState = "denied"
	FlowCancelled FlowState = "cancelled"
	FlowFailed    FlowState = "failed"
)

// FlowInfo is what the user needs to finish a login: a URL to open (browser)
// or a code to enter at a URL (headless).
type FlowInfo struct {
	FlowID          string
	Method          string
	URL             string
	UserCode        string
	VerificationURL string
	Interval        time.Duration
	ExpiresAt       time.Time
}

// FlowResult is a flow's state; Status is set once it completed, Err once it
// failed.
type FlowResult struct {
	FlowID string
	State  FlowState
	Status Status
	Err    error
}

type flow struct {
	id      string
	method  string
	cancel  context.CancelFunc
	browser *auth.BrowserLogin
	done    chan struct{}

	mu     sync.Mutex
	result FlowResult
}

func (f *flow) snapshot() FlowResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.result
}

// StartOAuth starts a ChatGPT login, by browser (PKCE and a localhost
// callback) or headless (device code). The flow runs until it completes,
// fails, times out or is cancelled, and then reports through LoginCompleted.
func (e *Engine) StartOAuth(ctx context.Context, method string, openBrowser bool) (FlowInfo, error) {
	switch method {
	case MethodBrowser:
		return e.startBrowser(ctx, openBrowser)
	case MethodHeadless:
		return e.startDevice(ctx)
	default:
		return FlowInfo{}, fmt.Errorf("%w: method must be %q or %q", ErrInvalidParams, MethodBrowser, MethodHeadless)
	}
}

func (e *Engine) startBrowser(ctx context.Context, openBrowser bool) (FlowInfo, error) {
	flowCtx, cancel := context.WithTimeout(e.ctx, e.cfg.BrowserTimeout)
	bl, err := e.issuer.StartBrowser(flowCtx, e.cfg.OAuthPort, e.log)
	if err != nil {
		cancel()
		// Not logged in, and this way in is closed: the picker again.
		return FlowInfo{}, &AuthRequiredError{Reason: sentence(err.Error()), Methods: Methods()}
	}
	f := e.addFlow(MethodBrowser, cancel)
	f.browser = bl
	info := FlowInfo{FlowID: f.id, Method: MethodBrowser, URL: bl.URL, ExpiresAt: time.Now().Add(e.cfg.BrowserTimeout)}
	e.runFlow(f, func() (auth.Tokens, error) {
		defer bl.Close()
		return bl.Wait(flowCtx)
	})
	if openBrowser && e.cfg.OpenBrowser != nil {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			if err := e.cfg.OpenBrowser(bl.URL); err != nil {
				e.log.Info("could not open a browser; the editor shows the URL", zap.Error(err))
			}
		}()
	}
	e.log.Info("browser login started", zap.String("flow", f.id), zap.Int("port", e.cfg.OAuthPort))
	return info, nil
}

func (e *Engine) startDevice(ctx context.Context) (FlowInfo, error) {
	dc, err := e.issuer.StartDevice(ctx)
	if err != nil {
		if errors.Is(err, auth.ErrDeviceLoginDisabled) {
			return FlowInfo{}, &AuthRequiredError{Reason: sentence(err.Error()), Methods: Methods()}
		}
		return FlowInfo{}, &UpstreamError{Detail: err.Error(),
			Message: "deckhand could not start the device-code login: " + err.Error()}
	}
	flowCtx, cancel := context.WithTimeout(e.ctx, e.cfg.DeviceTimeout)
	f := e.addFlow(MethodHeadless, cancel)
	info := FlowInfo{FlowID: f.id, Method: MethodHeadless, UserCode: dc.UserCode,
		VerificationURL: dc.VerificationURL, Interval: dc.Interval,
		ExpiresAt: time.Now().Add(e.cfg.DeviceTimeout)}
	e.runFlow(f, func() (auth.Tokens, error) { return e.issuer.WaitDevice(flowCtx, dc) })
	e.log.Info("device login started", zap.String("flow", f.id))
	return info, nil
}

func (e *Engine) addFlow(method string, cancel context.CancelFunc) *flow {
	f := &flow{id: newID("flow"), method: method, cancel: cancel, done: make(chan struct{})}
	f.result = FlowResult{FlowID: f.id, State: FlowPending}
	e.mu.Lock()
	e.flows[f.id] = f
	e.mu.Unlock()
	return f
}

// runFlow waits for a flow in a goroutine the engine owns, saves the tokens it
// yields and reports the end.
func (e *Engine) runFlow(f *flow, wait func() (auth.Tokens, error)) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer f.cancel()
		var res FlowResult
		func() {
			defer func() {
				if p := recover(); p != nil {
					e.log.Error("login flow panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
					res = FlowResult{FlowID: f.id, State: FlowFailed, Err: fmt.Errorf("internal error in the login flow")}
				}
			}()
			res = e.finishFlow(f, wait)
		}()
		f.mu.Lock()
		f.result = res
		f.mu.Unlock()
		close(f.done)
		e.currentClient().LoginCompleted(LoginEvent{FlowID: f.id, Method: f.method, State: res.State, Err: res.Err, Status: e.Status()})
		e.log.Info("login flow ended", zap.String("flow", f.id), zap.String("state", string(res.State)))
	}()
}

func (e *Engine) finishFlow(f *flow, wait func() (auth.Tokens, error)) FlowResult {
	tokens, err := wait()
	if err != nil {
		state := FlowFailed
		switch {
		case errors.Is(err, auth.ErrDeviceExpired):
			state = FlowExpired
			err = errors.New("the device code expired before the login was approved; start the login again")
		case errors.Is(err, context.DeadlineExceeded):
			state = FlowExpired
			err = errors.New("the login was not finished in time; start it again")
		case errors.Is(err, auth.ErrDeviceDenied):
			state = FlowDenied
		case errors.Is(err, auth.ErrCancelled), errors.Is(err, context.Canceled):
			state = FlowCancelled
		}
		return FlowResult{FlowID: f.id, State: state, Err: err}
	}
	cred := tokens.Credential(time.Now(), "")
	if err := e.save(e.ctx, cred); err != nil {
		return FlowResult{FlowID: f.id, State: FlowFailed, Err: fmt.Errorf("save the login: %w", err)}
	}
	return FlowResult{FlowID: f.id, State: FlowComplete, Status: e.Status()}
}

func (e *Engine) flow(id string) (*flow, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f, ok := e.flows[id]
	if !ok {
		return nil, &UnknownFlowError{FlowID: id}
	}
	return f, nil
}

// CompleteOAuth finishes a browser flow with the redirect URL the user pasted
// (the browser ran on another machine). A wrong state leaves the flow waiting.
func (e *Engine) CompleteOAuth(ctx context.Context, flowID, callbackURL string) (Status, error) {
	f, err := e.flow(flowID)
	if err != nil {
		return Status{}, err
	}
	if f.browser == nil {
		return Status{}, fmt.Errorf("%w: flow %s is a %s login, not a browser one", ErrInvalidParams, flowID, f.method)
	}
	if r := f.snapshot(); r.State != FlowPending {
		return Status{}, fmt.Errorf("%w: flow %s has already ended (%s)", ErrInvalidParams, flowID, r.State)
	}
	if _, err := f.browser.Complete(ctx, callbackURL); err != nil {
		var te *auth.TokenError
		var ae *auth.AuthorizeError
		if errors.As(err, &te) || errors.As(err, &ae) {
			return Status{}, &UpstreamError{Detail: err.Error(), Message: "The login could not be completed: " + err.Error()}
		}
		if ctx.Err() != nil {
			return Status{}, ctx.Err()
		}
		// A wrong state or a URL that is not a callback: the flow waits on.
		return Status{}, fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
	r := f.snapshot()
	if r.Err != nil {
		return Status{}, &UpstreamError{Detail: r.Err.Error(), Message: "The login could not be completed: " + r.Err.Error()}
	}
	return r.Status, nil
}

// PollDevice reports a flow's state; with wait it holds the answer until the
// state leaves pending, or about 30 s pass.
func (e *Engine) PollDevice(ctx context.Context, flowID string, wait bool) (FlowResult, error) {
	f, err := e.flow(flowID)
	if err != nil {
		return FlowResult{}, err
	}
	if wait {
		t := time.NewTimer(30 * time.Second)
		defer t.Stop()
		select {
		case <-f.done:
		case <-t.C:
		case <-ctx.Done():
			return FlowResult{}, ctx.Err()
		}
	}
	return f.snapshot(), nil
}

// CancelFlow stops a login flow: polling ends, the callback server closes.
// It reports false when the flow had already ended.
func (e *Engine) CancelFlow(flowID string) (bool, error) {
	f, err := e.flow(flowID)
	if err != nil {
		return false, err
	}
	select {
	case <-f.done:
		return false, nil
	default:
	}
	f.cancel()
	if f.browser != nil {
		f.browser.Close()
	}
	<-f.done
	return true, nil
}

// sentence makes an error text read as a sentence.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
