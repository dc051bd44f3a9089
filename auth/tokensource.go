package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// DefaultMargin is how long before expiry an oauth access token is refreshed.
const DefaultMargin = 5 * time.Minute

// refreshTimeout bounds one refresh: waiting for the lock, the request and
// the write.
const refreshTimeout = 2 * time.Minute

// lockWait bounds the wait for another process's refresh: its request is
// bounded by the issuer client's 30 s timeout, and a holder that dies lets
// go of the lock at once.
const lockWait = 45 * time.Second

// TokenSource hands the engine a usable credential before each upstream
// request. auth.json is the truth: it is re-read on every call, so another
// process's login, logout or refresh is seen. Refreshes are shared inside the
// process (concurrent callers wait for one) and serialised across processes
// by Store.Lock.
type TokenSource struct {
	// Now is the clock (nil = time.Now). Set before first use.
	Now func() time.Time
	// Margin: an access token expiring within it is refreshed (0 = DefaultMargin).
	Margin time.Duration
	// LockWait bounds the wait for another process's refresh (0 = 45 s).
	LockWait time.Duration
	// Delegate, when set, runs each refresh elsewhere — in a process of its
	// own that outlives this one's death, so that a rotated refresh token
	// is always written (see RefreshNow) — and the token source reads
	// auth.json afterwards. stale is the access token the upstream refused
	// ("" for a proactive refresh). Set before first use.
	Delegate func(ctx context.Context, reason, stale string) error

	store  *Store
	client *Client
	log    *zap.Logger

	mu      sync.Mutex
	flight  *flight       // the refresh in progress, if any
	unsaved *UnsavedError // a refreshed login auth.json could not take (unsaved.go)
	busyAt  time.Time     // when a wait for another process's refresh last ran out
	wg      sync.WaitGroup
}

// flight is one refresh that any number of callers wait for.
type flight struct {
	done chan struct{}
	cred Credential
	err  error
}

// NewTokenSource reads and refreshes credentials in store through client.
func NewTokenSource(store *Store, client *Client, log *zap.Logger) *TokenSource {
	if log == nil {
		log = zap.NewNop()
	}
	return &TokenSource{store: store, client: client, log: log}
}

func (ts *TokenSource) now() time.Time {
	if ts.Now != nil {
		return ts.Now()
	}
	return time.Now()
}

// expiring tells whether c's access token expires within Margin. The
// token's own exp claim decides, as for the official CLI; the stored
// expires (what opencode writes and reads) only when the token has none.
func (ts *TokenSource) expiring(c Credential) bool {
	margin := ts.Margin
	if margin <= 0 {
		margin = DefaultMargin
	}
	return c.Access == "" || !ts.now().Before(AccessExpiry(c).Add(-margin))
}

// AccessExpiry is when c's access token stops working: its JWT exp, else the
// stored expires.
func AccessExpiry(c Credential) time.Time {
	if exp, ok := Expiry(c.Access); ok {
		return exp
	}
	return c.Expires
}

// Token returns the stored credential, refreshing an oauth one that expires
// within Margin. It returns ErrNoCredential when nothing is stored, an error
// satisfying ErrUnusableEntry when the stored entry cannot be used, and an
// error satisfying ErrReauth when the login can no longer be refreshed (the
// stored entry is then left as it is). Each of these asks for a new login. If a refresh fails for a passing
// reason while the access token is still valid, that token is returned.
func (ts *TokenSource) Token(ctx context.Context) (Credential, error) {
	c, ok, err := ts.store.Load()
	if err != nil {
		return Credential{}, fmt.Errorf("read login: %w", err)
	}
	if !ok {
		return Credential{}, ErrNoCredential
	}
	c = ts.withUnsaved(ctx, c, false)
	if c.Type != TypeOAuth || !ts.expiring(c) {
		return c, nil
	}
	fresh, err := ts.share(ctx, ReasonProactive, "")
	if err != nil {
		passing := !errors.Is(err, ErrReauth) && !errors.Is(err, ErrNoCredential) &&
			!errors.Is(err, ErrUnusableEntry) && !errors.Is(err, ErrCorrupt)
		if passing && ctx.Err() == nil && c.Access != "" && ts.now().Before(AccessExpiry(c)) {
			ts.log.Warn("login refresh failed; using the access token until it expires", zap.Error(err), zap.Time("expires", AccessExpiry(c)))
			return c, nil
		}
		return Credential{}, err
	}
	return fresh, nil
}

