package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// newWindow has the engine ask the catalog again, as a new process would,
// after the fake's window changed.
func newWindow(e *Engine, fake *upstreamtest.Server, tokens int) {
	fake.SetContextWindow(tokens)
	e.catalogs.mu.Lock()
	e.catalogs.asked = false
	e.catalogs.mu.Unlock()
}

// triggerRequests are the requests that asked for a compaction.
func triggerRequests(fake *upstreamtest.Server) int {
	n := 0
	for _, r := range fake.RequestsTo(upstreamtest.PathCodexResponses) {
		in, _ := r.JSON()["input"].([]any)
		if m, _ := in[len(in)-1].(map[string]any); m["type"] == "compaction_trigger" {
			n++
		}
	}
	return n
}

// An answer to the trigger without exactly one compaction item is an
// error: the history stays as it was and the turn goes on with it.
func TestCompactionAnswerMustHoldOneItem(t *testing.T) {
	for _, answer := range []upstreamtest.Reply{
		upstreamtest.Text("no compaction here"),
		upstreamtest.Step().Compaction("one").Compaction("two").Reply(),
	} {
		e, fake := testEngine(t)
		fake.PushCodex(upstreamtest.Text("first"))
		res, err := e.Chat(context.Background(), ChatRequest{Message: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		// The next request passes 90% of this window without passing it.
		first := len(fake.RequestsTo(upstreamtest.PathCodexResponses)[0].Body)
		newWindow(e, fake, (first+1500)/4*100/95)
		fake.PushCompaction(answer)
		fake.PushCodex(upstreamtest.Text("second"))
		if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "again " + strings.Repeat("x", 1500)}); err != nil {
			t.Fatal(err)
		}
		if n := triggerRequests(fake); n != 1 {
			t.Fatalf("%d compaction requests", n)
		}
		in := lastInput(t, fake)
		for _, it := range in {
			if m, _ := it.(map[string]any); m["type"] == "compaction" {
				t.Errorf("a compaction item was kept from a bad answer")
			}
		}
		if len(in) != 4 { // environment, hello, first, again
			t.Errorf("history after a failed compaction: %d items", len(in))
		}
	}
}

// A turn whose history does not fit even compacted stops with a clear
// message instead of compacting again and again.
func TestCompactionThatDoesNotHelpEndsTheTurn(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Text("first"))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	// A window the request's own items (prompt, tools) nearly fill.
	first := len(fake.RequestsTo(upstreamtest.PathCodexResponses)[0].Body)
	newWindow(e, fake, first/4*100/99)
	_, err = e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "again"})
	if !errors.Is(err, errStillFull) {
		t.Fatalf("err = %v, want the context-still-full stop", err)
	}
	if n := triggerRequests(fake); n != 1 {
		t.Errorf("%d compaction requests, want 1", n)
	}
	if n := len(fake.RequestsTo(upstreamtest.PathCodexResponses)); n != 2 {
		t.Errorf("%d requests: the turn went on after a compaction that did not help", n)
	}
}
