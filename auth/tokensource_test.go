package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newTokenSource is a token source over a fresh home whose auth.json holds an
// oauth credential expiring in expiresIn, with the clock stopped at t0.
func newTokenSource(t *testing.T, f *fakeIssuer, expiresIn time.Duration) (*TokenSource, *observer.ObservedLogs) {
	t.Helper()
	store := NewStore(t.TempDir())
	err := store.Save(Credential{Type: TypeOAuth, Access: "access-0", Refresh: "refresh-0", Expires: t0.Add(expiresIn), AccountID: "acct-stored"})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	ts := NewTokenSource(store, f.client(), zap.New(core))
	ts.Now = func() time.Time { return t0 }
	t.Cleanup(ts.Close)
	return ts, logs
}

// sameCred compares credentials, their expiry as an instant.
func sameCred(a, b Credential) bool {
	if !a.Expires.Equal(b.Expires) {
		return false
	}
	a.Expires, b.Expires = time.Time{}, time.Time{}
	return a == b
}

func checkLogs(t *testing.T, logs *observer.ObservedLogs, secrets ...string) {
	t.Helper()
	for _, e := range logs.All() {
		assertNoSecret(t, "log entry", fmt.Sprintf("%s %v", e.Message, e.ContextMap()), secrets...)
	}
}

func TestTokenSourceFresh(t *testing.T) {
	f := newFakeIssuer(t)
	ts, _ := newTokenSource(t, f, time.Hour)
	c, err := ts.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Access != "access-0" || f.refreshes.Load() != 0 {
		t.Errorf("fresh credential: %+v, %d refreshes", c, f.refreshes.Load())
	}
	// An API key is returned as it is.
	if err := ts.store.Save(Credential{Type: TypeAPI, Key: "sk-x"}); err != nil {
		t.Fatal(err)
	}
	if c, err := ts.Token(context.Background()); err != nil || c.Key != "sk-x" {
		t.Errorf("api credential: %+v, %v", c, err)
	}
	if err := ts.store.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(context.Background()); !errors.Is(err, ErrNoCredential) {
		t.Errorf("nothing stored: err = %v", err)
	}
}

func TestTokenSourceRefreshesInsideMargin(t *testing.T) {
	f := newFakeIssuer(t)
	ts, logs := newTokenSource(t, f, 4*time.Minute) // inside the 5-minute margin
	c, err := ts.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Credential{Type: TypeOAuth, Access: "access-r1", Refresh: "refresh-r1", Expires: t0.Add(2 * time.Hour), AccountID: "acct-stored"} // the account chosen at login is kept
	if !sameCred(c, want) {
		t.Errorf("Token = %+v, want %+v", c, want)
	}
	stored, _, _ := ts.store.Load()
	if !sameCred(stored, want) {
		t.Errorf("stored = %+v, want the rotated credential", stored)
	}
	if f.tokenForms()[0].Get("refresh_token") != "refresh-0" {
		t.Errorf("refresh used %v", f.tokenForms()[0])
	}
	checkLogs(t, logs, "access-0", "refresh-0", "access-r1", "refresh-r1")

	// Past the margin of a longer one: no refresh.
	ts.Margin = time.Minute
	ts.Now = func() time.Time { return t0.Add(2*time.Hour - 2*time.Minute) }
	if _, err := ts.Token(context.Background()); err != nil || f.refreshes.Load() != 1 {
		t.Errorf("custom margin: err=%v refreshes=%d", err, f.refreshes.Load())
	}
}

func TestTokenSourceKeepsRefreshTokenWhenNoneSent(t *testing.T) {
	f := newFakeIssuer(t)
	f.onToken = func(url.Values) (int, string) { return 200, tokenJSON("", "access-new", "", "") }
	ts, _ := newTokenSource(t, f, -time.Minute)
	c, err := ts.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Refresh != "refresh-0" || c.Access != "access-new" || c.AccountID != "acct-stored" || !c.Expires.Equal(t0.Add(time.Hour)) {
		t.Errorf("credential = %+v", c)
	}
}

