package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// partsOf lists a stored turn's parts as "kind:text" or "tool:callId<parent".
func partsOf(st StoredTurn) []string {
	var out []string
	for _, p := range st.Parts {
		switch p.Kind {
		case PartTool:
			c := st.Tools[p.Tool]
			out = append(out, "tool:"+c.CallID+"<"+c.ParentCallID)
		default:
			out = append(out, string(p.Kind)+":"+p.Text)
		}
	}
	return out
}

// A reopened code-mode turn shows the calls its script made, in the order
// it made them, after the exec call and with its id as their parent, each
// with its outcome as the editor saw it live.
func TestLoadSessionKeepsNestedCalls(t *testing.T) {
	e, fake := testEngine(t)
	script := `await tools.exec_command({cmd: "echo hi"});
await tools.apply_patch("*** Begin Patch\n*** Add File: made.txt\n+from a script\n*** End Patch");
try { await tools.view_image({path: "missing.png"}) } catch (e) {}
return "ok";`
	fake.PushCodex(upstreamtest.Step().Text("Scripting.").CustomCall("x1", "exec", script).Reply(), upstreamtest.Text("Done."))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "use a script"})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(e.root, "made.txt")); err != nil || !strings.Contains(string(b), "from a script") {
		t.Fatalf("the script's patch did not run: %q %v", b, err)
	}
	e.CloseSession(res.SessionID)
	_, turns, err := e.LoadSession(res.SessionID)
	if err != nil || len(turns) != 1 {
		t.Fatalf("turns %+v, %v", turns, err)
	}
	turn := turns[0]
	want := []string{"text:Scripting.", "tool:x1<", "tool:x1/1.1<x1", "tool:x1/1.2<x1", "tool:x1/1.3<x1", "text:Done."}
	if got := partsOf(turn); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("parts %q, want %q", got, want)
	}
	byID := map[string]StoredTool{}
	for _, c := range turn.Tools {
		byID[c.CallID] = c
	}
	if c := byID["x1/1.1"]; c.Name != "exec_command" || !c.OK || !strings.Contains(c.Output, "hi") || !strings.Contains(string(c.Arguments), "echo hi") ||
		c.Sandboxed == nil || c.Permission == nil {
		t.Errorf("nested command %+v", c)
	}
	if c := byID["x1/1.2"]; c.Name != "apply_patch" || !c.OK || strings.Join(c.ChangedPaths, ",") != "made.txt" ||
		c.Permission == nil || c.Permission.Decision != Allow || !strings.Contains(string(c.Arguments), "Add File: made.txt") {
		t.Errorf("nested patch %+v permission %+v", c, c.Permission)
	}
	if c := byID["x1/1.3"]; c.Name != "view_image" || c.OK || !strings.Contains(c.Output, "missing.png") {
		t.Errorf("nested failed call %+v", c)
	}
	if strings.Join(turn.ChangedPaths, ",") != "made.txt" {
		t.Errorf("the turn's changed paths %q", turn.ChangedPaths)
	}
	// The model's history is unchanged: the nested calls are the script's.
	st, err := e.saved.Load(res.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range st.History {
		if strings.Contains(it.CallID, "/") {
			t.Errorf("a nested call reached the model's history: %+v", it)
		}
	}
}

// A script's calls made at once end in any order, and each is recorded as
// it ends; the transcript puts them in the order the script made them,
// under the exec or wait call that was running when they ended.
func TestNestedCallsLoadInTheOrderMade(t *testing.T) {
	var b builder
	add := func(rec *Record) {
		t.Helper()
		if err := b.add(rec, 0); err != nil {
			t.Fatal(err)
		}
	}
	nested := func(id string) *Record {
		return &Record{Type: RecordCall, Call: &CallRecord{CallID: id, ParentCallID: "x1", Name: "view_image", Arguments: []byte(`{}`), Output: id}}
	}
	add(&Record{Type: RecordSession, SessionID: "s", WorkspaceRoot: "/w"})
	add(&Record{Type: RecordTurn, TurnID: "t1"})
	add(&Record{Type: RecordItem, Item: &Item{Kind: ItemCall, CallID: "x1", Name: "exec", Custom: true, Arguments: "..."}})
	add(nested("x1/1.3"))
	add(nested("x1/1.1"))
	add(nested("x1/1.2"))
	add(&Record{Type: RecordItem, Item: &Item{Kind: ItemOutput, CallID: "x1", Name: "exec", Custom: true, Text: "yielded", OK: true}})
	add(&Record{Type: RecordItem, Item: &Item{Kind: ItemCall, CallID: "w1", Name: "wait", Arguments: `{"cell_id":"1"}`}})
	add(nested("x1/1.10"))
	add(nested("x1/1.4"))
	add(nested("x1/1.4")) // a repeated record adds nothing
	add(&Record{Type: RecordItem, Item: &Item{Kind: ItemOutput, CallID: "w1", Name: "wait", Text: "done", OK: true}})
	add(&Record{Type: RecordEnd, TurnID: "t1", StopReason: StopEndTurn})
	b.finish()
	turn := b.s.Turns[0]
	want := []string{"tool:x1<", "tool:x1/1.1<x1", "tool:x1/1.2<x1", "tool:x1/1.3<x1", "tool:w1<", "tool:x1/1.4<x1", "tool:x1/1.10<x1"}
	if got := partsOf(turn); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parts %q, want %q", got, want)
	}
	var ids []string
	for _, c := range turn.Tools {
		ids = append(ids, c.CallID)
		if c.ParentCallID != "" && c.Output != c.CallID {
			t.Errorf("call %s holds the output of %s", c.CallID, c.Output)
		}
	}
	if want := "x1 x1/1.1 x1/1.2 x1/1.3 w1 x1/1.4 x1/1.10"; strings.Join(ids, " ") != want {
		t.Errorf("tools %s, want %s", strings.Join(ids, " "), want)
	}
}
