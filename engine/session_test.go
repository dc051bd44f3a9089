package engine

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// asker is a Client that answers permission requests and remembers them.
type asker struct {
	recorder
	mu       sync.Mutex
	asked    []PermissionRequest
	decision Decision
	reason   string
	err      error
}

func (a *asker) Review(_ context.Context, req PermissionRequest) (Verdict, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, req)
	return Verdict{Decision: a.decision, Reason: a.reason}, a.err
}

func TestSessionsHaveTheirOwnRootAndPermissions(t *testing.T) {
	e, fake := testEngine(t, tools.All()...)
	e.cfg.AllowAll = false
	rootA, rootB := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(rootA, "a.txt"), []byte("in A\n"), 0o600)
	os.WriteFile(filepath.Join(rootB, "b.txt"), []byte("in B\n"), 0o600)
	askA := &asker{decision: Allow}
	a, err := e.NewSession(SessionOptions{Root: rootA, Permissions: true, Client: askA})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.NewSession(SessionOptions{Root: rootB}) // cannot ask
	if err != nil {
		t.Fatal(err)
	}

	// A reads its own file and writes with permission, asked of its client.
	fake.PushCodex(upstreamtest.Step().Call("r", "read", `{"path":"a.txt"}`).Call("w", "write", `{"path":"new.txt","content":"x"}`).Reply(),
		upstreamtest.Text("ok"))
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: a, Message: "go"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(rootA, "new.txt")); err != nil {
		t.Errorf("write in session A did not land in A's root: %v", err)
	}
	if len(askA.asked) != 1 || askA.asked[0].SessionID != a {
		t.Errorf("session A's client was asked %v", askA.asked)
	}
	var sawA bool
	for _, ev := range askA.events {
		if ev.Kind == EventToolResult && ev.Name == "read" && strings.Contains(ev.Output, "in A") {
			sawA = true
		}
	}
	if !sawA {
		t.Errorf("session A's events did not reach its own client: %+v", askA.events)
	}

	// B cannot see A's file, and may not write: its client cannot ask.
	fake.PushCodex(upstreamtest.Step().Call("r", "read", `{"path":"a.txt"}`).Call("w", "write", `{"path":"new.txt","content":"x"}`).Reply(),
		upstreamtest.Text("ok"))
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: b, Message: "go"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(rootB, "new.txt")); err == nil {
		t.Error("session B wrote without a way to ask")
	}
	reqs := fake.RequestsTo("/backend-api/codex/responses")
	var outputs []string
	for _, it := range reqs[len(reqs)-1].JSON()["input"].([]any) {
		if m := it.(map[string]any); m["type"] == "function_call_output" {
			outputs = append(outputs, m["output"].(string))
		}
	}
	if len(outputs) != 2 || strings.Contains(outputs[0], "in A") || !strings.Contains(outputs[1], "not allowed") {
		t.Errorf("session B's outputs: %q", outputs)
	}
	// The root is named in the environment context (and, for a model on
	// deckhand's own tools, in deckhand's prompt too).
	if input, _ := json.Marshal(reqs[len(reqs)-1].JSON()["input"]); !strings.Contains(string(input), filepath.Base(rootB)) {
		t.Error("session B's request does not name its root")
	}
}

func TestNewSessionRefusesABadRoot(t *testing.T) {
	e, _ := testEngine(t)
	_, err := e.NewSession(SessionOptions{Root: filepath.Join(t.TempDir(), "missing")})
	var ip *InvalidParamsError
	if !errors.As(err, &ip) || ip.Field != "workspaceRoot" || !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("got %T %v", err, err)
	}
}

