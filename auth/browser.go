package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

const shutdownGrace = 2 * time.Second

// BrowserLogin is a browser PKCE login in progress: the user opens URL, signs
// in, and the issuer redirects to RedirectURI on a listener that this login
// owns. The flow ends exactly once: with tokens, an error, or ErrCancelled.
// Once it ends the listener is closed. Its owner calls Wait or Close, which
// return only after the login's goroutines have stopped.
type BrowserLogin struct {
	URL         string // the authorize URL to open in a browser
	RedirectURI string // http://localhost:<port>/auth/callback
	Port        int

	client *Client
	pkce   PKCE
	state  string
	log    *zap.Logger
	srv    *http.Server

	ctx    context.Context // lives until the flow ends; bounds code exchanges
	cancel context.CancelFunc

	claimed   atomic.Bool  // a redirect with the right state is being handled
	badStates atomic.Int64 // callbacks refused for their state, for the log
	once      sync.Once
	done      chan struct{}
	tokens    Tokens
	err       error
	wg        sync.WaitGroup // the serve and shutdown goroutines
}

// StartBrowser prepares a PKCE login and listens for its redirect on
// 127.0.0.1:port. A busy port is asked to let go (GET /cancel) and retried;
// if DefaultPort stays busy, FallbackPort (the other redirect the issuer
// allows) is tried as the official CLI does; if that fails too, or another
// port stays busy, the error wraps ErrPortInUse. The redirect URI names
// localhost, the form the issuer's allow-list and opencode use. ctx bounds
// only the start: Wait and Close end the flow.
func (c *Client) StartBrowser(ctx context.Context, port int, log *zap.Logger) (*BrowserLogin, error) {
	if log == nil {
		log = zap.NewNop()
	}
	p, err := NewPKCE()
	if err != nil {
		return nil, fmt.Errorf("start browser login: %w", err)
	}
	state, err := NewState()
	if err != nil {
		return nil, fmt.Errorf("start browser login: %w", err)
	}
	ln, err := listenCallback(ctx, port, log)
	if err != nil {
		return nil, fmt.Errorf("start browser login: %w", err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	redirect := fmt.Sprintf("http://localhost:%d/auth/callback", port)
	b := &BrowserLogin{
		URL:         c.AuthorizeURL(redirect, p, state),
		RedirectURI: redirect,
		Port:        port,
		client:      c,
		pkce:        p,
		state:       state,
		log:         log.With(zap.Int("port", port)),
		done:        make(chan struct{}),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.srv = &http.Server{
		Handler:           http.HandlerFunc(b.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return b.ctx },
		ErrorLog:          zap.NewStdLog(b.log),
	}
	b.wg.Add(2)
	go b.serve(ln)
	go b.shutdownWhenDone()
	b.log.Info("browser login listening")
	return b, nil
}

func (b *BrowserLogin) serve(ln net.Listener) {
	defer b.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			b.finish(Tokens{}, fmt.Errorf("login callback server failed: %v", r))
		}
	}()
	if err := b.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		b.finish(Tokens{}, fmt.Errorf("login callback server: %w", err))
	}
}

// shutdownWhenDone closes the listener once the flow has ended, letting the
// last page be written.
func (b *BrowserLogin) shutdownWhenDone() {
	defer b.wg.Done()
	<-b.done
	b.cancel() // abort a code exchange still in flight
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := b.srv.Shutdown(ctx); err != nil {
		_ = b.srv.Close()
	}
	b.log.Debug("browser login listener closed")
}

// finish ends the flow once; later calls change nothing. It returns the
// outcome that stands.
func (b *BrowserLogin) finish(t Tokens, err error) (Tokens, error) {
	b.once.Do(func() {
		b.tokens, b.err = t, err
		close(b.done)
	})
	<-b.done
	return b.tokens, b.err
}

// Wait blocks until the flow ends or ctx is done (which ends the flow), and
// returns once the listener is closed.
func (b *BrowserLogin) Wait(ctx context.Context) (Tokens, error) {
	select {
	case <-b.done:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			b.finish(Tokens{}, fmt.Errorf("browser login timed out; start the login again: %w", ctx.Err()))
		} else {
			b.finish(Tokens{}, fmt.Errorf("browser login: %w (%w)", ErrCancelled, ctx.Err()))
		}
	}
	b.wg.Wait()
	return b.tokens, b.err
}

// Close ends the flow with ErrCancelled if it is still waiting and closes the
// listener. It is idempotent.
func (b *BrowserLogin) Close() error {
	b.finish(Tokens{}, ErrCancelled)
	b.wg.Wait()
	return nil
}