func TestTokenSourceSingleFlight(t *testing.T) {
	f := newFakeIssuer(t)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.onToken = func(form url.Values) (int, string) {
		once.Do(func() { close(started) })
		<-release
		return f.defaultToken(form)
	}
	ts, logs := newTokenSource(t, f, -time.Minute) // already expired
	const callers = 20
	var wg sync.WaitGroup
	results := make([]Credential, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { results[i], errs[i] = ts.Token(context.Background()) })
	}
	<-started
	// Hold the one refresh until every other caller has joined it.
	joined := func() int { return logs.FilterMessage("waiting for the login refresh in flight").Len() }
	for deadline := time.Now().Add(30 * time.Second); joined() < callers-1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("only %d callers joined the refresh in flight", joined())
		}
	}
	close(release)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || results[i].Access != "access-r1" {
			t.Errorf("caller %d: %+v, %v", i, results[i], errs[i])
		}
	}
	if n := f.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want exactly 1", n)
	}
}

func TestTokenSourceSeesOtherProcessRefresh(t *testing.T) {
	f := newFakeIssuer(t)
	first, _ := newTokenSource(t, f, -time.Minute)
	second := NewTokenSource(NewStore(first.store.home), f.client(), nil) // another process, same home
	second.Now = first.Now
	defer second.Close()

	stale, _, _ := second.store.Load()
	c1, err := first.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c2, err := second.Token(context.Background())
	if err != nil || !sameCred(c2, c1) {
		t.Errorf("second process: %+v, %v; want %+v", c2, err, c1)
	}
	// A forced refresh with the old token finds the new one already there.
	c3, err := second.Refresh(context.Background(), stale)
	if err != nil || !sameCred(c3, c1) {
		t.Errorf("Refresh(stale) = %+v, %v", c3, err)
	}
	if n := f.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	// A forced refresh of the current token does refresh.
	c4, err := second.Refresh(context.Background(), c1)
	if err != nil || c4.Access != "access-r2" || f.refreshes.Load() != 2 {
		t.Errorf("Refresh(current) = %+v, %v", c4, err)
	}
}

func TestTokenSourceReauthKeepsEntry(t *testing.T) {
	f := newFakeIssuer(t)
	f.onToken = func(url.Values) (int, string) {
		return 401, `{"error":{"code":"refresh_token_reused","message":"Your refresh token has already been used to generate a new access token. Please try signing in again."}}`
	}
	ts, logs := newTokenSource(t, f, time.Minute) // still valid, but inside the margin
	before, _, _ := ts.store.Load()
	_, err := ts.Token(context.Background())
	if !errors.Is(err, ErrReauth) {
		t.Fatalf("err = %v, want ErrReauth", err)
	}
	assertNoSecret(t, "error", err.Error(), "access-0", "refresh-0")
	after, ok, _ := ts.store.Load()
	if !ok || !sameCred(after, before) {
		t.Errorf("stored entry changed: %+v -> %+v", before, after)
	}
	checkLogs(t, logs, "access-0", "refresh-0")
}

func TestTokenSourceTransientFailureUsesValidToken(t *testing.T) {
	f := newFakeIssuer(t)
	f.onToken = func(url.Values) (int, string) { return 503, `{"error":"temporarily_unavailable"}` }
	ts, _ := newTokenSource(t, f, time.Minute)
	c, err := ts.Token(context.Background())
	if err != nil || c.Access != "access-0" {
		t.Errorf("still-valid token: %+v, %v", c, err)
	}
	ts.Now = func() time.Time { return t0.Add(2 * time.Minute) } // now expired
	if _, err := ts.Token(context.Background()); err == nil || errors.Is(err, ErrReauth) {
		t.Errorf("expired token with transient failure: err = %v", err)
	}
}
