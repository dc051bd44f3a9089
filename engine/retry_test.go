package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// userTexts are the texts of the user messages the last model request
// carried.
func userTexts(t *testing.T, fake *upstreamtest.Server) []string {
	t.Helper()
	reqs := fake.RequestsTo(upstreamtest.PathCodexResponses)
	if len(reqs) == 0 {
		t.Fatal("no model request")
	}
	var out []string
	input, _ := reqs[len(reqs)-1].JSON()["input"].([]any)
	for _, raw := range input {
		it, _ := raw.(map[string]any)
		if it["role"] != "user" {
			continue
		}
		parts, _ := it["content"].([]any)
		for _, p := range parts {
			if pm, _ := p.(map[string]any); pm["type"] == "input_text" {
				s, _ := pm["text"].(string)
				out = append(out, s)
			}
		}
	}
	return out
}

func count(texts []string, s string) int {
	n := 0
	for _, t := range texts {
		if t == s {
			n++
		}
	}
	return n
}

var usageLimit = upstreamtest.Error(403, `{"error":{"type":"usage_not_included","message":"Upgrade to Plus to continue using Codex"}}`)

// A turn that failed before the model said anything is replaced by its
// retry: the model gets the message once, then and after the session was
// read back from its file, whose transcript lists the retry alone with the
// failure as its note. A different message keeps the failed one.
func TestRetryReplacesAFailedTurn(t *testing.T) {
	for _, tc := range []struct {
		name    string
		retry   func(failed TurnResult) ChatRequest
		reload  bool // the session is read back from its file before the retry
		want    int  // times the model gets "fix the flaky test"
		replace bool
	}{
		{name: "retryOf", retry: func(f TurnResult) ChatRequest {
			return ChatRequest{SessionID: f.SessionID, Message: "fix the flaky test", RetryOf: f.TurnID}
		}, want: 1, replace: true},
		{name: "retryOf after a reload", reload: true, retry: func(f TurnResult) ChatRequest {
			return ChatRequest{SessionID: f.SessionID, Message: "fix the flaky test", RetryOf: f.TurnID}
		}, want: 1, replace: true},
		{name: "the same message", retry: func(f TurnResult) ChatRequest {
			return ChatRequest{SessionID: f.SessionID, Message: "fix the flaky test"}
		}, want: 1, replace: true},
		{name: "another message", retry: func(f TurnResult) ChatRequest {
			return ChatRequest{SessionID: f.SessionID, Message: "go on"}
		}, want: 1},
		{name: "retryOf another turn", retry: func(f TurnResult) ChatRequest {
			return ChatRequest{SessionID: f.SessionID, Message: "fix the flaky test", RetryOf: "turn_other"}
		}, want: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, fake := testEngine(t)
			fake.PushCodex(usageLimit, upstreamtest.Text("fixed"), upstreamtest.Text("ok"))
			failed, err := e.Chat(context.Background(), ChatRequest{Message: "fix the flaky test"})
			if err == nil || failed.SessionID == "" || failed.TurnID == "" {
				t.Fatalf("first turn: %+v, %v; want a failure with its ids", failed, err)
			}
			if tc.reload {
				e.CloseSession(failed.SessionID)
			}
			req := tc.retry(failed)
			res, err := e.Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := count(userTexts(t, fake), "fix the flaky test"); got != tc.want {
				t.Errorf("the retry's request carried the message %d times, want %d", got, tc.want)
			}
			// The session as its file has it: the next request and the
			// transcript.
			e.CloseSession(failed.SessionID)
			if _, err := e.Chat(context.Background(), ChatRequest{SessionID: failed.SessionID, Message: "thanks"}); err != nil {
				t.Fatal(err)
			}
			if got := count(userTexts(t, fake), "fix the flaky test"); got != tc.want {
				t.Errorf("after a reload the model got the message %d times, want %d", got, tc.want)
			}
			_, turns, err := e.LoadSession(failed.SessionID)
			if err != nil {
				t.Fatal(err)
			}
			if sums, err := e.ListSessions("", 0); err != nil || len(sums) != 1 || sums[0].Turns != len(turns) {
				t.Errorf("ListSessions %+v, %v: want %d turns, as LoadSession", sums, err, len(turns))
			}
			var ids []string
			for _, tt := range turns {
				ids = append(ids, tt.TurnID)
			}
			if tc.replace {
				if len(turns) != 2 || turns[0].TurnID != res.TurnID || turns[0].RetryOf != failed.TurnID ||
					!strings.Contains(turns[0].RetriedError, "Plus") {
					t.Errorf("transcript turns %v (first %+v), want the retry %s replacing %s, with its error", ids, turns[0], res.TurnID, failed.TurnID)
				}
			} else if len(turns) != 3 || turns[0].TurnID != failed.TurnID || turns[1].RetryOf != "" {
				t.Errorf("transcript turns %v, want the failed turn kept", ids)
			}
		})
	}
}

// A turn whose model said something before it failed is not replaced:
// what it did stays in the history.
func TestRetryKeepsATurnThatDidSomething(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Step().Call("c1", "list", `{"path":"."}`).Reply(), usageLimit, upstreamtest.Text("ok"))
	failed, err := e.Chat(context.Background(), ChatRequest{Message: "fix the flaky test"})
	if err == nil {
		t.Fatal("the second step should fail")
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: failed.SessionID, Message: "fix the flaky test", RetryOf: failed.TurnID}); err != nil {
		t.Fatal(err)
	}
	if got := count(userTexts(t, fake), "fix the flaky test"); got != 2 {
		t.Errorf("the model got the message %d times, want 2: the first turn's call stays with its message", got)
	}
	_, turns, _ := e.LoadSession(failed.SessionID)
	if len(turns) != 2 || turns[1].RetryOf != "" {
		t.Errorf("transcript: %d turns, want both", len(turns))
	}
}

// A turn the user stopped before the model said anything is replaced by
// the same message sent again, as a failed one.
func TestRetryReplacesAStoppedTurn(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Step().Stall().Reply(), upstreamtest.Text("ok"))
	done := make(chan TurnResult)
	go func() {
		res, _ := e.Chat(context.Background(), ChatRequest{Message: "fix the flaky test"})
		done <- res
	}()
	<-fake.Stalled()
	e.mu.Lock()
	var ids []string
	for id := range e.sessions {
		ids = append(ids, id)
	}
	e.mu.Unlock()
	for _, id := range ids {
		e.CancelSession(id)
	}
	stopped := <-done
	if stopped.StopReason != StopCancelled {
		t.Fatalf("first turn %+v, want cancelled", stopped)
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: stopped.SessionID, Message: "fix the flaky test"}); err != nil {
		t.Fatal(err)
	}
	if got := count(userTexts(t, fake), "fix the flaky test"); got != 1 {
		t.Errorf("the model got the message %d times, want 1", got)
	}
}
