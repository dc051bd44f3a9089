package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/auth"
	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// stuck is a tool that ignores its context, as a tool blocked in a system
// call would.
type stuck struct {
	release chan struct{}
	started chan struct{} // has room for one: Run says it began
}

func (stuck) Name() string           { return "stuck" }
func (stuck) Description() string    { return "never returns in time" }
func (stuck) Schema() map[string]any { return map[string]any{"type": "object"} }
func (stuck) ReadOnly() bool         { return true }
func (s stuck) Run(context.Context, *tools.Env, json.RawMessage) (tools.Result, error) {
	select {
	case s.started <- struct{}{}:
	default:
	}
	<-s.release
	return tools.Result{Output: "late"}, nil
}

func TestCancelEndsTurnDespiteAStuckTool(t *testing.T) {
	tool := stuck{release: make(chan struct{}), started: make(chan struct{}, 1)}
	defer close(tool.release)
	e, fake := testEngine(t, tool)
	fake.PushCodex(upstreamtest.Step().Call("s1", "stuck", `{}`).Reply())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan TurnResult, 1)
	go func() {
		res, _ := e.Chat(ctx, ChatRequest{Message: "go"})
		done <- res
	}()
	// Cancel once the tool runs, so that the turn must leave it behind
	// (not merely end before it starts).
	select {
	case <-tool.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the stuck tool never started")
	}
	cancel()
	select {
	case res := <-done:
		if res.StopReason != StopCancelled {
			t.Errorf("stop %s", res.StopReason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the turn waited for a tool that ignores its cancel")
	}
}

// serial is a client that fails the test if TurnEvent is ever entered twice
// at once.
type serial struct {
	recorder
	in     atomic.Int32
	broken atomic.Bool
}

func (s *serial) TurnEvent(ev TurnEvent) {
	if s.in.Add(1) > 1 {
		s.broken.Store(true)
	}
	time.Sleep(time.Millisecond)
	s.in.Add(-1)
	s.recorder.TurnEvent(ev)
}

func TestTurnEventsComeOneAtATime(t *testing.T) {
	e, fake := testEngine(t)
	c := &serial{}
	if _, err := e.Attach(c, t.TempDir(), false); err != nil {
		t.Fatal(err)
	}
	step := upstreamtest.Step()
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		step = step.Call(id, "list", `{}`)
	}
	fake.PushCodex(step.Reply(), upstreamtest.Text("done"))
	if _, err := e.Chat(context.Background(), ChatRequest{Message: "go"}); err != nil {
		t.Fatal(err)
	}
	if c.broken.Load() {
		t.Error("TurnEvent was called from two goroutines at once")
	}
}

func TestNoRetryAfterTextReachedTheEditor(t *testing.T) {
	e, fake := testEngine(t)
	rec := &recorder{}
	e.Attach(rec, t.TempDir(), false)
	fake.PushCodex(upstreamtest.Step().Text("Hello world").Abort().Reply(), upstreamtest.Text("Hello world"))
	_, err := e.Chat(context.Background(), ChatRequest{Message: "hi"})
	var u *UpstreamError
	if !errors.As(err, &u) || !strings.Contains(u.Message, "send your message again") {
		t.Fatalf("err = %v", err)
	}
	var text strings.Builder
	for _, ev := range rec.events {
		if ev.Kind == EventDelta {
			text.WriteString(ev.Text)
		}
	}
	if text.String() != "Hello world" {
		t.Errorf("deltas %q: streamed twice?", text.String())
	}
	if n := len(fake.RequestsTo("/backend-api/codex/responses")); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestReasoningWithoutEncryptedContentIsNotReplayed(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Step().Reasoning("thinking", "").Call("c", "list", `{}`).Reply(), upstreamtest.Text("ok"))
	if _, err := e.Chat(context.Background(), ChatRequest{Message: "hi"}); err != nil {
		t.Fatal(err)
	}
	for _, it := range fake.RequestsTo("/backend-api/codex/responses")[1].JSON()["input"].([]any) {
		if it.(map[string]any)["type"] == "reasoning" {
			t.Errorf("reasoning item without encrypted content sent back: %v", it)
		}
	}
}

