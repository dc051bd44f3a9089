package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// A reopened turn lists what it did in the order it happened: its
// reasoning, the text said before a call, the call, the text after it.
func TestLoadSessionStepsInOrder(t *testing.T) {
	e, fake := testEngine(t, tools.All()...)
	fake.PushCodex(
		upstreamtest.Step().Reasoning("Looking at the tree first.", "enc").Text("Let me look.").Call("c1", "list", `{}`).Reply(),
		upstreamtest.Text("Found nothing."))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "what is here?"})
	if err != nil {
		t.Fatal(err)
	}
	e.CloseSession(res.SessionID)
	_, turns, err := e.LoadSession(res.SessionID)
	if err != nil || len(turns) != 1 {
		t.Fatalf("turns %+v, %v", turns, err)
	}
	var got []string
	for _, s := range turns[0].Steps {
		got = append(got, s.Kind+":"+s.Text+s.CallID)
	}
	want := []string{"reasoning:Looking at the tree first.", "text:Let me look.", "tool:c1", "text:Found nothing."}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("steps %q, want %q", got, want)
	}
}
