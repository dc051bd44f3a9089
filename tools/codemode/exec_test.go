package codemode

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// The pinned goja must run what the scripts are written in: async
// functions, await, promise chains, Promise.all and top-level await and
// return inside the cell.
func TestAsyncAndPromises(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out := run(t, m, `
async function twice(x) { await null; return x * 2; }
const a = await twice(2);
const b = await new Promise(resolve => setTimeout(() => resolve(a + 1), 5));
const c = await Promise.resolve(b).then(v => v * 10);
const all = await Promise.all([twice(1), twice(2), Promise.resolve(7)]);
const settled = await Promise.allSettled([Promise.reject(new Error("no")), twice(3)]);
let caught = "";
try { await Promise.reject(new TypeError("bad")); } catch (e) { caught = e.name + ":" + e.message; }
console.log(a, b, c, JSON.stringify(all), settled[0].status, settled[1].value, caught);
return {a, c};
`)
	if out.Failed || out.CellID != "" {
		t.Fatalf("outcome %+v", out)
	}
	mustContain(t, out.Text, "finished", "4 5 50 [2,4,7] rejected 6 TypeError:bad", `{"a":4,"c":50}`)
}

func TestNestedCallsInOrder(t *testing.T) {
	tools := echoTools()
	m := newTestManager(t, tools, Limits{})
	out := run(t, m, `
const first = await tools.exec_command({cmd: "ls"});
const second = await tools.apply_patch("*** Begin Patch\n*** End Patch");
const third = await tools.exec_command({cmd: "pwd", workdir: "sub"});
console.log(first); console.log(second); console.log(third);
`)
	if out.Failed {
		t.Fatalf("failed: %s", out.Text)
	}
	mustContain(t, out.Text, "ran: ls\npatched\nran: pwd")
	calls := tools.recorded()
	if got := ids(calls); got != "1.1:exec_command 1.2:apply_patch 1.3:exec_command" {
		t.Fatalf("calls %s", got)
	}
	for _, c := range calls {
		if c.Parent != "exec-1" {
			t.Errorf("call %s has parent %q, want the exec call's id", c.ID, c.Parent)
		}
	}
	if string(calls[2].Args) != `{"cmd":"pwd","workdir":"sub"}` || calls[1].Input != "*** Begin Patch\n*** End Patch" {
		t.Fatalf("arguments: %s / %q", calls[2].Args, calls[1].Input)
	}
}

// Promise.all runs the calls at once: each call waits until all three are
// in flight, which only happens if they run together; Limits.Parallel caps
// how many run together.
func TestNestedCallsInParallel(t *testing.T) {
	for _, tc := range []struct{ parallel, want int }{{0, 3}, {2, 2}} {
		var mu sync.Mutex
		inFlight, most := 0, 0
		all := make(chan struct{})
		d := DispatcherFunc(func(ctx context.Context, call Call) (Result, error) {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			if inFlight == 3 {
				close(all)
			}
			mu.Unlock()
			select {
			case <-all:
			case <-time.After(300 * time.Millisecond):
			}
			mu.Lock()
			inFlight--
			mu.Unlock()
			return Result{Output: "r" + call.ID}, nil
		})
		m := newTestManager(t, d, Limits{Parallel: tc.parallel})
		out := run(t, m, `
return await Promise.all([
	tools.exec_command({cmd: "a"}),
	tools.exec_command({cmd: "b"}),
	tools.exec_command({cmd: "c"}),
]);`)
		if out.Failed {
			t.Fatalf("failed: %s", out.Text)
		}
		mustContain(t, out.Text, `["r1.1","r1.2","r1.3"]`)
		if most != tc.want {
			t.Errorf("Parallel %d: %d calls ran at once, want %d", tc.parallel, most, tc.want)
		}
	}
}

func TestNestedErrorIsException(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out := run(t, m, `
try {
	await tools.exec_command({cmd: "false"});
	console.log("not reached");
} catch (e) {
	console.log("caught", e instanceof Error, e.tool, e.message);
}
try { await tools.apply_patch({patch: "x", extra: 1}); } catch (e) { console.log("type", e.name, e.message); }
console.log(await tools.apply_patch({input: "*** Begin Patch\n*** End Patch"}));
await tools.apply_patch("not a patch");
`)
	if !out.Failed {
		t.Fatalf("an uncaught rejection should fail the script: %s", out.Text)
	}
	mustContain(t, out.Text,
		"caught true exec_command command failed with exit code 1",
		"type TypeError tools.apply_patch takes its input as one string\npatched",
		"failed", "invalid patch: it must start with *** Begin Patch")
	if strings.Contains(out.Text, "not reached") {
		t.Error("the call's error did not throw")
	}
}

