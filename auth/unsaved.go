package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// A refreshed login auth.json could not take (a full disk, a read-only
// home): the refresh token it replaces is already spent at the issuer, so
// the new one is the only copy. It is never dropped: the token source that
// holds it uses it, and writes it on every later call until the write
// works (or the stored login is replaced by a new one, a login elsewhere).

// UnsavedError is a refresh that worked but could not be written. Cred is
// the new login, From the refresh token it replaced. Its message carries
// no secret.
type UnsavedError struct {
	Cred Credential
	From string
	Err  error
}

func (e *UnsavedError) Error() string {
	return fmt.Sprintf("the refreshed login could not be written to auth.json (it is kept in memory): %v", e.Err)
}

func (e *UnsavedError) Unwrap() error { return e.Err }

// unsavedWire is how a refresh helper hands an UnsavedError to its parent
// (over a pipe only the two share).
type unsavedWire struct {
	Access, Refresh, AccountID, From string
	Expires                          time.Time
}

// EncodeUnsaved is the wire form of an UnsavedError in err, if any.
func EncodeUnsaved(err error) (json.RawMessage, bool) {
	var ue *UnsavedError
	if !errors.As(err, &ue) {
		return nil, false
	}
	b, jerr := json.Marshal(unsavedWire{Access: ue.Cred.Access, Refresh: ue.Cred.Refresh, AccountID: ue.Cred.AccountID,
		Expires: ue.Cred.Expires, From: ue.From})
	return b, jerr == nil
}

// DecodeUnsaved rebuilds the UnsavedError a helper reported; nil when raw
// is not one.
func DecodeUnsaved(raw json.RawMessage, cause string) *UnsavedError {
	var w unsavedWire
	if json.Unmarshal(raw, &w) != nil || w.Refresh == "" {
		return nil
	}
	return &UnsavedError{Cred: Credential{Type: TypeOAuth, Access: w.Access, Refresh: w.Refresh, AccountID: w.AccountID,
		Expires: w.Expires}, From: w.From, Err: errors.New(cause)}
}

// keep holds ue's login until it is written.
func (ts *TokenSource) keep(ue *UnsavedError) {
	ts.mu.Lock()
	ts.unsaved = ue
	ts.mu.Unlock()
	ts.log.Error("the refreshed login could not be written to auth.json; it is kept in memory and written as soon as it can be",
		zap.Error(ue.Err))
}

// settle turns a refresh that could not be written into a success with the
// login held in memory.
func (ts *TokenSource) settle(c Credential, err error) (Credential, error) {
	var ue *UnsavedError
	if errors.As(err, &ue) {
		ts.keep(ue)
		return ue.Cred, nil
	}
	return c, err
}

// withUnsaved is stored, or the login held in memory when it is newer:
// auth.json still holds the refresh token it replaced. It tries the write
// again first (locked is whether the cross-process lock is held).
func (ts *TokenSource) withUnsaved(ctx context.Context, stored Credential, locked bool) Credential {
	ts.mu.Lock()
	ue := ts.unsaved
	ts.mu.Unlock()
	if ue == nil {
		return stored
	}
	if stored.Refresh != ue.From && stored.Refresh != ue.Cred.Refresh {
		// A new login replaced the one refreshed: it wins.
		ts.forget(ue)
		return stored
	}
	if stored.Refresh == ue.Cred.Refresh {
		ts.forget(ue) // written (by another path) meanwhile
		return stored
	}
	if !locked {
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		unlock, err := ts.store.LockNotify(lctx, func() {})
		cancel()
		if err != nil {
			return ue.Cred
		}
		defer unlock()
		if again, ok, err := ts.store.Load(); err != nil || !ok || again.Refresh != ue.From {
			return ue.Cred
		}
	}
	if err := ts.store.Save(ue.Cred); err != nil {
		ts.log.Debug("the refreshed login still cannot be written", zap.Error(err))
		return ue.Cred
	}
	ts.forget(ue)
	ts.log.Info("the refreshed login held in memory is written to auth.json at last")
	return ue.Cred
}

func (ts *TokenSource) forget(ue *UnsavedError) {
	ts.mu.Lock()
	if ts.unsaved == ue {
		ts.unsaved = nil
	}
	ts.mu.Unlock()
}

// FlushUnsaved tries once more to write a login held in memory; deckhand
// calls it before it exits.
func (ts *TokenSource) FlushUnsaved(ctx context.Context) {
	ts.mu.Lock()
	held := ts.unsaved != nil
	ts.mu.Unlock()
	if !held {
		return // nothing to write: auth.json is not even read
	}
	if stored, ok, err := ts.store.Load(); err == nil && ok {
		ts.withUnsaved(ctx, stored, false)
	}
}
