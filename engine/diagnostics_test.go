package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// Problems match before and after by path, severity, source and message,
// whatever their lines, and by count.
func TestIntroducedDiagnostics(t *testing.T) {
	w := func(path string, line int, msg string) Diagnostic {
		return Diagnostic{Path: path, StartLine: line, EndLine: line, Severity: SeverityWarning, Message: msg, Source: "vet"}
	}
	e := func(path string, line int, msg string) Diagnostic {
		return Diagnostic{Path: path, StartLine: line, EndLine: line, Severity: SeverityError, Message: msg, Source: "compiler"}
	}
	counts := func(ds ...Diagnostic) map[diagKey]int {
		m := map[diagKey]int{}
		for _, d := range ds {
			m[keyOf(d)]++
		}
		return m
	}
	for _, tc := range []struct {
		name          string
		before, after []Diagnostic
		want          []string
	}{
		{"nothing before, nothing after", nil, nil, nil},
		{"a warning that moved is not new", []Diagnostic{w("a.go", 3, "unused x")}, []Diagnostic{w("a.go", 9, "unused x")}, nil},
		{"a new error beside an old warning", []Diagnostic{w("a.go", 3, "unused x")},
			[]Diagnostic{w("a.go", 4, "unused x"), e("a.go", 7, "undefined: y")}, []string{"a.go:7:undefined: y"}},
		{"a second copy of an old problem is new", []Diagnostic{e("a.go", 1, "missing return")},
			[]Diagnostic{e("a.go", 1, "missing return"), e("a.go", 8, "missing return")}, []string{"a.go:8:missing return"}},
		{"the same message in another file is new", []Diagnostic{e("a.go", 1, "boom")}, []Diagnostic{e("b.go", 1, "boom")}, []string{"b.go:1:boom"}},
		{"another source is new", []Diagnostic{w("a.go", 1, "x")},
			[]Diagnostic{{Path: "a.go", StartLine: 1, Severity: SeverityWarning, Message: "x", Source: "staticcheck"}}, []string{"a.go:1:x"}},
		{"a fixed problem is not reported", []Diagnostic{e("a.go", 1, "boom")}, nil, nil},
	} {
		var got []string
		for _, d := range introduced(counts(tc.before...), tc.after) {
			got = append(got, fmt.Sprintf("%s:%d:%s", d.Path, d.StartLine, d.Message))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: introduced %q, want %q", tc.name, got, tc.want)
		}
	}
}

// What the model is told is capped in count and in size, errors first.
func TestDiagnosticsNoteIsCapped(t *testing.T) {
	var many []Diagnostic
	for i := 0; i < 80; i++ {
		many = append(many, Diagnostic{Path: "a.go", StartLine: i + 1, Severity: SeverityWarning, Message: fmt.Sprintf("warning %d", i)})
	}
	many = append(many, Diagnostic{Path: "a.go", StartLine: 99, Severity: SeverityError, Message: "the error", Source: "gopls"})
	note := diagnosticsNote(many)
	lines := strings.Split(note, "\n")
	if len(lines) != 1+diagMaxProblems+1 || !strings.HasPrefix(lines[1], "a.go:99: error: the error (gopls)") ||
		lines[len(lines)-1] != "(31 more not shown)" {
		t.Errorf("note of %d lines:\n%s", len(lines), note)
	}
	huge := []Diagnostic{}
	for i := 0; i < 40; i++ {
		huge = append(huge, Diagnostic{Path: "b.go", StartLine: i, Severity: SeverityError, Message: strings.Repeat("x ", 5000)})
	}
	if note := diagnosticsNote(huge); len(note) > diagMaxBytes || !strings.Contains(note, "more not shown") {
		t.Errorf("a note of huge messages is %d bytes:\n%.300s", len(note), note)
	}
	long := diagnosticsNote([]Diagnostic{{Path: "c.go", StartLine: 1, Severity: SeverityError, Message: strings.Repeat("y", 2000)}})
	if n := strings.Count(long, "y"); n == 0 || n > diagMaxMessage {
		t.Errorf("a message of 2000 bytes was told as %d of them", n)
	}
	if diagnosticsNote(nil) != "" {
		t.Errorf("no problems must say nothing")
	}
}

// diagClient is an editor with language servers: it answers each
// diagnostics request with the next of its answers (or never, when hang).
type diagClient struct {
	recorder
	serves  bool
	hang    bool
	fail    error // every answer is this error
	mu      sync.Mutex
	answers [][]Diagnostic
	asked   [][]string
	waiting chan string // gets the session id when a hanging request starts
}

func (d *diagClient) ServesDiagnostics(string) bool { return d.serves }