func TestTypedErrors(t *testing.T) {
	e, _ := testEngine(t)
	err := e.CheckChat(ChatRequest{SessionID: "ses_nope", Message: "hi"})
	var us *UnknownSessionError
	if !errors.As(err, &us) || us.SessionID != "ses_nope" || !errors.Is(err, ErrUnknownSession) {
		t.Errorf("unknown session: %T %v", err, err)
	}
	if err := e.CheckChat(ChatRequest{Message: " "}); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("blank message: %v", err)
	}
	_, err = e.CancelFlow("flow_nope")
	var uf *UnknownFlowError
	if !errors.As(err, &uf) || uf.FlowID != "flow_nope" || !errors.Is(err, ErrUnknownFlow) {
		t.Errorf("unknown flow: %T %v", err, err)
	}
	for _, err := range []error{us, uf, &InvalidParamsError{Field: "message", Problem: "is blank"}} {
		for _, face := range []string{"connect", "startOAuth", "sessionId", "sessions/"} {
			if strings.Contains(err.Error(), face) {
				t.Errorf("%q names the JSON-RPC face (%s)", err, face)
			}
		}
	}
}

func TestNotLoggedInIsTyped(t *testing.T) {
	e := New(Config{Version: "test", Home: t.TempDir()})
	defer e.Close()
	e.Attach(&recorder{}, t.TempDir(), false)
	_, err := e.Chat(context.Background(), ChatRequest{Message: "hi"})
	var ar *AuthRequiredError
	if !errors.As(err, &ar) || ar.Cause != AuthNotLoggedIn || strings.Contains(ar.Reason, "connect") {
		t.Fatalf("got %T %v", err, err)
	}
}

func TestItemsRoundTripThroughJSON(t *testing.T) {
	h := []Item{
		{Kind: ItemUser, Text: "go"},
		{Kind: ItemReasoning, Summary: []string{"think"}, Encrypted: "enc"},
		{Kind: ItemCall, CallID: "c1", Name: "read", Arguments: `{"path":"a"}`},
		{Kind: ItemOutput, CallID: "c1", Name: "read", Text: "body", OK: true},
		{Kind: ItemAssistant, Text: "done"},
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back []Item
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range h {
		if back[i].Check() != nil || back[i].Kind != h[i].Kind || back[i].Text != h[i].Text || back[i].OK != h[i].OK ||
			back[i].Arguments != h[i].Arguments || back[i].Encrypted != h[i].Encrypted {
			t.Errorf("item %d: %+v, want %+v", i, back[i], h[i])
		}
	}
	if (Item{Kind: "bogus"}).Check() == nil || (Item{Kind: ItemCall}).Check() == nil {
		t.Error("Check accepts an unusable item")
	}
}

func TestResumeSessionGivesAStoredSessionANewClient(t *testing.T) {
	e, fake := testEngine(t, tools.All()...)
	fake.PushCodex(upstreamtest.Text("one"))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "first"})
	if err != nil {
		t.Fatal(err)
	}
	e.CloseSession(res.SessionID)
	elsewhere := t.TempDir()
	os.WriteFile(filepath.Join(elsewhere, "here.txt"), []byte("moved\n"), 0o600)
	c := &asker{decision: Allow}
	if err := e.ResumeSession(res.SessionID, SessionOptions{Root: elsewhere, Permissions: true, Client: c}); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(upstreamtest.Step().Call("r", "read", `{"path":"here.txt"}`).Reply(), upstreamtest.Text("two"))
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "second"}); err != nil {
		t.Fatal(err)
	}
	var read bool
	for _, ev := range c.events {
		if ev.Kind == EventToolResult && strings.Contains(ev.Output, "moved") {
			read = true
		}
	}
	if !read {
		t.Errorf("the resumed session did not work in the new root for the new client: %+v", c.events)
	}
	if in := lastInput(t, fake); len(in) != 6 { // the environment context first
		t.Errorf("the resumed request carries %d items, want 6", len(in))
	}
	if err := e.ResumeSession("ses_none", SessionOptions{}); !errors.Is(err, ErrUnknownSession) {
		t.Errorf("unknown: %v", err)
	}
}
