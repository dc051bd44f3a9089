package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	for _, p := range turns[0].Parts {
		call := ""
		if p.Kind == PartTool {
			call = turns[0].Tools[p.Tool].CallID
		}
		got = append(got, string(p.Kind)+":"+p.Text+call)
	}
	want := []string{"reasoning:Looking at the tree first.", "text:Let me look.", "tool:c1", "text:Found nothing."}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	// Its end keeps how many steps chat's result counted.
	if res.Steps != 2 || turns[0].StepCount != res.Steps {
		t.Errorf("stored step count %d, chat's result %d, want 2", turns[0].StepCount, res.Steps)
	}
}

// After an undo the next request tells the model which files were put
// back, once; the turn after that does not repeat it.
func TestUndoIsToldToTheModel(t *testing.T) {
	e, fake := testEngine(t, tools.All()...)
	root := e.root
	if err := os.WriteFile(filepath.Join(root, "a.txt"), []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(
		upstreamtest.Step().Call("w1", "write", `{"path":"a.txt","content":"two\n"}`).Reply(),
		upstreamtest.Text("wrote it"), upstreamtest.Text("ok"), upstreamtest.Text("ok again"))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "write"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Undo(context.Background(), res.SessionID, res.TurnID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "what now?"}); err != nil {
		t.Fatal(err)
	}
	in := fmt.Sprint(lastInput(t, fake))
	if !strings.Contains(in, "The user undid the file changes of an earlier turn: a.txt was restored") {
		t.Errorf("the request after the undo does not say it: %s", in)
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "and now?"}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(fmt.Sprint(lastInput(t, fake)), "The user undid"); n != 1 {
		t.Errorf("the undo is said %d times in the next request, want once (in its place in the history)", n)
	}
}
