package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// startBrowser starts a login on a free port against f. When the test ends,
// the login is closed and its logs are checked for its secrets.
func startBrowser(t *testing.T, f *fakeIssuer) *BrowserLogin {
	t.Helper()
	port := freePort(t)
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(zapcore.NewTee(core, zaptest.NewLogger(t).Core()))
	b, err := f.client().StartBrowser(context.Background(), port, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Close()
		secrets := []string{b.state, b.pkce.Verifier, "good-code", "pasted-code", "access-x1", "refresh-x1"}
		if logs.Len() == 0 {
			t.Error("the login logged nothing")
		}
		checkLogs(t, logs, secrets...)
	})
	if b.Port != port || b.RedirectURI != fmt.Sprintf("http://localhost:%d/auth/callback", port) {
		t.Fatalf("port %d, redirect %q", b.Port, b.RedirectURI)
	}
	return b
}

func stateOf(t *testing.T, b *BrowserLogin) string {
	t.Helper()
	u, err := url.Parse(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

// browse plays the browser: GET a path on the login's listener.
func browse(t *testing.T, port int, pathAndQuery string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + pathAndQuery)
	if err != nil {
		t.Fatalf("GET %s: %v", pathAndQuery, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	return resp.StatusCode, string(body)
}

func callbackQuery(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return "/auth/callback?" + q.Encode()
}

func waitLogin(t *testing.T, b *BrowserLogin) (Tokens, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return b.Wait(ctx)
}

func TestBrowserForgedStateThenSuccess(t *testing.T) {
	f := newFakeIssuer(t)
	b := startBrowser(t, f)
	state := stateOf(t, b)

	for _, q := range []string{
		callbackQuery("code", "forged-code", "state", "not-the-state"),
		callbackQuery("code", "forged-code"),
		callbackQuery("error", "access_denied", "state", "forged"),
	} {
		status, body := browse(t, b.Port, q)
		if status != http.StatusBadRequest || !strings.Contains(body, "State mismatch") || !strings.Contains(body, "still waiting") {
			t.Errorf("%s: %d %s", q, status, body)
		}
	}
	if len(f.tokenForms()) != 0 {
		t.Fatal("a forged callback was exchanged")
	}
	status, body := browse(t, b.Port, callbackQuery("state", state))
	if status != http.StatusBadRequest || !strings.Contains(body, "no authorization code") {
		t.Errorf("missing code: %d %s", status, body)
	}

	status, body = browse(t, b.Port, callbackQuery("code", "good-code", "state", state))
	if status != http.StatusOK || !strings.Contains(body, "You can close this window and return to your editor.") {
		t.Errorf("success page: %d %s", status, body)
	}
	tok, err := waitLogin(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "access-x1" {
		t.Errorf("tokens = %+v", tok)
	}
	form := f.tokenForms()[0]
	challenge, _ := url.Parse(b.URL)
	if form.Get("code") != "good-code" || form.Get("redirect_uri") != b.RedirectURI ||
		challengeOf(form.Get("code_verifier")) != challenge.Query().Get("code_challenge") {
		t.Errorf("exchange form = %v", form)
	}
	if _, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(b.Port)); err == nil {
		t.Error("listener still open after Wait returned")
	}
}

func TestBrowserErrorParam(t *testing.T) {
	f := newFakeIssuer(t)
	b := startBrowser(t, f)
	status, body := browse(t, b.Port, callbackQuery("error", "access_denied",
		"error_description", "<script>x</script> denied", "state", stateOf(t, b)))
	if status != http.StatusOK || strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;x&lt;/script&gt; denied") {
		t.Errorf("error page: %d %s", status, body)
	}
	_, err := waitLogin(t, b)
	var ae *AuthorizeError
	if !errors.As(err, &ae) || ae.Code != "access_denied" || !strings.Contains(err.Error(), "denied") {
		t.Errorf("err = %v, want *AuthorizeError access_denied", err)
	}
}

func TestBrowserExchangeFails(t *testing.T) {
	f := newFakeIssuer(t)
	b := startBrowser(t, f)
	status, body := browse(t, b.Port, callbackQuery("code", "bad-code", "state", stateOf(t, b)))
	if status != http.StatusOK || !strings.Contains(body, "Login failed") || !strings.Contains(body, "invalid_grant") {
		t.Errorf("failure page: %d %s", status, body)
	}
	if _, err := waitLogin(t, b); !errors.Is(err, ErrReauth) {
		t.Errorf("err = %v, want the exchange's invalid_grant", err)
	}
}

func TestBrowserCancelAndNotFound(t *testing.T) {
	f := newFakeIssuer(t)
	b := startBrowser(t, f)
	if status, _ := browse(t, b.Port, "/elsewhere"); status != http.StatusNotFound {
		t.Errorf("/elsewhere: %d", status)
	}
	status, body := browse(t, b.Port, "/cancel")
	if status != http.StatusOK || !strings.Contains(body, "Login cancelled") {
		t.Errorf("/cancel: %d %s", status, body)
	}
	if _, err := waitLogin(t, b); !errors.Is(err, ErrCancelled) {
		t.Errorf("err = %v, want ErrCancelled", err)
	}
}

func TestBrowserCloseAndContext(t *testing.T) {
	f := newFakeIssuer(t)
	b := startBrowser(t, f)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := waitLogin(t, b); !errors.Is(err, ErrCancelled) {
		t.Errorf("after Close: err = %v", err)
	}

	b = startBrowser(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Wait(ctx); !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
}

func TestBrowserComplete(t *testing.T) {
	f := newFakeIssuer(t)
	b := startBrowser(t, f)
	ctx := context.Background()
	if _, err := b.Complete(ctx, "http://localhost:1455/auth/callback?code=c&state=wrong"); !errors.Is(err, ErrStateMismatch) {
		t.Fatalf("wrong state: err = %v", err)
	}
	if _, err := b.Complete(ctx, "hello"); err == nil || errors.Is(err, ErrStateMismatch) {
		t.Errorf("garbage: err = %v", err)
	}
	pasted := fmt.Sprintf("  http://localhost:%d/auth/callback?code=pasted-code&scope=x&state=%s \n", b.Port, url.QueryEscape(stateOf(t, b)))
	tok, err := b.Complete(ctx, pasted)
	if err != nil {
		t.Fatal(err)
	}
	waited, err := waitLogin(t, b)
	if err != nil || waited != tok || tok.AccessToken == "" {
		t.Errorf("Wait = %+v, %v; Complete gave %+v", waited, err, tok)
	}
	if forms := f.tokenForms(); len(forms) != 1 || forms[0].Get("code") != "pasted-code" {
		t.Errorf("exchanges = %v", forms)
	}
	// A second paste changes nothing.
	again, err := b.Complete(ctx, pasted)
	if err != nil || again != tok || len(f.tokenForms()) != 1 {
		t.Errorf("second Complete = %+v, %v", again, err)
	}
}

func TestBrowserTakesPortFromOlderLogin(t *testing.T) {
	f := newFakeIssuer(t)
	first := startBrowser(t, f)
	firstDone := make(chan error, 1)
	go func() {
		_, err := waitLogin(t, first)
		firstDone <- err
	}()
	second, err := f.client().StartBrowser(context.Background(), first.Port, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("second StartBrowser: %v", err)
	}
	defer second.Close()
	if err := <-firstDone; !errors.Is(err, ErrCancelled) {
		t.Errorf("first login: err = %v, want ErrCancelled", err)
	}
	if second.Port != first.Port {
		t.Errorf("second port %d, want %d", second.Port, first.Port)
	}
	status, _ := browse(t, second.Port, callbackQuery("code", "c2", "state", stateOf(t, second)))
	if status != http.StatusOK {
		t.Errorf("second login callback: %d", status)
	}
	if _, err := waitLogin(t, second); err != nil {
		t.Errorf("second login: %v", err)
	}
}

func TestBrowserPortHeldByOtherProgram(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "stubborn/1.0")
		http.NotFound(w, r)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	f := newFakeIssuer(t)
	_, err = f.client().StartBrowser(context.Background(), port, zaptest.NewLogger(t))
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("err = %v, want ErrPortInUse", err)
	}
	msg := err.Error()
	for _, want := range []string{strconv.Itoa(port), "stubborn/1.0", "headless", "DECKHAND_OAUTH_PORT"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

// A web page the user visits cannot end the login through /cancel: requests
// carrying Origin, or a Sec-Fetch-Site other than "none", get 403 and the
// login keeps waiting. One the user types ("none") still cancels.
func TestBrowserCancelFromWebPage(t *testing.T) {
	f := newFakeIssuer(t)
	b := startBrowser(t, f)
	refused := []map[string]string{
		{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Origin": "null"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Sec-Fetch-Site": "same-origin"},
	}
	for _, headers := range refused {
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/cancel", b.Port), nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("/cancel with %v: %d, want 403", headers, resp.StatusCode)
		}
	}
	select {
	case <-b.done:
		t.Fatalf("a web page's /cancel ended the login: %v", b.err)
	default:
	}
	// The login is still the user's to finish.
	if status, _ := browse(t, b.Port, callbackQuery("code", "good-code", "state", stateOf(t, b))); status != http.StatusOK {
		t.Errorf("callback after refused cancels: %d", status)
	}
	if tok, err := waitLogin(t, b); err != nil || tok.AccessToken == "" {
		t.Errorf("login = %+v, %v", tok, err)
	}
}

func TestBrowserCancelTypedByUser(t *testing.T) {
	f := newFakeIssuer(t)
	b := startBrowser(t, f)
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/cancel", b.Port), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "none")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/cancel typed by the user: %d", resp.StatusCode)
	}
	if _, err := waitLogin(t, b); !errors.Is(err, ErrCancelled) {
		t.Errorf("err = %v, want ErrCancelled", err)
	}
}

// A flood of forged callbacks is refused each time but logged only now and
// then: the first, and every hundredth.
func TestBrowserBadStateLogIsRateLimited(t *testing.T) {
	f := newFakeIssuer(t)
	core, logs := observer.New(zapcore.WarnLevel)
	b, err := f.client().StartBrowser(context.Background(), freePort(t), zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	for i := range 250 {
		status, _ := browse(t, b.Port, callbackQuery("code", "forged", "state", fmt.Sprintf("forged-%d", i)))
		if status != http.StatusBadRequest {
			t.Fatalf("forged callback %d: status %d", i, status)
		}
	}
	got := logs.FilterMessage("login callback with a wrong state; still waiting").All()
	if len(got) != 3 {
		t.Fatalf("250 forged callbacks logged %d lines, want 3 (the 1st, 100th and 200th)", len(got))
	}
	if n := got[2].ContextMap()["refusedSoFar"]; n != int64(200) {
		t.Errorf("the third line counts %v refusals, want 200", n)
	}
}