// A Go error from the dispatcher is the turn's failure, not the script's.
func TestDispatcherGoErrorFailsTheCall(t *testing.T) {
	boom := errors.New("upstream gone")
	m := newTestManager(t, DispatcherFunc(func(context.Context, Call) (Result, error) { return Result{}, boom }), Limits{})
	_, err := m.Exec(context.Background(), "exec-1", `await tools.exec_command({cmd: "ls"}); console.log("after")`)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestSyntaxErrorIsReportedWithItsLine(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	for _, tc := range []struct{ src, want string }{
		{"const a = 1;\nconst b = ;\n", "line 2"},
		{"let x = (1 + 2;", "line 1"},
		{"if (true) {\n  console.log(1)\n", "ends before"},
		{"});\nconsole.log('escaped');\n(async () => {", "SyntaxError"},
		{"import fs from 'fs';", "SyntaxError"},
		{"   \n", "empty"},
		{"// @exec yield_time_ms=soon\n1", "key=number"},
	} {
		out, err := m.Exec(context.Background(), "exec-1", tc.src)
		if err != nil {
			t.Fatal(err)
		}
		if !out.Failed || !strings.Contains(out.Text, tc.want) {
			t.Errorf("%q: got %+v, want a failure naming %q", tc.src, out, tc.want)
		}
	}
	if live := m.Live(); len(live) != 0 {
		t.Errorf("cells left: %v", live)
	}
}

func TestUncaughtExceptionHasMessageAndStack(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out := run(t, m, "console.log('before');\nfunction inner() { throw new Error('kaboom'); }\ninner();\n")
	if !out.Failed {
		t.Fatalf("not failed: %s", out.Text)
	}
	mustContain(t, out.Text, "Error: kaboom", "at inner (cell:3:26)\n\tat cell:4:6\n", "Output:\nbefore")
	if strings.Contains(out.Text, "cell:6:") {
		t.Errorf("the wrapper's frame shows: %s", out.Text)
	}
}

// A rejection nothing handled is named in the output, as Node would.
func TestUnhandledRejectionIsReported(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out := run(t, m, `tools.exec_command({cmd: "false"}); Promise.reject(new Error("lost")).catch(() => {}); await null; return "ok"`)
	mustContain(t, out.Text, "Unhandled promise rejection: Error: command failed with exit code 1", "Return value:\nok")
	if strings.Contains(out.Text, "lost") {
		t.Errorf("a handled rejection was reported: %s", out.Text)
	}
}

func TestFencedScriptAndDirective(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out, err := m.Exec(context.Background(), "exec-1", "```js\nconsole.log('fenced')\n```")
	if err != nil || out.Failed {
		t.Fatalf("%v %+v", err, out)
	}
	mustContain(t, out.Text, "fenced")
	out, err = m.Exec(context.Background(), "exec-1", "// @exec max_tokens=10\nconsole.log('x'.repeat(1000))")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, out.Text, "characters omitted")
}

func TestOutputHelpers(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out := run(t, m, `text("a"); text("b\n"); console.error({k: [1, 2]}, undefined, null, 3.5); console.log(new Error("shown"));`)
	mustContain(t, out.Text, "ab\n", `{"k":[1,2]} undefined null 3.5`, "Error: shown")
}

func TestOutputIsBoundedWhileBuffered(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{Output: 1000})
	out := run(t, m, `console.log("START"); for (let i = 0; i < 10000; i++) console.log("line " + i);`)
	mustContain(t, out.Text, "START", "line 9999", "bytes of output dropped")
	if len(out.Text) > 2000 {
		t.Errorf("output of %d bytes past a 1000-byte buffer", len(out.Text))
	}
}

func TestExecCancelKillsTheCell(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := m.Exec(ctx, "exec-1", "// @exec yield_time_ms=60000\nwhile (true) {}")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if elapsed := time.Since(start); elapsed > stopBound {
		t.Errorf("an endless loop took %v to stop after cancel", elapsed)
	}
	if live := m.Live(); len(live) != 0 {
		t.Errorf("cells left: %v", live)
	}
	// The manager stays usable.
	out := run(t, m, `return 1 + 1`)
	mustContain(t, out.Text, "Return value:\n2")
}

// Cancel also ends a nested call in flight: the dispatcher sees its context
// end.
func TestCancelEndsNestedCall(t *testing.T) {
	ended := make(chan error, 1)
	d := DispatcherFunc(func(ctx context.Context, _ Call) (Result, error) {
		<-ctx.Done()
		ended <- ctx.Err()
		return Result{}, ctx.Err()
	})
	m := newTestManager(t, d, Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := m.Exec(ctx, "exec-1", `await tools.exec_command({cmd: "sleep 1h"})`); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	select {
	case <-ended:
	case <-time.After(time.Second):
		t.Fatal("the nested call's context did not end")
	}
}

// exec and wait are not nested in themselves.
func TestNoNestedExec(t *testing.T) {
	withExec := append([]Tool{{Name: "exec", Freeform: true}, {Name: "wait"}}, nestedTools...)
	m := NewManager(echoTools(), withExec, Limits{})
	defer m.Close()
	out, err := m.Exec(context.Background(), "exec-1", `return [typeof tools.exec, typeof tools.wait, typeof tools.exec_command].join()`)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, out.Text, "undefined,undefined,function")
	if desc := ExecDescription(withExec); strings.Contains(desc, "tools.exec(") || strings.Contains(desc, "tools.wait(") {
		t.Error("the description offers exec or wait as nested tools")
	}
}

// An image a nested call returns goes to the model with the report; the
// script sees the call's text.
func TestImagesTravelWithTheReport(t *testing.T) {
	d := DispatcherFunc(func(_ context.Context, call Call) (Result, error) {
		return Result{Output: "image " + call.ID, ImageURL: "data:image/png;base64,AAAA" + call.ID}, nil
	})
	m := newTestManager(t, d, Limits{})
	out := run(t, m, `console.log(await tools.exec_command({})); for (let i = 0; i < 9; i++) await tools.exec_command({})`)
	mustContain(t, out.Text, "image 1.1", "an image was left out")
	if len(out.Images) != maxImages || out.Images[0] != "data:image/png;base64,AAAA1.1" {
		t.Errorf("images %v", out.Images)
	}
}
