package codemode

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func ms(v float64) *float64 { return &v }

// A script past its yield time returns its output so far and a cell id;
// wait returns what came after, then the end.
func TestYieldThenWait(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out, err := m.Exec(context.Background(), "exec-1", `// @exec yield_time_ms=100
console.log("first");
await tools.exec_command({cmd: "sleep 300ms"});
console.log("second");
await tools.exec_command({cmd: "sleep 300ms"});
console.log("third");
return "done"`)
	if err != nil {
		t.Fatal(err)
	}
	if out.CellID != "1" || out.Failed {
		t.Fatalf("outcome %+v", out)
	}
	mustContain(t, out.Text, "still running", `cell_id "1"`, "first")

	out, err = m.Wait(context.Background(), WaitArgs{CellID: "1", YieldTimeMS: ms(350)})
	if err != nil {
		t.Fatal(err)
	}
	if out.CellID != "1" {
		t.Fatalf("second wait should still yield: %+v", out)
	}
	mustContain(t, out.Text, "second")
	if strings.Contains(out.Text, "first") {
		t.Errorf("wait repeated old output: %s", out.Text)
	}

	out, err = m.Wait(context.Background(), WaitArgs{CellID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if out.CellID != "" || out.Failed {
		t.Fatalf("outcome %+v", out)
	}
	mustContain(t, out.Text, "finished", "third", "Return value:\ndone")
	if live := m.Live(); len(live) != 0 {
		t.Errorf("cells left: %v", live)
	}
	out, _ = m.Wait(context.Background(), WaitArgs{CellID: "1"})
	if !out.Failed || !strings.Contains(out.Text, `no script is running as cell "1"`) {
		t.Errorf("wait on an ended cell: %+v", out)
	}
}

func TestTerminate(t *testing.T) {
	tools := echoTools()
	m := newTestManager(t, tools, Limits{})
	out, err := m.Exec(context.Background(), "exec-1", `// @exec yield_time_ms=50
console.log("started");
await tools.exec_command({cmd: "sleep 1h"});
console.log("never");`)
	if err != nil || out.CellID == "" {
		t.Fatalf("%v %+v", err, out)
	}
	start := time.Now()
	out, err = m.Wait(context.Background(), WaitArgs{CellID: out.CellID, Terminate: true})
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > stopBound {
		t.Errorf("terminate took %v", elapsed)
	}
	mustContain(t, out.Text, "terminated")
	if strings.Contains(out.Text, "never") || out.CellID != "" {
		t.Errorf("outcome %+v", out)
	}
	if live := m.Live(); len(live) != 0 {
		t.Errorf("cells left: %v", live)
	}
}

// An endless loop that yielded is stopped by terminate.
func TestTerminateEndlessLoop(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out, _ := m.Exec(context.Background(), "exec-1", "// @exec yield_time_ms=50\nfor (;;) {}")
	if out.CellID == "" {
		t.Fatalf("outcome %+v", out)
	}
	start := time.Now()
	out, err := m.Wait(context.Background(), WaitArgs{CellID: out.CellID, Terminate: true})
	if err != nil || !strings.Contains(out.Text, "terminated") {
		t.Fatalf("%v %+v", err, out)
	}
	if elapsed := time.Since(start); elapsed > stopBound {
		t.Errorf("terminate took %v", elapsed)
	}
}

func TestCellLimit(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{Cells: 2})
	for range 2 {
		out, _ := m.Exec(context.Background(), "exec-1", "// @exec yield_time_ms=10\nawait new Promise(r => setTimeout(r, 60000))")
		if out.CellID == "" {
			t.Fatalf("outcome %+v", out)
		}
	}
	out, err := m.Exec(context.Background(), "exec-1", "return 1")
	if err != nil {
		t.Fatal(err)
	}
	if !out.Failed || !strings.Contains(out.Text, "cells 1, 2") {
		t.Fatalf("a third cell: %+v", out)
	}
	if _, err := m.Wait(context.Background(), WaitArgs{CellID: "1", Terminate: true}); err != nil {
		t.Fatal(err)
	}
	out = run(t, m, "return 1")
	mustContain(t, out.Text, "Return value:\n1")
}

// Cancel kills every live cell, yielded ones included, and Close refuses new
// ones; the Manager's cleanup checks no goroutine is left.
func TestKillAllAndClose(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	for _, src := range []string{"for (;;) {}", `await tools.exec_command({cmd: "sleep 1h"})`} {
		out, _ := m.Exec(context.Background(), "exec-1", "// @exec yield_time_ms=20\n"+src)
		if out.CellID == "" {
			t.Fatalf("outcome %+v", out)
		}
	}
	start := time.Now()
	m.KillAll(context.Canceled)
	if elapsed := time.Since(start); elapsed > stopBound {
		t.Errorf("KillAll took %v", elapsed)
	}
	if live := m.Live(); len(live) != 0 {
		t.Errorf("cells left: %v", live)
	}
	out := run(t, m, "return 2")
	mustContain(t, out.Text, "Return value:\n2")

	if out, _ := m.Exec(context.Background(), "exec-1", "// @exec yield_time_ms=20\nfor (;;) {}"); out.CellID == "" {
		t.Fatalf("outcome %+v", out)
	}
	m.Close()
	if _, err := m.Exec(context.Background(), "exec-1", "return 1"); !errors.Is(err, ErrClosed) {
		t.Errorf("Exec after Close: %v", err)
	}
}

// Cancelling a wait kills that cell: it is the turn being cancelled.
func TestWaitCancelled(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out, _ := m.Exec(context.Background(), "exec-1", "// @exec yield_time_ms=20\nfor (;;) {}")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := m.Wait(ctx, WaitArgs{CellID: out.CellID, YieldTimeMS: ms(60000)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if live := m.Live(); len(live) != 0 {
		t.Errorf("cells left: %v", live)
	}
}

// A script that awaits a promise nothing will settle ends with a clear
// error instead of hanging until its wall limit.
func TestStrandedAwait(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out := run(t, m, `console.log("a"); await new Promise(() => {}); console.log("b")`)
	if !out.Failed {
		t.Fatalf("outcome %+v", out)
	}
	mustContain(t, out.Text, "nothing is left to settle", "a")
}

// Calls the script did not await still run to their end before the cell
// reports, so their effects are not cut off half way.
func TestUnawaitedCallsFinish(t *testing.T) {
	tools := echoTools()
	m := newTestManager(t, tools, Limits{})
	out := run(t, m, `tools.exec_command({cmd: "sleep 100ms"}).then(r => console.log("late", r)); console.log("early")`)
	mustContain(t, out.Text, "early\nlate ran: sleep 100ms")
}

func TestTimers(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out := run(t, m, `
const order = [];
setTimeout(() => order.push("b"), 30);
setTimeout((x) => order.push(x), 10, "a");
const cancelled = setTimeout(() => order.push("never"), 20);
clearTimeout(cancelled);
await new Promise(r => setTimeout(r, 60));
return order.join("")`)
	mustContain(t, out.Text, "Return value:\nab")
	out = run(t, m, `setTimeout(() => { throw new Error("in a timer") }, 1)`)
	if !out.Failed {
		t.Fatalf("outcome %+v", out)
	}
	mustContain(t, out.Text, "in a timer")
}

// A nested call that ignores cancel holds up neither a cancelled exec nor
// KillAll beyond the grace; Close still waits for it.
func TestStubbornCallDoesNotHoldUpCancel(t *testing.T) {
	release := make(chan struct{})
	d := DispatcherFunc(func(context.Context, Call) (Result, error) {
		<-release
		return Result{Output: "late"}, nil
	})
	m := NewManager(d, nestedTools, Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	if _, err := m.Exec(ctx, "exec-1", `await tools.exec_command({})`); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if out, _ := m.Exec(context.Background(), "exec-1", "// @exec yield_time_ms=10\nawait tools.exec_command({})"); out.CellID == "" {
		t.Fatalf("outcome %+v", out)
	}
	m.KillAll(context.Canceled)
	if elapsed := time.Since(start); elapsed > 4*KillGrace {
		t.Errorf("cancel and KillAll took %v with a stubborn call", elapsed)
	}
	closed := make(chan struct{})
	go func() { m.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a nested call was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-closed
}

func TestDecodeWaitArgs(t *testing.T) {
	for _, tc := range []struct {
		raw, id string
		yield   float64
		term    bool
		bad     string
	}{
		{raw: `{"cell_id":"3","yield_time_ms":500,"terminate":true}`, id: "3", yield: 500, term: true},
		{raw: `{"cell_id":7}`, id: "7"},
		{raw: `{}`, bad: "needs cell_id"},
		{raw: `{"cell_id":[1]}`, bad: "must be a string"},
		{raw: `not json`, bad: "JSON object"},
	} {
		w, err := DecodeWaitArgs([]byte(tc.raw))
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%s: err %v, want %q", tc.raw, err, tc.bad)
			}
			continue
		}
		if err != nil || w.CellID != tc.id || w.Terminate != tc.term || (tc.yield != 0 && (w.YieldTimeMS == nil || *w.YieldTimeMS != tc.yield)) {
			t.Errorf("%s: %+v %v", tc.raw, w, err)
		}
	}
}
