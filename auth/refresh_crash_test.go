package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// The access token's own exp decides when to refresh: a stored expires far
// in the future does not hide a token about to expire, and a near stored
// expires does not force a refresh of a token that lives on.
func TestTokenSourceRefreshesOnJWTExpiry(t *testing.T) {
	f := newFakeIssuer(t)
	ts, _ := newTokenSource(t, f, 24*time.Hour)
	near := mintJWT(t, map[string]any{"exp": t0.Add(time.Minute).Unix()})
	if err := ts.store.Save(Credential{Type: TypeOAuth, Access: near, Refresh: "refresh-0", Expires: t0.Add(24 * time.Hour), AccountID: "acct-stored"}); err != nil {
		t.Fatal(err)
	}
	c, err := ts.Token(context.Background())
	if err != nil || c.Access == near || len(f.tokenForms()) != 1 {
		t.Fatalf("Token = %+v, %v after %d refreshes; want a refresh for a JWT expiring in a minute", c, err, len(f.tokenForms()))
	}
	far := mintJWT(t, map[string]any{"exp": t0.Add(time.Hour).Unix()})
	if err := ts.store.Save(Credential{Type: TypeOAuth, Access: far, Refresh: "refresh-0", Expires: t0.Add(time.Minute), AccountID: "acct-stored"}); err != nil {
		t.Fatal(err)
	}
	if c, err := ts.Token(context.Background()); err != nil || c.Access != far || len(f.tokenForms()) != 1 {
		t.Errorf("Token = %v after %d refreshes; want the JWT valid for an hour kept", err, len(f.tokenForms()))
	}
}

// A 401 refresh says so to the issuer.
func TestTokenSourceUnauthorizedReason(t *testing.T) {
	f := newFakeIssuer(t)
	ts, _ := newTokenSource(t, f, time.Hour)
	stale, _, _ := ts.store.Load()
	if _, err := ts.Refresh(context.Background(), stale); err != nil {
		t.Fatal(err)
	}
	if r := f.tokenForms()[0].Get("refresh_reason"); r != ReasonUnauthorized {
		t.Errorf("refresh_reason = %q, want %q", r, ReasonUnauthorized)
	}
}

// A writer killed between writing its temp file and renaming it leaves the
// only copy of a rotated refresh token there: the next holder of the lock
// puts it in place, and deletes the incomplete and older ones.
func TestLockRecoversInterruptedWrite(t *testing.T) {
	home := t.TempDir()
	s := NewStore(home)
	if err := s.Save(Credential{Type: TypeOAuth, Access: "a-old", Refresh: "r-spent", Expires: t0}); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(s.Path(), past, past); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string, mtime time.Time) string {
		p := filepath.Join(home, ".auth.json.tmp-"+name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	older := write("1", `{"openai":{"type":"oauth","access":"a-older","refresh":"r-older","expires":1}}`, past.Add(-time.Minute))
	good := write("2", `{"openai":{"type":"oauth","access":"a-new","refresh":"r-new","expires":1}}`, past.Add(time.Minute))
	torn := write("3", `{"openai":{"type":"oauth","access":"a-torn","refre`, time.Now())

	unlock, err := s.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	c, ok, err := s.Load()
	if err != nil || !ok || c.Refresh != "r-new" {
		t.Errorf("after the lock: %+v, %v, %v; want the complete newer temp file's token", c, ok, err)
	}
	for _, p := range []string{older, good, torn} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind", filepath.Base(p))
		}
	}
	if info, _ := os.Stat(s.Path()); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", info.Mode().Perm())
	}
}

// A refresh waiting on another process's lock says why, and gives up well
// before two minutes with ErrRefreshBusy, not a network error.
func TestRefreshLockWaitSaysAnotherProcess(t *testing.T) {
	f := newFakeIssuer(t)
	ts, _ := newTokenSource(t, f, -time.Minute) // expired: nothing to fall back on
	core, logs := observer.New(zapcore.InfoLevel)
	ts.log = zap.New(core)
	ts.LockWait = 300 * time.Millisecond
	release, err := TryLock(filepath.Join(filepath.Dir(ts.store.Path()), "auth.json.lock"), staleLock)
	if err != nil || release == nil {
		t.Fatalf("TryLock: %v", err)
	}
	defer release()
	start := time.Now()
	_, err = ts.Token(context.Background())
	if !errors.Is(err, ErrRefreshBusy) || !strings.Contains(err.Error(), "another deckhand process is refreshing") {
		t.Errorf("err = %v, want ErrRefreshBusy", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("waited %v", d)
	}
	if logs.FilterMessageSnippet("another deckhand process is refreshing").Len() != 1 {
		t.Errorf("no log line says another process is refreshing: %v", logs.All())
	}
	if len(f.tokenForms()) != 0 {
		t.Errorf("refreshed without the lock")
	}
}

// DefaultPort staying busy, the login listens on FallbackPort; another busy
// port has no fallback.
func TestBindFallsBackTo1457(t *testing.T) {
	var asked []string
	listen := func(ctx context.Context, network, addr string) (net.Listener, error) {
		asked = append(asked, addr)
		if strings.HasSuffix(addr, ":1457") {
			return net.Listen("tcp", "127.0.0.1:0")
		}
		return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	}
	ln, err := bindWithFallback(context.Background(), DefaultPort, zap.NewNop(), listen)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if last := asked[len(asked)-1]; last != "127.0.0.1:1457" {
		t.Errorf("last bind %s, want the fallback", last)
	}
	asked = nil
	if _, err := bindWithFallback(context.Background(), 1460, zap.NewNop(), listen); !errors.Is(err, ErrPortInUse) {
		t.Errorf("err = %v, want ErrPortInUse", err)
	}
	for _, a := range asked {
		if strings.HasSuffix(a, ":1457") {
			t.Errorf("fell back for a port that is not the default")
		}
	}
}

// A delegate that runs the refresh elsewhere: the token source reads what
// it stored; one that cannot start falls back to refreshing here; a
// delegated failure keeps its sentinel.
func TestTokenSourceDelegate(t *testing.T) {
	f := newFakeIssuer(t)
	ts, _ := newTokenSource(t, f, time.Minute)
	var asked []string
	ts.Delegate = func(ctx context.Context, reason, stale string) error {
		asked = append(asked, reason+"|"+stale)
		other := NewTokenSource(ts.store, f.client(), nil)
		other.Now = ts.Now
		_, err := other.RefreshNow(ctx, reason, stale)
		return err
	}
	c, err := ts.Token(context.Background())
	if err != nil || c.Access != "access-r1" || len(asked) != 1 || asked[0] != ReasonProactive+"|" {
		t.Fatalf("delegated: %+v, %v, asked %v", c, err, asked)
	}
	ts.Delegate = func(context.Context, string, string) error { return fmt.Errorf("%w: exec: gone", ErrNoDelegate) }
	if c, err := ts.Refresh(context.Background(), c); err != nil || c.Access == "access-r1" {
		t.Errorf("fallback: %+v, %v", c, err)
	}
	ts.Delegate = func(context.Context, string, string) error { return RefreshError("reauth", "the login has expired") }
	cur, _, _ := ts.store.Load()
	if _, err := ts.Refresh(context.Background(), cur); !errors.Is(err, ErrReauth) {
		t.Errorf("delegated reauth: %v", err)
	}
}
