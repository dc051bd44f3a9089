package auth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

const lockPoll = 25 * time.Millisecond

// staleLock is how old auth.json's lock file must be, where flock does not
// exist, before it is taken to belong to a process that died holding it.
const staleLock = 2 * time.Minute

// Lock takes the exclusive advisory lock that serialises refreshes (and other
// read-modify-writes of auth.json) across deckhand processes. It waits until
// the lock is free or ctx ends. The lock is per open file, so it also
// excludes other callers in the same process; it is not reentrant. unlock is
// idempotent.
func (s *Store) Lock(ctx context.Context) (unlock func(), err error) {
	return s.LockNotify(ctx, nil)
}

// LockNotify is Lock, calling waiting (when not nil) once if the lock is
// held by someone else. Once the lock is taken, what a writer that died
// mid-write left behind is settled (see recoverTemps).
func (s *Store) LockNotify(ctx context.Context, waiting func()) (unlock func(), err error) {
	if err := os.MkdirAll(s.home, 0o700); err != nil {
		return nil, fmt.Errorf("lock auth.json: %w", err)
	}
	path := filepath.Join(s.home, "auth.json.lock")
	for {
		release, err := TryLock(path, staleLock)
		if err != nil {
			return nil, fmt.Errorf("lock auth.json: %w", err)
		}
		if release != nil {
			var once sync.Once
			s.recoverTemps()
			return func() { once.Do(release) }, nil
		}
		if waiting != nil {
			waiting()
			waiting = nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock auth.json: waiting for another deckhand: %w", ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// lockHeld reports whether another holder has auth.json's lock now.
func (s *Store) lockHeld() bool {
	release, err := TryLock(filepath.Join(s.home, "auth.json.lock"), staleLock)
	if err != nil || release == nil {
		return err == nil
	}
	release()
	return false
}
