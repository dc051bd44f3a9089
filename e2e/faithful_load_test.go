package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// faithfulTranscript is sessions/load with the fields a reopened session
// needs to show a turn as it was shown live.
type faithfulTranscript struct {
	Turns []struct {
		TurnID      string `json:"turnId"`
		Message     string `json:"message"`
		StopReason  string `json:"stopReason"`
		Error       string `json:"error"`
		Attachments []struct {
			Type  string `json:"type"`
			Path  string `json:"path"`
			Range *struct {
				StartLine int `json:"startLine"`
				EndLine   int `json:"endLine"`
			} `json:"range"`
			Text string `json:"text"`
		} `json:"attachments"`
		ChangedPaths []string `json:"changedPaths"`
		Undoable     bool     `json:"undoable"`
		Undone       bool     `json:"undone"`
		Steps        []struct {
			Kind   string `json:"kind"`
			Text   string `json:"text"`
			CallID string `json:"callId"`
		} `json:"steps"`
		Tools []struct {
			CallID       string   `json:"callId"`
			Name         string   `json:"name"`
			OK           bool     `json:"ok"`
			Error        string   `json:"error"`
			ChangedPaths []string `json:"changedPaths"`
			Permission   *struct {
				Decision string `json:"decision"`
				By       string `json:"by"`
				Reason   string `json:"reason"`
			} `json:"permission"`
		} `json:"tools"`
	} `json:"turns"`
}

// A turn with an attachment, a call the user denied with a reason and an
// edit they allowed comes back from sessions/load, after deckhand
// restarted, with all of it in the order it happened, and a turn that
// failed with its error; after an undo it says the turn was undone.
func TestSessionsLoadIsFaithfulAfterRestart(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home, ws := t.TempDir(), t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	writeFile(t, ws, "main.go", "package main\n\nfunc main() {}\n")
	p := start(t, opts{fake: fake, home: home, ws: ws})
	p.answerPermissionsInOrder([]map[string]any{{"decision": "deny", "reason": "not the config, please"}, {"decision": "allow"}})
	p.initialize(true)
	edit, _ := json.Marshal(map[string]string{"path": "main.go", "oldString": "func main() {}", "newString": "func main() { println(1) }"})
	fake.PushCodex(
		upstreamtest.Step().Text("First the config.").Call("w1", "write", `{"path":"config.toml","content":"x=1"}`).Reply(),
		upstreamtest.Step().Text("Then main.go.").Call("e1", "edit", string(edit)).Reply(),
		upstreamtest.Text("Done."))
	r := p.chat(map[string]any{"message": "tidy this", "attachments": []map[string]any{
		{"type": "selection", "path": "main.go", "range": map[string]int{"startLine": 3, "endLine": 3}, "text": "func main() {}"},
	}})
	if r.StopReason != "end_turn" {
		t.Fatalf("chat %+v", r)
	}
	if b, _ := os.ReadFile(filepath.Join(ws, "main.go")); !strings.Contains(string(b), "println(1)") {
		t.Fatalf("the allowed edit did not run: %q", b)
	}
	// A second turn fails: it is kept with its error.
	fake.PushCodex(upstreamtest.Error(403, `{"error":{"type":"usage_not_included","message":"Upgrade to Plus to continue using Codex"}}`))
	if _, werr := p.call("chat", map[string]any{"sessionId": r.SessionID, "message": "and again"}); werr == nil {
		t.Fatalf("the second turn did not fail")
	}
	p.stop()

	q := another(t, fake, home, ws)
	var tr faithfulTranscript
	q.ok("sessions/load", map[string]any{"sessionId": r.SessionID}, &tr)
	if len(tr.Turns) != 2 {
		t.Fatalf("turns %+v", tr.Turns)
	}
	if failed := tr.Turns[1]; failed.Message != "and again" || failed.StopReason != "error" || failed.Error == "" {
		t.Errorf("the failed turn: %+v", failed)
	}
	turn := tr.Turns[0]
	var steps []string
	for _, s := range turn.Steps {
		steps = append(steps, s.Kind+":"+s.Text+s.CallID)
	}
	if want := []string{"text:First the config.", "tool:w1", "text:Then main.go.", "tool:e1", "text:Done."}; fmt.Sprint(steps) != fmt.Sprint(want) {
		t.Errorf("steps %q, want %q", steps, want)
	}
	if len(turn.Tools) != 2 {
		t.Fatalf("tools %+v", turn.Tools)
	}
	denied, allowed := turn.Tools[0], turn.Tools[1]
	if p := denied.Permission; denied.CallID != "w1" || denied.OK || !strings.Contains(denied.Error, "not the config, please") ||
		p == nil || p.Decision != "deny" || p.By != "user" || p.Reason != "not the config, please" || denied.ChangedPaths != nil {
		t.Errorf("denied call %+v permission %+v", denied, p)
	}
	if p := allowed.Permission; allowed.CallID != "e1" || !allowed.OK || p == nil || p.Decision != "allow" || p.By != "user" ||
		strings.Join(allowed.ChangedPaths, ",") != "main.go" {
		t.Errorf("allowed call %+v permission %+v", allowed, p)
	}
	if a := turn.Attachments; len(a) != 1 || a[0].Type != "selection" || a[0].Path != "main.go" || a[0].Range == nil ||
		a[0].Range.StartLine != 3 || a[0].Range.EndLine != 3 || a[0].Text != "" {
		t.Errorf("attachments %+v", a)
	}
	if strings.Join(turn.ChangedPaths, ",") != "main.go" || !turn.Undoable || turn.Undone {
		t.Errorf("turn changed %q, undoable %v, undone %v", turn.ChangedPaths, turn.Undoable, turn.Undone)
	}

	q.ok("undo", map[string]any{"sessionId": r.SessionID, "turnId": r.TurnID}, nil)
	var after faithfulTranscript
	q.ok("sessions/load", map[string]any{"sessionId": r.SessionID}, &after)
	if turn := after.Turns[0]; !turn.Undone || turn.Undoable {
		t.Errorf("after undo: undoable %v, undone %v", turn.Undoable, turn.Undone)
	}
}

// answerPermissionsInOrder answers deckhand's permission requests with the
// given answers, one each, in the order the requests come; a request after
// the last is left to the harness's default.
func (p *proc) answerPermissionsInOrder(answers []map[string]any) {
	p.onRequest = func(m msg) any {
		if m.Method != "permission/request" || len(answers) == 0 {
			return nil
		}
		a := answers[0]
		answers = answers[1:]
		return a
	}
}
