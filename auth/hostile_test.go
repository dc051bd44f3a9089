package auth

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestHostileLockWaitOnce: while another process holds auth.json's lock
// and never lets go, the login is asked for several times in a row (the
// model list, the turn, its steps): only the first waits for it, the others
// are told at once, so the user hears after one wait, not three.
func TestHostileLockWaitOnce(t *testing.T) {
	home := t.TempDir()
	store := NewStore(home)
	if err := store.Save(Credential{Type: TypeOAuth, Access: "at", Refresh: "rt", Expires: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	release, err := TryLock(filepath.Join(home, "auth.json.lock"), staleLock)
	if err != nil || release == nil {
		t.Fatalf("lock: %v", err)
	}
	defer release()
	core, logs := observer.New(zap.InfoLevel)
	ts := NewTokenSource(store, nil, zap.New(core))
	ts.LockWait = 300 * time.Millisecond
	for i := range 3 {
		if _, err := ts.Token(context.Background()); !errors.Is(err, ErrRefreshBusy) {
			t.Fatalf("call %d: want busy, got %v", i+1, err)
		}
	}
	if n := logs.FilterMessageSnippet("waiting for it").Len(); n != 1 {
		t.Errorf("want one wait for the other process, got %d", n)
	}
	// Once the holder is gone, the next call refreshes again.
	release()
	if ts.stillBusy() {
		t.Errorf("still busy after the lock was released")
	}
}
