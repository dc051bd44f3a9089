package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTerminals is an editor whose terminals print one line every step and
// end with code after lines lines (or run until killed when lines is 0).
// With step 0 they have printed what show says, the test's to move.
type fakeTerminals struct {
	step  time.Duration
	lines int
	code  int
	shown int // lines printed so far, with step 0

	mu       sync.Mutex
	started  []string
	killed   int
	released int
	waits    int
	limit    int // keep only the last limit bytes (0: all)
}

type fakeTerminal struct {
	f      *fakeTerminals
	began  time.Time
	killed bool
}

func (f *fakeTerminals) Start(command, dir string) (Terminal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, command+" in "+dir)
	return &fakeTerminal{f: f, began: time.Now()}, nil
}

func (t *fakeTerminal) Output(context.Context) (string, bool, *int, error) {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	n := t.f.shown
	if t.f.step > 0 {
		n = int(time.Since(t.began) / t.f.step)
	}
	if t.f.lines > 0 {
		n = min(n, t.f.lines)
	}
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("line " + string(rune('0'+i%10)) + "\n")
	}
	out, truncated := b.String(), false
	if t.f.limit > 0 && len(out) > t.f.limit {
		out, truncated = out[len(out)-t.f.limit:], true
	}
	switch {
	case t.killed:
		code := -1
		return out, truncated, &code, nil
	case t.f.lines > 0 && n == t.f.lines:
		code := t.f.code
		return out, truncated, &code, nil
	}
	return out, truncated, nil, nil
}