// Complete finishes the flow from a redirect URL pasted by the user (the
// browser ran on another machine). A missing or wrong state gives
// ErrStateMismatch and the flow keeps waiting. On a flow that has already
// ended it returns that flow's outcome.
func (b *BrowserLogin) Complete(ctx context.Context, callbackURL string) (Tokens, error) {
	select {
	case <-b.done:
		return b.tokens, b.err
	default:
	}
	q, err := parseCallbackURL(callbackURL)
	if err != nil {
		return Tokens{}, err
	}
	if !b.stateOK(q.Get("state")) {
		b.log.Warn("pasted login URL has a wrong state; still waiting")
		return Tokens{}, fmt.Errorf("complete login: %w", ErrStateMismatch)
	}
	if q.Get("error") == "" && q.Get("code") == "" {
		return Tokens{}, errors.New("complete login: the pasted URL has no authorization code; paste the whole address the browser ended on")
	}
	if !b.claimed.CompareAndSwap(false, true) {
		select {
		case <-b.done:
			return b.tokens, b.err
		case <-ctx.Done():
			return Tokens{}, fmt.Errorf("complete login: %w", ctx.Err())
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(b.ctx, cancel)
	defer stop()
	return b.redeem(ctx, q)
}

// redeem ends a claimed flow from the redirect's parameters: the sign-in
// page's error, or the code exchanged for tokens.
func (b *BrowserLogin) redeem(ctx context.Context, q url.Values) (Tokens, error) {
	if e := q.Get("error"); e != "" {
		b.log.Warn("sign-in page reported an error", zap.String("error", clean(e, 80, nil)))
		return b.finish(Tokens{}, &AuthorizeError{Code: clean(e, 80, nil), Description: clean(q.Get("error_description"), 300, nil)})
	}
	t, err := b.client.ExchangeCode(ctx, q.Get("code"), b.RedirectURI, b.pkce.Verifier)
	if err != nil {
		b.log.Warn("code exchange failed", zap.Error(err))
		return b.finish(Tokens{}, fmt.Errorf("browser login: %w", err))
	}
	b.log.Info("browser login complete")
	return b.finish(t, nil)
}

func (b *BrowserLogin) stateOK(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(b.state)) == 1
}

// serveHTTP serves the callback listener: /auth/callback, /cancel, and 404
// for anything else.
func (b *BrowserLogin) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/auth/callback":
		b.handleCallback(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/cancel":
		if !politeCancel(r) {
			// A web page the user visits must not end the login.
			b.log.Warn("refused a /cancel sent by a web page; still waiting",
				zap.String("remote", r.RemoteAddr), zap.String("secFetchSite", clean(r.Header.Get("Sec-Fetch-Site"), 40, nil)))
			pageForbidden(w)
			return
		}
		b.log.Info("login cancelled through /cancel")
		b.finish(Tokens{}, fmt.Errorf("browser login: %w: another program asked the callback listener to let go", ErrCancelled))
		pageCancelled(w)
	default:
		pageNotFound(w)
	}
}

// logBadState logs the first callback refused for its state and then every
// hundredth, so a flood of forged requests cannot flood the log.
func (b *BrowserLogin) logBadState(remote string) {
	n := b.badStates.Add(1)
	if n == 1 || n%100 == 0 {
		b.log.Warn("login callback with a wrong state; still waiting",
			zap.String("remote", remote), zap.Int64("refusedSoFar", n))
	}
}

// politeCancel tells the polite-cancel request of another login program (a
// bare GET, as deckhand, opencode and the Codex CLI send) from one a browser
// sends on behalf of a web page: browsers add Origin to cross-origin requests
// and Sec-Fetch-Site to every request, which is "none" only for one the user
// typed or bookmarked.
func politeCancel(r *http.Request) bool {
	if _, ok := r.Header["Origin"]; ok {
		return false
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "" || site == "none"
}

func (b *BrowserLogin) handleCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !b.stateOK(q.Get("state")) {
		// A forged or stale request must not end the user's login.
		b.logBadState(r.RemoteAddr)
		pageStateMismatch(w)
		return
	}
	if q.Get("error") == "" && q.Get("code") == "" {
		page(w, http.StatusBadRequest, "Missing authorization code",
			"This request carried no authorization code. The login is still waiting.")
		return
	}
	if !b.claimed.CompareAndSwap(false, true) {
		page(w, http.StatusConflict, "Login already handled",
			"This login has already been completed or is being completed. You can close this window.")
		return
	}
	// The exchange is bounded by the flow, not by this request: a browser tab
	// closed early must not spoil the login.
	if _, err := b.redeem(b.ctx, q); err != nil {
		pageFailed(w, http.StatusOK, err)
		return
	}
	pageSuccess(w)
}

// parseCallbackURL reads the query of a pasted redirect: a whole URL, or just
// its query string.
func parseCallbackURL(s string) (url.Values, error) {
	s = strings.TrimSpace(s)
	bad := errors.New("complete login: the pasted text is not the redirect address; paste the whole address the browser ended on")
	if s == "" {
		return nil, bad
	}
	if u, err := url.Parse(s); err == nil && u.RawQuery != "" {
		return u.Query(), nil
	}
	q, err := url.ParseQuery(strings.TrimPrefix(s, "?"))
	if err != nil || (q.Get("code") == "" && q.Get("error") == "" && q.Get("state") == "") {
		return nil, bad
	}
	return q, nil
}
