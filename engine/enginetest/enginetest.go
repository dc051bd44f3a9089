// Package enginetest builds a real engine for the tests of the packages
// above it (the faces, cmd): logged in to the strict fake of the upstream
// services on 127.0.0.1, closed when the test ends, and a Recorder to drive
// it as a client would. Model: crush's internal/agent/agenttest.
//
// Production code never imports it (deps_test.go).
package enginetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/auth"
	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// LoggedIn returns an engine logged in with ChatGPT to a new fake of the
// upstream services, and the fake. cfg sets what the test needs; its Home
// and the fake's addresses are filled in. The engine is not closed at the
// test's end: whoever runs it (a face's Run) closes it, or the test does.
func LoggedIn(t testing.TB, cfg engine.Config) (*engine.Engine, *upstreamtest.Server) {
	t.Helper()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	if cfg.Home == "" {
		cfg.Home = t.TempDir()
	}
	tok := fake.Mint()
	if err := auth.NewStore(cfg.Home).Save(auth.Credential{Type: "oauth", Access: tok.AccessToken, Refresh: tok.RefreshToken,
		Expires: time.Now().Add(time.Hour), AccountID: "acct_test_1"}); err != nil {
		t.Fatal(err)
	}
	cfg.Issuer, cfg.CodexBaseURL, cfg.APIBaseURL = fake.Issuer(), fake.CodexBase(), fake.APIBase()
	if cfg.Version == "" {
		cfg.Version = "test"
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = time.Millisecond
	}
	return engine.New(cfg), fake
}

// Recorder is an engine.Client that keeps every event and permission
// request, and answers each request with Verdict.
type Recorder struct {
	mu       sync.Mutex
	events   []engine.TurnEvent
	asked    []engine.PermissionRequest
	verdict  engine.Verdict
	answered func(engine.PermissionRequest) (engine.Verdict, error)
}

// NewRecorder answers every permission request with v.
func NewRecorder(v engine.Verdict) *Recorder { return &Recorder{verdict: v} }

// Answer makes f answer the permission requests from now on.
func (r *Recorder) Answer(f func(engine.PermissionRequest) (engine.Verdict, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answered = f
}

// TurnEvent implements engine.Client.
func (r *Recorder) TurnEvent(ev engine.TurnEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// LoginCompleted implements engine.Client.
func (r *Recorder) LoginCompleted(engine.LoginEvent) {}

// Review implements engine.Client.
func (r *Recorder) Review(_ context.Context, req engine.PermissionRequest) (engine.Verdict, error) {
	r.mu.Lock()
	r.asked = append(r.asked, req)
	f, v := r.answered, r.verdict
	r.mu.Unlock()
	if f != nil {
		return f(req)
	}
	return v, nil
}

// Events returns the events so far of the given kinds (none: all).
func (r *Recorder) Events(kinds ...engine.EventKind) []engine.TurnEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []engine.TurnEvent
	for _, ev := range r.events {
		if len(kinds) == 0 || slices.Contains(kinds, ev.Kind) {
			out = append(out, ev)
		}
	}
	return out
}

// Asked returns the permission requests so far.
func (r *Recorder) Asked() []engine.PermissionRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]engine.PermissionRequest(nil), r.asked...)
}
