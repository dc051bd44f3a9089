package engine

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/auth"
	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// recorder is a Client that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []TurnEvent
}

func (r *recorder) TurnEvent(ev TurnEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}
func (r *recorder) LoginCompleted(LoginEvent) {}
func (r *recorder) Review(context.Context, PermissionRequest) (Verdict, error) {
	return Verdict{Decision: Allow}, nil
}

// testEngine is an engine logged in to a fake Codex backend, with the given
// tools instead of the real ones.
func testEngine(t *testing.T, ts ...tools.Tool) (*Engine, *upstreamtest.Server) {
	t.Helper()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	tok := fake.Mint()
	if err := auth.NewStore(home).Save(auth.Credential{Type: "oauth", Access: tok.AccessToken, Refresh: tok.RefreshToken,
		Expires: time.Now().Add(time.Hour), AccountID: "acct_test_1"}); err != nil {
		t.Fatal(err)
	}
	e := New(Config{Version: "test", Home: home, Issuer: fake.Issuer(), CodexBaseURL: fake.CodexBase(),
		APIBaseURL: fake.APIBase(), AllowAll: true, RetryBase: time.Millisecond})
	if len(ts) > 0 {
		// A model is offered only its entry's tools: the test's own tools
		// need an entry that names none of the official client's.
		e.tools = ts
		classicCatalog(fake)
	}
	if _, err := e.Attach(&recorder{}, t.TempDir(), false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e, fake
}

// probe is a tool that counts how many of its calls run at once.
type probe struct {
	name     string
	readOnly bool
	running  *atomic.Int32
	maxSeen  *atomic.Int32
	barrier  *sync.WaitGroup // when set, each call waits for all to start
}

func (p probe) Name() string           { return p.name }
func (p probe) Description() string    { return "test probe" }
func (p probe) Schema() map[string]any { return map[string]any{"type": "object"} }
func (p probe) ReadOnly() bool         { return p.readOnly }
func (p probe) Run(ctx context.Context, env *tools.Env, args json.RawMessage) (tools.Result, error) {
	n := p.running.Add(1)
	defer p.running.Add(-1)
	for {
		m := p.maxSeen.Load()
		if n <= m || p.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if p.barrier != nil {
		p.barrier.Done()
		done := make(chan struct{})
		go func() { p.barrier.Wait(); close(done) }()
		select {
		case <-done:
			return tools.Result{Output: "met the others"}, nil
		case <-time.After(10 * time.Second):
			return tools.Result{Output: "ran alone", IsError: true}, nil
		}
	}
	time.Sleep(20 * time.Millisecond)
	return tools.Result{Output: "done"}, nil
}

func TestReadOnlyCallsOfAStepRunConcurrently(t *testing.T) {
	var running, maxSeen atomic.Int32
	var barrier sync.WaitGroup
	barrier.Add(3)
	look := probe{name: "look", readOnly: true, running: &running, maxSeen: &maxSeen, barrier: &barrier}
	e, fake := testEngine(t, look)
	fake.PushCodex(upstreamtest.Step().Call("a", "look", `{}`).Call("b", "look", `{}`).Call("c", "look", `{}`).Reply(),
		upstreamtest.Text("done"))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "look"})
	if err != nil {
		t.Fatal(err)
	}
	if res.StopReason != StopEndTurn || maxSeen.Load() != 3 {
		t.Fatalf("stop %s, at most %d calls at once; want 3", res.StopReason, maxSeen.Load())
	}
	reqs := fake.RequestsTo("/backend-api/codex/responses")
	for _, it := range reqs[1].JSON()["input"].([]any) {
		m := it.(map[string]any)
		if m["type"] == "function_call_output" && m["output"] != "met the others" {
			t.Errorf("call %v: %v", m["call_id"], m["output"])
		}
	}
}

func TestMutatingCallsRunOneAtATime(t *testing.T) {
	var running, maxSeen atomic.Int32
	change := probe{name: "change", running: &running, maxSeen: &maxSeen}
	e, fake := testEngine(t, change)
	fake.PushCodex(upstreamtest.Step().Call("a", "change", `{}`).Call("b", "change", `{}`).Reply(), upstreamtest.Text("done"))
	if _, err := e.Chat(context.Background(), ChatRequest{Message: "change"}); err != nil {
		t.Fatal(err)
	}
	if maxSeen.Load() != 1 {
		t.Errorf("%d mutating calls ran at once", maxSeen.Load())
	}
}

func TestRepairAnswersEveryCall(t *testing.T) {
	h := []Item{
		{Kind: ItemUser, Text: "go"},
		{Kind: ItemCall, CallID: "a", Name: "read"},
		{Kind: ItemOutput, CallID: "a", Text: "ok"},
		{Kind: ItemCall, CallID: "b", Name: "bash"},
		{Kind: ItemCall, CallID: "c", Name: "read"},
	}
	got := repair(h, "cancelled by the user")
	outs := map[string]string{}
	for i, it := range got {
		if it.Kind == ItemOutput {
			outs[it.CallID] = it.Text
			if i == 0 || got[i-1].Kind == ItemUser {
				t.Errorf("output %s not after its call", it.CallID)
			}
		}
	}
	want := map[string]string{"a": "ok", "b": "cancelled by the user", "c": "cancelled by the user"}
	for k, v := range want {
		if outs[k] != v {
			t.Errorf("output %s = %q, want %q", k, outs[k], v)
		}
	}
	if len(got) != 7 {
		t.Errorf("%d items, want 7", len(got))
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	base := 100 * time.Millisecond
	for attempt := 1; attempt <= 3; attempt++ {
		d := base << (attempt - 1)
		for range 50 {
			got := backoff(base, attempt)
			if got < d*3/4 || got > d*5/4 {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, got, d*3/4, d*5/4)
			}
		}
	}
}

func TestReasoningSettingsOnlyForReasoningModels(t *testing.T) {
	e, fake := testEngine(t)
	fake.SetCodexModels("gpt-5.5", "gpt-4.1")
	fake.PushCodex(upstreamtest.Text("a"), upstreamtest.Text("b"))
	for _, model := range []string{"gpt-5.5", "gpt-4.1"} {
		if _, err := e.Chat(context.Background(), ChatRequest{Message: "hi", Model: model}); err != nil {
			t.Fatal(err)
		}
	}
	reqs := fake.RequestsTo("/backend-api/codex/responses")
	if _, ok := reqs[0].JSON()["reasoning"]; !ok {
		t.Errorf("gpt-5.5 request has no reasoning settings")
	}
	if _, ok := reqs[1].JSON()["reasoning"]; ok {
		t.Errorf("gpt-4.1 request carries reasoning settings")
	}
	if _, ok := reqs[1].JSON()["include"]; ok {
		t.Errorf("gpt-4.1 request asks for encrypted reasoning")
	}
}