func TestChatUsesTheModelsDefault(t *testing.T) {
	e, fake := testEngine(t)
	fake.SetCodexModels("gpt-5.4", "gpt-5.3-codex")
	if _, def, err := e.Models(context.Background()); err != nil || def != "gpt-5.4" {
		t.Fatalf("models default %q, %v", def, err)
	}
	fake.PushCodex(upstreamtest.Text("ok"))
	if _, err := e.Chat(context.Background(), ChatRequest{Message: "hi"}); err != nil {
		t.Fatal(err)
	}
	if m := fake.RequestsTo("/backend-api/codex/responses")[0].JSON()["model"]; m != "gpt-5.4" {
		t.Errorf("chat used %v", m)
	}
}

func TestModelsHonoursCancel(t *testing.T) {
	e, _ := testEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := e.Models(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestCancelDuringTokenRefresh(t *testing.T) {
	fake := upstreamtest.New()
	defer fake.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		http.Error(w, "too late", http.StatusServiceUnavailable)
	}))
	defer slow.Close()
	home := t.TempDir()
	tok := fake.Mint()
	auth.NewStore(home).Save(auth.Credential{Type: "oauth", Access: tok.AccessToken, Refresh: tok.RefreshToken,
		Expires: time.Now().Add(time.Minute), AccountID: "a"}) // inside the refresh margin
	e := New(Config{Version: "test", Home: home, Issuer: slow.URL, CodexBaseURL: fake.CodexBase()})
	defer e.Close()
	defer close(release) // before Close, which waits for the refresh to end
	e.Attach(&recorder{}, t.TempDir(), false)
	done := make(chan TurnResult, 1)
	go func() {
		res, _ := e.Chat(context.Background(), ChatRequest{Message: "hi"})
		done <- res
	}()
	var sid string
	for deadline := time.Now().Add(5 * time.Second); sid == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		e.mu.Lock()
		for id := range e.sessions {
			sid = id
		}
		e.mu.Unlock()
	}
	if ok, err := e.CancelSession(sid); !ok || err != nil {
		t.Fatalf("cancel during the refresh: %v, %v", ok, err)
	}
	select {
	case res := <-done:
		if res.StopReason != StopCancelled {
			t.Errorf("stop %q", res.StopReason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cancel did not end the turn")
	}
}

// A turn longer than its access token's life gets a fresh token before each
// request, not only on a 401.
func TestEachStepRefreshesAnExpiringToken(t *testing.T) {
	e, fake := testEngine(t)
	classicCatalog(fake) // the hook below is offered
	fake.PushCodex(upstreamtest.Step().Call("c1", "list", `{}`).Reply(), upstreamtest.Text("done"))
	// Between the two steps, the stored token comes within the refresh
	// margin: its own exp does (the stored expires alone does not decide).
	e.tools = []tools.Tool{hook{name: "list", fn: func() {
		fake.SetTokenTTL(time.Minute)
		m := fake.Mint()
		cred, _, _ := e.store.Load()
		cred.Access, cred.Refresh = m.AccessToken, m.RefreshToken
		cred.Expires = time.Now().Add(time.Hour)
		e.store.Save(cred)
	}}}
	if _, err := e.Chat(context.Background(), ChatRequest{Message: "go"}); err != nil {
		t.Fatal(err)
	}
	reqs := fake.RequestsTo("/backend-api/codex/responses")
	if fake.RefreshCount() != 1 || reqs[0].Header.Get("Authorization") == reqs[1].Header.Get("Authorization") {
		t.Errorf("refreshes %d; the second step used the same token: %v", fake.RefreshCount(),
			reqs[0].Header.Get("Authorization") == reqs[1].Header.Get("Authorization"))
	}
}

// hook is a read-only tool that runs fn.
type hook struct {
	name string
	fn   func()
}

func (h hook) Name() string           { return h.name }
func (h hook) Description() string    { return "test hook" }
func (h hook) Schema() map[string]any { return map[string]any{"type": "object"} }
func (h hook) ReadOnly() bool         { return true }
func (h hook) Run(context.Context, *tools.Env, json.RawMessage) (tools.Result, error) {
	h.fn()
	return tools.Result{Output: "ok"}, nil
}
