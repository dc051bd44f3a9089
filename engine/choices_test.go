package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// sent returns the model and reasoning effort of the last model request.
func sentModelEffort(t *testing.T, fake *upstreamtest.Server) (model, effort string) {
	t.Helper()
	reqs := fake.RequestsTo(upstreamtest.PathCodexResponses)
	if len(reqs) == 0 {
		t.Fatal("no model request")
	}
	body := reqs[len(reqs)-1].JSON()
	model, _ = body["model"].(string)
	if r, ok := body["reasoning"].(map[string]any); ok {
		effort, _ = r["effort"].(string)
	}
	return model, effort
}

// A session keeps the model and effort it was last asked for: a follow-up
// that names none uses them, in memory and after the session was reopened
// from its file; one that names others changes them.
func TestSessionKeepsItsModelAndEffort(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Text("one"), upstreamtest.Text("two"), upstreamtest.Text("three"), upstreamtest.Text("four"))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "first", Model: "gpt-6.1-terra", Effort: "high"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "second"}); err != nil {
		t.Fatal(err)
	}
	if m, eff := sentModelEffort(t, fake); m != "gpt-6.1-terra" || eff != "high" {
		t.Errorf("follow-up in memory sent %q/%q, want gpt-6.1-terra/high", m, eff)
	}
	e.CloseSession(res.SessionID) // out of memory: the next turn reads the file
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "third"}); err != nil {
		t.Fatal(err)
	}
	if m, eff := sentModelEffort(t, fake); m != "gpt-6.1-terra" || eff != "high" {
		t.Errorf("follow-up of the reopened session sent %q/%q, want gpt-6.1-terra/high", m, eff)
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "fourth", Effort: "low"}); err != nil {
		t.Fatal(err)
	}
	if m, eff := sentModelEffort(t, fake); m != "gpt-6.1-terra" || eff != "low" {
		t.Errorf("a new effort: sent %q/%q, want gpt-6.1-terra/low", m, eff)
	}
	sum, _, err := e.LoadSession(res.SessionID)
	if err != nil || sum.ChosenModel != "gpt-6.1-terra" || sum.Effort != "low" {
		t.Errorf("LoadSession: %+v, %v", sum, err)
	}
}

// A session that never chose a model follows the login's default, also
// after it was reopened.
func TestSessionWithoutAChoiceFollowsTheDefault(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Text("one"), upstreamtest.Text("two"))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "first"})
	if err != nil {
		t.Fatal(err)
	}
	first, firstEffort := sentModelEffort(t, fake)
	e.CloseSession(res.SessionID)
	sum, _, _ := e.LoadSession(res.SessionID)
	if sum.ChosenModel != "" || sum.Model != first {
		t.Errorf("summary %+v: the default %q was recorded as a choice", sum, first)
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "second"}); err != nil {
		t.Fatal(err)
	}
	// The effort is the default model's own, as at the first turn.
	if m, eff := sentModelEffort(t, fake); m != first || eff != firstEffort {
		t.Errorf("sent %q/%q, want %q/%q", m, eff, first, firstEffort)
	}
}

// A model the service refused (-32013) is not what the session goes on
// with: not in memory, and not once the session is read from its file
// again, as after a restart.
func TestRefusedModelIsNotKept(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Text("one"), upstreamtest.Text("two"))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "first", Model: "gpt-6.1-terra", Effort: "high"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "second", Model: "gpt-9"})
	var refused *ModelNotServedError
	if !errors.As(err, &refused) {
		t.Fatalf("gpt-9: %v, want a ModelNotServedError", err)
	}
	e.CloseSession(res.SessionID) // out of memory: the next turn reads the file
	sum, _, err := e.LoadSession(res.SessionID)
	if err != nil || sum.ChosenModel != "gpt-6.1-terra" || sum.Effort != "high" {
		t.Errorf("after the refusal the file says %+v (%v); want gpt-6.1-terra/high", sum, err)
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "third"}); err != nil {
		t.Fatalf("the reopened session continued with the refused model: %v", err)
	}
	if m, eff := sentModelEffort(t, fake); m != "gpt-6.1-terra" || eff != "high" {
		t.Errorf("the reopened session sent %q/%q, want gpt-6.1-terra/high", m, eff)
	}
}
