package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// diagEditor is an editor with language servers: it allows every call and
// answers diagnostics/request with its answers in turn (none when hang).
type diagEditor struct {
	mu      sync.Mutex
	answers []any
	hang    bool
	asked   []json.RawMessage
}

func (d *diagEditor) answer(m msg) any {
	switch m.Method {
	case "permission/request":
		return map[string]any{"decision": "allow"}
	case "diagnostics/request":
		d.mu.Lock()
		defer d.mu.Unlock()
		d.asked = append(d.asked, m.Params)
		if d.hang || len(d.answers) == 0 {
			return nil
		}
		a := d.answers[0]
		d.answers = d.answers[1:]
		return a
	}
	return nil
}

func (d *diagEditor) requests() []json.RawMessage {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.asked
}

// diagServer is a logged-in deckhand whose editor is ed, declaring the
// diagnostics capability when it says so; it returns initialize's result.
func diagServer(t *testing.T, ed *diagEditor, declare bool, args ...string) (*upstreamtest.Server, *proc, map[string]any) {
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home, args: args})
	p.onRequest = ed.answer
	var init map[string]any
	p.ok("initialize", map[string]any{"workspaceRoot": p.ws,
		"capabilities": map[string]any{"permissions": true, "diagnostics": declare}}, &init)
	writeFile(t, p.ws, "main.go", "package main\n\nfunc main() {}\n")
	edit, _ := json.Marshal(map[string]string{"path": "main.go", "oldString": "func main() {}", "newString": "func main() { y() }"})
	fake.PushCodex(upstreamtest.Step().Call("e1", "edit", string(edit)).Reply(), upstreamtest.Text("done"))
	return fake, p, init
}

func diag(line int, severity, message, source string) map[string]any {
	d := map[string]any{"path": "main.go", "range": map[string]int{"startLine": line, "endLine": line},
		"severity": severity, "message": message}
	if source != "" {
		d["source"] = source
	}
	return d
}

// The editor is asked about main.go before and after the edit; the model
// is told the error the edit introduced, not the warning that was there.
func TestDiagnosticsFromTheEditorReachTheModel(t *testing.T) {
	t.Parallel()
	old := "exported function main should have comment"
	ed := &diagEditor{answers: []any{
		map[string]any{"diagnostics": []any{diag(3, "warning", old, "golint")}},
		map[string]any{"diagnostics": []any{diag(3, "warning", old, "golint"), diag(3, "error", "undefined: y", "compiler")}},
	}}
	fake, p, init := diagServer(t, ed, true)
	if caps, _ := init["capabilities"].(map[string]any); caps["diagnostics"] != true {
		t.Errorf("initialize's capabilities %v lack diagnostics", init["capabilities"])
	}
	r := p.chat(map[string]any{"message": "call y"})
	asked := ed.requests()
	if len(asked) != 2 {
		t.Fatalf("asked %d times, want 2 (before and after the edit)", len(asked))
	}
	for i, raw := range asked {
		var params struct {
			SessionID string   `json:"sessionId"`
			Paths     []string `json:"paths"`
			When      string   `json:"when"`
		}
		json.Unmarshal(raw, &params)
		if params.SessionID != r.SessionID || strings.Join(params.Paths, ",") != "main.go" || params.When != []string{"before", "after"}[i] {
			t.Errorf("diagnostics/request params %s", raw)
		}
	}
	out := outputsOf(input(t, fake.RequestsTo(codexPath), 1))["e1"]
	if !strings.Contains(out, "main.go:3: error: undefined: y (compiler)") {
		t.Errorf("the model was not told the new error:\n%s", out)
	}
	if strings.Contains(out, old) {
		t.Errorf("the model was told the warning that was there before:\n%s", out)
	}
}

func TestDiagnosticsNotAskedWithoutTheCapability(t *testing.T) {
	t.Parallel()
	ed := &diagEditor{answers: []any{
		map[string]any{"diagnostics": []any{}},
		map[string]any{"diagnostics": []any{diag(3, "error", "undefined: y", "compiler")}},
	}}
	fake, p, _ := diagServer(t, ed, false)
	p.chat(map[string]any{"message": "call y"})
	if n := len(ed.requests()); n != 0 {
		t.Errorf("an editor without the capability was asked %d times", n)
	}
	if out := outputsOf(input(t, fake.RequestsTo(codexPath), 1))["e1"]; strings.Contains(out, "undefined") {
		t.Errorf("output %q", out)
	}
}

// An editor that never answers costs the step its wait, once; the turn
// ends and the model is told nothing.
func TestDiagnosticsEditorThatNeverAnswers(t *testing.T) {
	t.Parallel()
	ed := &diagEditor{hang: true}
	// The editor never answers: any wait is waited out whole, so a short one.
	fake, p, _ := diagServer(t, ed, true, "--diagnostics-wait", "300ms")
	r := p.chat(map[string]any{"message": "call y"})
	if r.StopReason != "end_turn" {
		t.Fatalf("chat %+v", r)
	}
	if n := len(ed.requests()); n != 1 {
		t.Errorf("asked %d times, want 1: a step whose first request went unanswered asks no more", n)
	}
	if out := outputsOf(input(t, fake.RequestsTo(codexPath), 1))["e1"]; strings.Contains(out, "language servers") {
		t.Errorf("output %q", out)
	}
	// The unanswered request was withdrawn.
	p.waitFor("", func(m msg) bool { return m.Method == "$/cancelRequest" }, 20*time.Second)
}

// A flood of problems reaches the model cut to 50 in 8 KiB, errors first.
func TestDiagnosticsHugeAnswerIsCapped(t *testing.T) {
	t.Parallel()
	var flood []any
	for i := 0; i < 3000; i++ {
		flood = append(flood, diag(i+1, "warning", fmt.Sprintf("w%d %s", i, strings.Repeat("long ", 10)), "lint"))
	}
	flood = append(flood, diag(3, "error", "undefined: y", "compiler"))
	ed := &diagEditor{answers: []any{map[string]any{"diagnostics": []any{}}, map[string]any{"diagnostics": flood}}}
	// The cap is what is tested, not the wait: a busy machine may take
	// more than the default 5 s to send and read 0.3 MB under -race.
	fake, p, _ := diagServer(t, ed, true, "--diagnostics-wait", "60s")
	p.chat(map[string]any{"message": "call y"})
	out := outputsOf(input(t, fake.RequestsTo(codexPath), 1))["e1"]
	_, note, ok := strings.Cut(out, "The editor's language servers report")
	if !ok {
		t.Fatalf("no note in %.300q", out)
	}
	lines := strings.Split(note, "\n")
	if len(note) > 8<<10 || len(lines) > 52 || !strings.HasPrefix(lines[1], "main.go:3: error: undefined: y") ||
		!strings.HasSuffix(lines[len(lines)-1], "more not shown)") {
		t.Errorf("note of %d bytes, %d lines: %.400q ... %q", len(note), len(lines), note, lines[len(lines)-1])
	}
}