// Refresh recovers after the upstream rejected stale (HTTP 401), as the
// official CLI does: auth.json is read again first, and if it holds another
// access token (another process refreshed) that one is returned; only
// otherwise is the login refreshed, with ReasonUnauthorized.
func (ts *TokenSource) Refresh(ctx context.Context, stale Credential) (Credential, error) {
	return ts.share(ctx, ReasonUnauthorized, stale.Access)
}

// RefreshNow refreshes the stored login if it still needs it, in this
// process, under the cross-process lock: for ReasonUnauthorized if
// auth.json still holds the access token stale, otherwise if its access
// token expires within Margin. It is what a Delegate's process runs.
func (ts *TokenSource) RefreshNow(ctx context.Context, reason, stale string) (Credential, error) {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	return ts.refresh(ctx, reason, ts.needs(stale))
}

// needs tells whether a stored credential still needs the refresh asked
// for: the one the upstream refused (stale) is still there, or, for a
// proactive refresh (stale ""), its access token is expiring.
func (ts *TokenSource) needs(stale string) func(Credential) bool {
	if stale != "" {
		return func(c Credential) bool { return c.Access == stale }
	}
	return ts.expiring
}

// Close waits for a refresh in flight to finish writing auth.json.
func (ts *TokenSource) Close() {
	ts.wg.Wait()
}

// share joins the refresh in flight or starts one. needs tells, from the
// caller's point of view, whether a credential still needs refreshing: a
// joined flight that was started for another reason is joined once more.
func (ts *TokenSource) share(ctx context.Context, reason, stale string) (Credential, error) {
	needs := ts.needs(stale)
	for attempt := 0; ; attempt++ {
		ts.mu.Lock()
		f, own := ts.flight, false
		if f == nil {
			f, own = &flight{done: make(chan struct{})}, true
			ts.flight = f
			ts.wg.Add(1)
			// The refresh outlives a caller that gives up: a rotated refresh
			// token must be written even if nobody waits for it any more.
			go ts.run(context.WithoutCancel(ctx), f, reason, stale)
		}
		ts.mu.Unlock()
		if !own {
			ts.log.Debug("waiting for the login refresh in flight")
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return Credential{}, fmt.Errorf("refresh login: %w", ctx.Err())
		}
		if own || f.err != nil || !needs(f.cred) || attempt > 0 {
			return f.cred, f.err
		}
	}
}

