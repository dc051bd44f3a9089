package engine

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// An answer cut at the output limit ends the turn max_tokens with its text;
// a call that came with it never runs, and the history sent next is valid
// (no call without its output).
func TestStopMaxTokensDropsTheCall(t *testing.T) {
	var running, maxSeen atomic.Int32
	look := probe{name: "look", readOnly: true, running: &running, maxSeen: &maxSeen}
	e, fake := testEngine(t, look)
	fake.PushCodex(upstreamtest.Step().Text("So far").Call("a", "look", `{}`).Incomplete("max_output_tokens").Reply(),
		upstreamtest.Text("next"))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "go"})
	if err != nil {
		t.Fatal(err)
	}
	if res.StopReason != StopMaxTokens || res.Text != "So far" || maxSeen.Load() != 0 {
		t.Fatalf("stop %s text %q, %d calls ran; want max_tokens, the text, none", res.StopReason, res.Text, maxSeen.Load())
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "again"}); err != nil {
		t.Fatal(err)
	}
	reqs := fake.RequestsTo("/backend-api/codex/responses")
	body := string(reqs[len(reqs)-1].Body)
	if strings.Contains(body, `"function_call"`) || !strings.Contains(body, "So far") {
		t.Errorf("the next request carries the cut call or lost the text: %s", body)
	}
}

// A refusal ends the turn refusal, and shows as the answer; a refusal that
// comes with calls does not stop them.
func TestStopRefusal(t *testing.T) {
	var running, maxSeen atomic.Int32
	look := probe{name: "look", readOnly: true, running: &running, maxSeen: &maxSeen}
	e, fake := testEngine(t, look)
	fake.PushCodex(upstreamtest.Step().Refusal("I can't do that.").Reply(),
		upstreamtest.Step().Refusal("Not that part.").Call("a", "look", `{}`).Reply(), upstreamtest.Text("Done."))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "bad"})
	if err != nil {
		t.Fatal(err)
	}
	if res.StopReason != StopRefusal || res.Text != "I can't do that." {
		t.Fatalf("stop %s text %q, want refusal and its text", res.StopReason, res.Text)
	}
	res, err = e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if res.StopReason != StopEndTurn || maxSeen.Load() != 1 {
		t.Fatalf("stop %s, %d calls ran; want end_turn after the call", res.StopReason, maxSeen.Load())
	}
}