func (t *fakeTerminal) Wait(ctx context.Context) (int, error) {
	t.f.mu.Lock()
	t.f.waits++
	t.f.mu.Unlock()
	for {
		if _, _, exit, _ := t.Output(ctx); exit != nil {
			return *exit, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// show makes the terminals (of step 0) have printed n lines.
func (f *fakeTerminals) show(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shown = n
}

func (t *fakeTerminal) Kill() error {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	t.killed = true
	t.f.killed++
	return nil
}

func (t *fakeTerminal) Release() {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	t.f.released++
}

func TestExecCommandOnEditorTerminal(t *testing.T) {
	env := newTestEnv(t, nil)
	defer env.Close()
	// The command has printed its first line when it starts, and the
	// rest once the first call returned, however late that is.
	terms := &fakeTerminals{lines: 6, code: 3, shown: 1}
	env.Terminals = terms
	var mu sync.Mutex
	var streamed strings.Builder
	ctx := WithOutputSink(context.Background(), func(s string) { mu.Lock(); streamed.WriteString(s); mu.Unlock() })

	res, err := execCommandTool{}.Run(ctx, env, json.RawMessage(`{"cmd":"make test","yield_time_ms":500}`))
	terms.show(6)
	if err != nil || res.IsError {
		t.Fatalf("exec_command: %v %+v", err, res)
	}
	m := sessionIDRe.FindStringSubmatch(res.Output)
	if m == nil || !strings.Contains(res.Output, "line 1\n") || strings.Contains(res.Output, "line 6") {
		t.Fatalf("the first call did not yield with the output so far:\n%s", res.Output)
	}
	if len(terms.started) != 1 || terms.started[0] != "make test in "+env.Root {
		t.Errorf("started %v", terms.started)
	}
	// The editor's terminal takes no input; a poll gets the rest and the code.
	if res, _ := (writeStdinTool{}).Run(ctx, env, json.RawMessage(`{"session_id":`+m[1]+`,"chars":"y\n"}`)); !res.IsError || !strings.Contains(res.Output, "takes no input") {
		t.Errorf("a write to the editor's terminal: %+v", res)
	}
	first := res.Output
	res, _ = writeStdinTool{}.Run(ctx, env, json.RawMessage(`{"session_id":`+m[1]+`,"yield_time_ms":5000}`))
	if !strings.Contains(res.Output, "Process exited with code 3") || !strings.Contains(res.Output, "line 6\n") || strings.Contains(res.Output, "line 1\n") {
		t.Errorf("the poll:\n%s", res.Output)
	}
	// Output streams to the call that waits on it, in order and once. A
	// line the editor gave while no call waited (a poll that came late on
	// a busy machine, between the yield and the next call) is in the next
	// call's result instead: none may be lost.
	mu.Lock()
	got := streamed.String()
	mu.Unlock()
	want := ""
	for i := 1; i <= 6; i++ {
		line := fmt.Sprintf("line %d\n", i)
		if strings.Contains(got, line) {
			want += line
		} else if !strings.Contains(first, line) && !strings.Contains(res.Output, line) {
			t.Errorf("%q was neither streamed nor in a call's output", line)
		}
	}
	if got != want || !strings.HasSuffix(got, "line 6\n") {
		t.Errorf("streamed %q", got)
	}
	terms.mu.Lock()
	if terms.released != 1 || terms.killed != 0 {
		t.Errorf("released %d, killed %d", terms.released, terms.killed)
	}
	terms.mu.Unlock()

	// A command still running when the session closes is killed and released.
	forever := &fakeTerminals{step: 20 * time.Millisecond, limit: 40}
	env.Terminals = forever
	res, _ = execCommandTool{}.Run(context.Background(), env, json.RawMessage(`{"cmd":"tail -f log","yield_time_ms":300}`))
	if !sessionIDRe.MatchString(res.Output) {
		t.Fatalf("%s", res.Output)
	}
	env.Close()
	forever.mu.Lock()
	defer forever.mu.Unlock()
	if forever.killed != 1 || forever.released != 1 {
		t.Errorf("on close: killed %d, released %d", forever.killed, forever.released)
	}
}

func TestNewOutput(t *testing.T) {
	for _, c := range []struct {
		seen, out string
		truncated bool
		want      string
	}{
		{"", "ab", false, "ab"},
		{"ab", "abcd", false, "cd"},
		{"ab", "ab", false, ""},
		{strings.Repeat("x", 60) + strings.Repeat("0123456789", 7), strings.Repeat("0123456789", 7) + "new", true, "new"},
		{"short", "other", true, "[output cut by the editor's terminal]\nother"},
	} {
		if got := newOutput(c.seen, c.out, c.truncated); got != c.want {
			t.Errorf("newOutput(%q, %q) = %q, want %q", c.seen, c.out, got, c.want)
		}
	}
}

// bash in the editor's terminal: waited for, its output and exit code as on
// the local machine; killed when its time is out; released either way.
func TestBashOnEditorTerminal(t *testing.T) {
	env := newTestEnv(t, nil)
	terms := &fakeTerminals{step: 10 * time.Millisecond, lines: 3, code: 3}
	env.Terminals = terms
	res := runTool(t, bashTool{}, env, map[string]any{"command": "make"})
	if res.IsError || res.Output != "line 1\nline 2\nline 3\nexit code: 3" || res.ExitCode == nil || *res.ExitCode != 3 {
		t.Errorf("bash: %+v", res)
	}
	if terms.started[0] != "make in "+env.Root || terms.waits != 1 || terms.released != 1 || terms.killed != 0 {
		t.Errorf("started %v, waits %d, released %d, killed %d", terms.started, terms.waits, terms.released, terms.killed)
	}
	forever := &fakeTerminals{step: 10 * time.Millisecond}
	env.Terminals = forever
	res = runTool(t, bashTool{}, env, map[string]any{"command": "sleep 600", "timeoutMs": 100})
	if !res.IsError || !strings.Contains(res.Output, "line 1\n") || !strings.Contains(res.Output, "timed out after 100ms") {
		t.Errorf("bash past its time: %+v", res)
	}
	if forever.killed != 1 || forever.released != 1 {
		t.Errorf("killed %d, released %d", forever.killed, forever.released)
	}
}
