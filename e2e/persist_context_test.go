package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// What a turn changed can be undone from another process, and an undo
// stays done there too.
func TestUndoInAnotherProcess(t *testing.T) {
	t.Parallel()
	fake, a := permissionServer(t, "allowAlways", "allowAlways")
	writeFile(t, a.ws, "x.txt", "old x\n")
	fake.PushCodex(
		upstreamtest.Step().
			Call("e1", "edit", callArgs(map[string]any{"path": "x.txt", "oldString": "old", "newString": "new"})).
			Call("w1", "write", callArgs(map[string]any{"path": "y.txt", "content": "made\n"})).Reply(),
		upstreamtest.Text("changed"))
	r := a.chat(map[string]any{"message": "change"})
	a.stop()

	b := start(t, opts{fake: fake, home: a.home, ws: a.ws})
	b.initialize(true)
	var u undoResult
	b.ok("undo", map[string]any{"sessionId": r.SessionID}, &u)
	if u.TurnID != r.TurnID || strings.Join(u.Restored, ",") != "x.txt,y.txt" || len(u.Skipped) != 0 {
		t.Fatalf("undo in another process: %+v", u)
	}
	if got, _ := os.ReadFile(filepath.Join(a.ws, "x.txt")); string(got) != "old x\n" {
		t.Errorf("x.txt = %q", got)
	}
	if _, err := os.Stat(filepath.Join(a.ws, "y.txt")); !os.IsNotExist(err) {
		t.Errorf("y.txt still there: %v", err)
	}
	b.stop()

	c := start(t, opts{fake: fake, home: a.home, ws: a.ws})
	c.initialize(true)
	c.fails("undo", map[string]any{"sessionId": r.SessionID}, -32602)
}

// A compacted history is what the session file gives back: a session
// continued in another process sends the compaction, not what it replaced.
func TestCompactedHistoryPersists(t *testing.T) {
	t.Parallel()
	const window = 12000
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	fake.SetContextWindow(window)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	a := start(t, opts{fake: fake, home: home})
	a.initialize(false)
	writeFile(t, a.ws, "f.go", strings.Repeat("// a line long enough to fill the window soon\n", 80))
	var sid string
	for n := 0; fake.Compactions() == 0; n++ {
		if n == 20 {
			t.Fatal("no compaction in 20 turns")
		}
		fake.PushCodex(upstreamtest.Step().Call(fmt.Sprintf("r%d", n), "read", `{"path":"f.go"}`).Reply(), upstreamtest.Text("ok"))
		params := map[string]any{"message": fmt.Sprintf("turn %d", n)}
		if sid != "" {
			params["sessionId"] = sid
		}
		sid = a.chat(params).SessionID
	}
	a.stop()

	b := start(t, opts{fake: fake, home: home, ws: a.ws})
	b.initialize(false)
	fake.PushCodex(upstreamtest.Text("continued"))
	before := fake.Compactions()
	b.chat(map[string]any{"sessionId": sid, "message": "go on"})
	if fake.Compactions() != before {
		t.Errorf("the continued session had to compact again: the file gave back the uncompacted history")
	}
	reqs := fake.RequestsTo(codexPath)
	in := input(t, reqs, len(reqs)-1)
	compaction := false
	for _, it := range in {
		compaction = compaction || it["type"] == "compaction"
		if it["call_id"] == "r0" {
			t.Errorf("the continued session sends the first turn's call, which was compacted away")
		}
	}
	if !compaction {
		t.Errorf("the continued session sends no compaction item: %d items", len(in))
	}
}