func (d *diagClient) Diagnostics(ctx context.Context, req DiagnosticsRequest) ([]Diagnostic, error) {
	sessionID := req.SessionID
	d.mu.Lock()
	d.asked = append(d.asked, append(req.Paths, fmt.Sprint(req.After)))
	var ans []Diagnostic
	if len(d.answers) > 0 {
		ans, d.answers = d.answers[0], d.answers[1:]
	}
	d.mu.Unlock()
	if d.fail != nil {
		return nil, d.fail
	}
	if d.hang {
		if d.waiting != nil {
			d.waiting <- sessionID
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return ans, nil
}

func (d *diagClient) requests() [][]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.asked
}

// diagTurn runs a turn whose first step edits main.go, with dc as the
// editor, and returns the output the model got of the edit.
func diagTurn(t *testing.T, dc *diagClient, wait time.Duration) string {
	t.Helper()
	e, fake := testEngine(t, tools.All()...)
	e.cfg.DiagnosticsWait = wait
	if _, err := e.Attach(dc, e.root, false); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.root, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(
		upstreamtest.Step().Call("e1", "edit", `{"path":"main.go","oldString":"func main() {}","newString":"func main() { y() }"}`).Reply(),
		upstreamtest.Step().Call("r1", "read", `{"path":"main.go"}`).Reply(),
		upstreamtest.Text("done"))
	chatOK(t, e, ChatRequest{Message: "edit"})
	reqs := fake.RequestsTo("/backend-api/codex/responses")
	out, ok := upstreamtest.CallOutput(reqs[1].JSON(), "e1")
	if !ok {
		t.Fatalf("the second request lacks the edit's output")
	}
	return out
}

func TestDiagnosticsIntroducedReachTheModel(t *testing.T) {
	old := Diagnostic{Path: "main.go", StartLine: 1, EndLine: 1, Severity: SeverityWarning, Message: "package comment missing", Source: "lint"}
	moved := old
	moved.StartLine = 2
	dc := &diagClient{serves: true, answers: [][]Diagnostic{
		{old},
		{moved, {Path: filepath.Join("/elsewhere", "x.go"), Severity: SeverityError, Message: "not asked about"},
			{Path: "main.go", StartLine: 3, EndLine: 3, Severity: SeverityError, Message: "undefined: y", Source: "compiler"},
			{Path: "main.go", StartLine: 3, EndLine: 3, Severity: "hint", Message: "a hint"}},
	}}
	out := diagTurn(t, dc, time.Second)
	if !strings.Contains(out, "main.go:3: error: undefined: y (compiler)") {
		t.Errorf("the model was not told the new error:\n%s", out)
	}
	for _, not := range []string{"package comment missing", "not asked about", "a hint"} {
		if strings.Contains(out, not) {
			t.Errorf("the model was told %q:\n%s", not, out)
		}
	}
	// Asked twice, about main.go, around the edit: never around the read.
	if got := fmt.Sprint(dc.requests()); got != "[[main.go false] [main.go true]]" {
		t.Errorf("asked %s", got)
	}
}

func TestDiagnosticsNotAskedWithoutTheCapability(t *testing.T) {
	dc := &diagClient{serves: false, answers: [][]Diagnostic{nil, {{Path: "main.go", Severity: SeverityError, Message: "boom"}}}}
	out := diagTurn(t, dc, time.Second)
	if n := len(dc.requests()); n != 0 || strings.Contains(out, "boom") {
		t.Errorf("asked %d times; output %q", n, out)
	}
}

// An editor that never answers costs the step the wait, once, and the
// model is told nothing.
func TestDiagnosticsEditorThatNeverAnswers(t *testing.T) {
	dc := &diagClient{serves: true, hang: true}
	out := diagTurn(t, dc, 100*time.Millisecond)
	if strings.Contains(out, "language servers") {
		t.Errorf("output %q", out)
	}
	if n := len(dc.requests()); n != 1 {
		t.Errorf("asked %d times, want 1: after no answer the step is skipped", n)
	}
}

// A cancel ends the wait for the editor's answer, and the turn.
func TestDiagnosticsWaitEndsOnCancel(t *testing.T) {
	dc := &diagClient{serves: true, hang: true, waiting: make(chan string, 1)}
	e, fake := testEngine(t, tools.All()...)
	e.cfg.DiagnosticsWait = time.Hour
	if _, err := e.Attach(dc, e.root, false); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(upstreamtest.Step().Call("w1", "write", `{"path":"a.go","content":"package a\n"}`).Reply(), upstreamtest.Text("done"))
	done := make(chan TurnResult, 1)
	go func() {
		res, _ := e.Chat(context.Background(), ChatRequest{Message: "write"})
		done <- res
	}()
	id := <-dc.waiting
	if ok, err := e.CancelSession(id); !ok || err != nil {
		t.Fatalf("cancel: %v %v", ok, err)
	}
	if res := <-done; res.StopReason != StopCancelled {
		t.Errorf("stop reason %q", res.StopReason)
	}
}

// A step whose change was refused changed nothing: the editor is not asked.
func TestDiagnosticsNotAskedWhenNothingChanges(t *testing.T) {
	dc := &diagClient{serves: true}
	e, fake := testEngine(t, tools.All()...)
	e.cfg.AllowAll = false // and the editor cannot ask: the write is refused
	if _, err := e.Attach(dc, e.root, false); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(upstreamtest.Step().Call("w1", "write", `{"path":"a.go","content":"package a\n"}`).Reply(),
		upstreamtest.Step().Call("e1", "edit", `{"path":"missing.go","oldString":"x","newString":"y"}`).Reply(),
		upstreamtest.Text("done"))
	chatOK(t, e, ChatRequest{Message: "write"})
	if got := dc.requests(); len(got) != 0 {
		t.Errorf("asked %v", got)
	}
}

// A large answer (2000 problems), before and after, matched and told.
func BenchmarkDiagnosticsDiff(b *testing.B) {
	var before, after []Diagnostic
	for i := 0; i < 2000; i++ {
		d := Diagnostic{Path: fmt.Sprintf("f%d.go", i%20), StartLine: i, Severity: SeverityWarning, Message: fmt.Sprintf("problem %d", i), Source: "lint"}
		before = append(before, d)
		d.StartLine += 3
		if i%10 == 0 {
			d.Severity, d.Message = SeverityError, fmt.Sprintf("new problem %d", i)
		}
		after = append(after, d)
	}
	b.ReportAllocs()
	for b.Loop() {
		counts := map[diagKey]int{}
		for _, d := range before {
			counts[keyOf(d)]++
		}
		if note := diagnosticsNote(introduced(counts, after)); note == "" {
			b.Fatal("nothing introduced")
		}
	}
}

// An editor that answers with an error is skipped for the step.
func TestDiagnosticsEditorThatFails(t *testing.T) {
	dc := &diagClient{serves: true, fail: fmt.Errorf("no language server")}
	out := diagTurn(t, dc, time.Second)
	if n := len(dc.requests()); n != 1 || strings.Contains(out, "language servers") {
		t.Errorf("asked %d times; output %q", n, out)
	}
}

// A code-mode script's patches are followed like direct ones: before each
// changes files the editor is asked about those not asked about yet in the
// step, after the step about every file the script changed, and the model
// finds what the changes introduced in the exec call's output.
func TestDiagnosticsFollowNestedPatches(t *testing.T) {
	old := Diagnostic{Path: "main.go", StartLine: 1, EndLine: 1, Severity: SeverityWarning, Message: "package comment missing", Source: "lint"}
	moved := old
	moved.StartLine = 2
	dc := &diagClient{serves: true, answers: [][]Diagnostic{
		{old}, // before main.go changes
		nil,   // before b.go is made
		{moved, {Path: "main.go", StartLine: 3, Severity: SeverityError, Message: "undefined: y", Source: "compiler"},
			{Path: "b.go", StartLine: 1, Severity: SeverityError, Message: "expected 'package'", Source: "compiler"}},
	}}
	e, fake := testEngine(t)
	if _, err := e.Attach(dc, e.root, false); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.root, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `await tools.apply_patch("*** Begin Patch\n*** Update File: main.go\n@@\n-func main() {}\n+func main() { y() }\n*** End Patch");
await tools.apply_patch("*** Begin Patch\n*** Add File: b.go\n+oops\n*** End Patch");
return "patched";`
	fake.PushCodex(upstreamtest.Step().CustomCall("x1", "exec", script).Reply(), upstreamtest.Text("done"))
	chatOK(t, e, ChatRequest{Message: "patch"})
	if b, _ := os.ReadFile(filepath.Join(e.root, "main.go")); !strings.Contains(string(b), "y()") {
		t.Fatalf("the script's patch did not run: %q", b)
	}
	if got := fmt.Sprint(dc.requests()); got != "[[main.go false] [b.go false] [main.go b.go true]]" {
		t.Errorf("asked %s", got)
	}
	out, ok := upstreamtest.CallOutput(fake.RequestsTo("/backend-api/codex/responses")[1].JSON(), "x1")
	if !ok {
		t.Fatalf("the second request lacks the exec's output")
	}
	for _, want := range []string{"patched", "main.go:3: error: undefined: y (compiler)", "b.go:1: error: expected 'package' (compiler)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the exec's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "package comment missing") {
		t.Errorf("the model was told of a problem that was there before:\n%s", out)
	}
}