func (ts *TokenSource) run(ctx context.Context, f *flight, reason, stale string) {
	defer ts.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			f.cred, f.err = Credential{}, fmt.Errorf("refresh login: internal error: %v", r)
		}
		ts.mu.Lock()
		ts.flight = nil
		if errors.Is(f.err, ErrRefreshBusy) {
			ts.busyAt = ts.now()
		}
		ts.mu.Unlock()
		close(f.done)
	}()
	// One request asks for the login several times (the model list, the
	// turn, each step): once a wait for another process's refresh ran out,
	// the next callers are told at once while that process still holds
	// the lock, instead of waiting the whole time again each (45 s became
	// 135 s before the user heard anything).
	if ts.stillBusy() {
		f.err = fmt.Errorf("refresh login: %w (still)", ErrRefreshBusy)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	ts.mu.Lock()
	held := ts.unsaved != nil
	ts.mu.Unlock()
	// A login held in memory is known to this process only: a helper
	// would refresh the spent one on file.
	if ts.Delegate == nil || held {
		f.cred, f.err = ts.settle(ts.refresh(ctx, reason, ts.needs(stale)))
		return
	}
	if err := ts.Delegate(ctx, reason, stale); errors.Is(err, ErrNoDelegate) {
		ts.log.Warn("the refresh helper could not start; refreshing in this process", zap.Error(err))
		f.cred, f.err = ts.settle(ts.refresh(ctx, reason, ts.needs(stale)))
		return
	} else if ue := (*UnsavedError)(nil); errors.As(err, &ue) {
		// The helper refreshed but could not write: this process holds
		// the only copy now.
		f.cred, f.err = ts.settle(Credential{}, err)
		return
	} else if err != nil {
		f.err = fmt.Errorf("refresh login: %w", err)
		return
	}
	stored, ok, err := ts.store.Load()
	switch {
	case err != nil:
		f.err = fmt.Errorf("refresh login: %w", err)
	case !ok:
		f.err = ErrNoCredential
	default:
		f.cred = ts.withUnsaved(ctx, stored, false)
	}
}

// lock takes the cross-process lock, saying so when another process holds
// it, and waiting for it at most LockWait.
func (ts *TokenSource) lock(ctx context.Context) (func(), error) {
	wait := ts.LockWait
	if wait <= 0 {
		wait = lockWait
	}
	lctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	unlock, err := ts.store.LockNotify(lctx, func() {
		ts.log.Info("another deckhand process is refreshing the login; waiting for it", zap.Duration("atMost", wait))
	})
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w (waited %s)", ErrRefreshBusy, wait)
	}
	return unlock, err
}

// refresh runs under the cross-process lock, re-reading auth.json first. The
// new tokens are written the moment they arrive: the refresh token they
// replace is spent.
func (ts *TokenSource) refresh(ctx context.Context, reason string, needs func(Credential) bool) (Credential, error) {
	unlock, err := ts.lock(ctx)
	if err != nil {
		return Credential{}, fmt.Errorf("refresh login: %w", err)
	}
	defer unlock()
	stored, ok, err := ts.store.Load()
	if err != nil {
		return Credential{}, fmt.Errorf("refresh login: %w", err)
	}
	if !ok {
		return Credential{}, ErrNoCredential // logged out meanwhile
	}
	onFile := stored.Refresh
	stored = ts.withUnsaved(ctx, stored, true)
	if stored.Type != TypeOAuth || !needs(stored) {
		ts.log.Debug("login already refreshed by another process")
		return stored, nil
	}
	tok, err := ts.client.Refresh(ctx, stored.Refresh, reason)
	if err != nil {
		ts.log.Warn("login refresh failed", zap.Error(err), zap.Bool("reauth", errors.Is(err, ErrReauth)))
		return Credential{}, fmt.Errorf("refresh login: %w", err)
	}
	fresh := tok.Credential(ts.now(), stored.AccountID)
	if fresh.Refresh == "" {
		fresh.Refresh = stored.Refresh
	}
	if err := ts.store.Save(fresh); err != nil {
		// The refresh token just replaced is spent: never drop the new one.
		return fresh, &UnsavedError{Cred: fresh, From: onFile, Err: err}
	}
	ts.log.Info("login refreshed", zap.String("reason", reason), zap.Time("expires", fresh.Expires), zap.String("accountId", fresh.AccountID))
	return fresh, nil
}

// stillBusy reports whether a wait for another process's refresh ran out
// lately and that process still holds the lock.
func (ts *TokenSource) stillBusy() bool {
	wait := ts.LockWait
	if wait <= 0 {
		wait = lockWait
	}
	ts.mu.Lock()
	at := ts.busyAt
	ts.mu.Unlock()
	if at.IsZero() || ts.now().Sub(at) > wait {
		return false
	}
	return ts.store.lockHeld()
}
