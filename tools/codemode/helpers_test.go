package codemode

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTools is a Dispatcher that records every call and answers from a
// table of functions; it stands in for the engine.
type fakeTools struct {
	mu    sync.Mutex
	calls []Call
	funcs map[string]func(ctx context.Context, call Call) (Result, error)
}

func (f *fakeTools) Call(ctx context.Context, call Call) (Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	fn := f.funcs[call.Name]
	f.mu.Unlock()
	if fn == nil {
		return Result{Output: "unknown tool " + call.Name, IsError: true}, nil
	}
	return fn(ctx, call)
}

func (f *fakeTools) recorded() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// echoTools is a fake offering the nested tools code mode is built for.
func echoTools() *fakeTools {
	return &fakeTools{funcs: map[string]func(context.Context, Call) (Result, error){
		"exec_command": func(ctx context.Context, call Call) (Result, error) {
			var args struct {
				Cmd string `json:"cmd"`
			}
			if err := json.Unmarshal(call.Args, &args); err != nil {
				return Result{Output: "bad args: " + err.Error(), IsError: true}, nil
			}
			if args.Cmd == "false" {
				return Result{Output: "command failed with exit code 1", IsError: true}, nil
			}
			if strings.HasPrefix(args.Cmd, "sleep ") {
				d, _ := time.ParseDuration(strings.TrimPrefix(args.Cmd, "sleep "))
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return Result{}, ctx.Err()
				}
			}
			return Result{Output: "ran: " + args.Cmd}, nil
		},
		"apply_patch": func(_ context.Context, call Call) (Result, error) {
			if !strings.HasPrefix(call.Input, "*** Begin Patch") {
				return Result{Output: "invalid patch: it must start with *** Begin Patch", IsError: true}, nil
			}
			return Result{Output: "patched"}, nil
		},
	}}
}

var nestedTools = []Tool{
	{Name: "exec_command", Description: "Runs a shell command.", Parameters: map[string]any{
		"type": "object",
		"properties": map[string]any{
			"cmd":     map[string]any{"type": "string", "description": "The command line."},
			"workdir": map[string]any{"type": "string"},
		},
		"required": []any{"cmd"},
	}},
	{Name: "apply_patch", Description: "Applies a patch.", Freeform: true},
}

func newTestManager(t *testing.T, d Dispatcher, limits Limits) *Manager {
	t.Helper()
	before := runtime.NumGoroutine()
	m := NewManager(d, nestedTools, limits)
	t.Cleanup(func() {
		m.Close()
		checkGoroutines(t, before)
	})
	return m
}

// checkGoroutines fails when goroutines the test started are still alive a
// moment after Close.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Errorf("%d goroutines left after Close (had %d):\n%s", runtime.NumGoroutine(), before, buf[:n])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stopBound is how soon a cell that is stopped (terminated, cancelled,
// out of CPU) must be gone. Unstopped, the cells of these tests would run
// a minute or more; a second, which the bound was, is what a busy machine
// under the race detector may take.
const stopBound = 10 * time.Second

// run execs src with a generous yield and fails the test on a Go error.
func run(t *testing.T, m *Manager, src string) Outcome {
	t.Helper()
	out, err := m.Exec(context.Background(), "exec-1", "// @exec yield_time_ms=20000\n"+src)
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	return out
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}

func ids(calls []Call) string {
	var parts []string
	for _, c := range calls {
		parts = append(parts, fmt.Sprintf("%s:%s", c.ID, c.Name))
	}
	return strings.Join(parts, " ")
}
