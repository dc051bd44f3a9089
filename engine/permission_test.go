package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/engine/enginetest"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// TestVerdicts: the engine asks through Review alone, and each verdict
// reaches the model and the session as it should: allow runs the call,
// allow for the session runs it and the next like it unasked, a denial
// tells the model the user's reason, an editor that does not answer is a
// denial.
func TestVerdicts(t *testing.T) {
	cases := []struct {
		name     string
		verdict  Verdict
		err      error
		asked    int    // of the two writes
		landed   bool   // the writes reached the disk
		wantOut  string // in the first write's output
		wantNext string // in the second write's output
	}{
		{"allow", Verdict{Decision: Allow}, nil, 2, true, "wrote 4 bytes", "wrote 4 bytes"},
		{"allow for the session", Verdict{Decision: AllowAlways}, nil, 1, true, "wrote 4 bytes", "wrote 4 bytes"},
		{"deny with a reason", Verdict{Decision: Deny, Reason: "not on a Friday"}, nil, 2, false,
			"The user denied this: not on a Friday", "The user denied this: not on a Friday"},
		{"deny", Verdict{Decision: Deny}, nil, 2, false, "denied by the user", "denied by the user"},
		{"no answer", Verdict{}, errors.New("the editor went away"), 2, false,
			"denied: the editor did not answer", "denied: the editor did not answer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, fake := enginetest.LoggedIn(t, Config{})
			t.Cleanup(e.Close)
			root := t.TempDir()
			os.WriteFile(filepath.Join(root, "a.txt"), []byte("one\n"), 0o600)
			ask := enginetest.NewRecorder(c.verdict)
			ask.Answer(func(PermissionRequest) (Verdict, error) { return c.verdict, c.err })
			id, err := e.NewSession(SessionOptions{Root: root, Permissions: true, Client: ask})
			if err != nil {
				t.Fatal(err)
			}
			fake.PushCodex(
				upstreamtest.Step().Call("w1", "write", `{"path":"a.txt","content":"two\n"}`).Reply(),
				upstreamtest.Step().Call("w2", "write", `{"path":"b.txt","content":"bee\n"}`).Reply(),
				upstreamtest.Text("ok"))
			if _, err := e.Chat(context.Background(), ChatRequest{SessionID: id, Message: "go"}); err != nil {
				t.Fatal(err)
			}
			asked := ask.Asked()
			if len(asked) != c.asked {
				t.Errorf("asked %d times, want %d", len(asked), c.asked)
			}
			got, _ := os.ReadFile(filepath.Join(root, "a.txt"))
			if _, err := os.Stat(filepath.Join(root, "b.txt")); (string(got) == "two\n") != c.landed || (err == nil) != c.landed {
				t.Errorf("a.txt %q, b.txt %v: want landed %v", got, err, c.landed)
			}
			outs := map[string]string{}
			reqs := fake.RequestsTo("/backend-api/codex/responses")
			for _, it := range reqs[len(reqs)-1].JSON()["input"].([]any) {
				if m := it.(map[string]any); m["type"] == "function_call_output" {
					outs[m["call_id"].(string)] = m["output"].(string)
				}
			}
			if !strings.Contains(outs["w1"], c.wantOut) || !strings.Contains(outs["w2"], c.wantNext) {
				t.Errorf("the model was told %q and %q; want %q and %q", outs["w1"], outs["w2"], c.wantOut, c.wantNext)
			}
			// The first request shows the change whole, for a face that draws
			// its own diff, and as a unified diff.
			p := asked[0].Preview
			want := FileChange{Path: filepath.Join(root, "a.txt"), OldText: "one\n", NewText: "two\n"}
			if p == nil || len(p.Changes) != 1 || p.Changes[0] != want || !strings.Contains(p.Diff, "-one\n+two\n") {
				t.Errorf("the request's preview: %+v", p)
			}
		})
	}
}
