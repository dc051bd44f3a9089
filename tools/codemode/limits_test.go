package codemode

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Nothing of the host is reachable: every way in is tried directly, through
// eval and through the Function constructor.
func TestScriptCannotReachTheHost(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	probes := []string{
		`require("fs").readFileSync("/etc/passwd")`,
		`process.env.HOME`,
		`fetch("http://127.0.0.1/")`,
		`await import("fs")`,
		`Deno.readTextFile("/etc/passwd")`,
		`Bun.file("/etc/passwd")`,
		`new XMLHttpRequest()`,
		`new WebSocket("ws://127.0.0.1/")`,
		`os.getenv("HOME")`,
	}
	for _, probe := range probes {
		for _, form := range []string{
			"%s",
			"eval(%q)",
			"(new Function(%q))()",
		} {
			src := strings.Replace(form, "%s", probe, 1)
			if strings.Contains(form, "%q") {
				src = strings.Replace(form, "%q", jsString(strings.TrimPrefix(probe, "await ")), 1)
			}
			out, err := m.Exec(context.Background(), "exec-1", src)
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			if !out.Failed {
				t.Errorf("%s: the script reached something: %s", src, out.Text)
			}
		}
	}
	// Only what the package put there is global, apart from the language's own.
	out := run(t, m, `return Object.getOwnPropertyNames(globalThis).filter(n => !/^[A-Z]/.test(n)).sort().join(",")`)
	mustContain(t, out.Text, "clearTimeout,console,decodeURI,decodeURIComponent,encodeURI,encodeURIComponent,escape,eval,globalThis,isFinite,isNaN,parseFloat,parseInt,setTimeout,text,tools,undefined,unescape")
}

func jsString(s string) string {
	return strconv.Quote(s)
}

// goja loads the source map a comment names from the file system unless told
// not to; a map that renames the script's file would show in the stack.
func TestSourceMapCommentReadsNoFile(t *testing.T) {
	dir := t.TempDir()
	mapPath := filepath.Join(dir, "x.map")
	sourceMap := `{"version":3,"sources":["SECRET-SOURCE.ts"],"names":[],"mappings":"AAAA;AACA;AACA"}`
	if err := os.WriteFile(mapPath, []byte(sourceMap), 0o600); err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, echoTools(), Limits{})
	for _, src := range []string{
		"throw new Error('where')\n//# sourceMappingURL=" + mapPath,
		"eval(" + jsString("throw new Error('where')\n//# sourceMappingURL="+mapPath) + ")",
	} {
		out, err := m.Exec(context.Background(), "exec-1", src)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.Text, "SECRET-SOURCE") {
			t.Errorf("the source map file was read: %s", out.Text)
		}
		mustContain(t, out.Text, "where")
	}
}

func TestEndlessLoopStoppedByCPUBudget(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{CPU: 200 * time.Millisecond})
	start := time.Now()
	out := run(t, m, `let i = 0; while (true) { i++ }`)
	if !out.Failed {
		t.Fatalf("not failed: %s", out.Text)
	}
	mustContain(t, out.Text, ErrCPU.Error())
	if elapsed := time.Since(start); elapsed > stopBound {
		t.Errorf("a 200 ms budget took %v to act", elapsed)
	}
}

// The CPU budget counts JavaScript only: a script waiting on a slow tool is
// not charged for the wait.
func TestWaitingIsNotCharged(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{CPU: 100 * time.Millisecond})
	out := run(t, m, `await tools.exec_command({cmd: "sleep 400ms"}); return "ok"`)
	if out.Failed {
		t.Fatalf("failed: %s", out.Text)
	}
}

func TestWallLimit(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{Wall: 300 * time.Millisecond})
	out := run(t, m, `await new Promise(r => setTimeout(r, 60000))`)
	if !out.Failed {
		t.Fatalf("not failed: %s", out.Text)
	}
	mustContain(t, out.Text, ErrWall.Error())
}

// A script that keeps allocating is stopped by the memory bound, not by the
// machine. Each string it keeps is a copy of one built once: goja's repeat
// builds a string a piece at a time, which under the race detector made the
// script take seconds to reach the bound, and longer after a test that left
// garbage in the heap (counted in the cell's starting point).
func TestMemoryHogStopped(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates some tens of MB")
	}
	m := newTestManager(t, echoTools(), Limits{Memory: 16 << 20, CPU: time.Minute})
	out := run(t, m, `const chunk = "x".repeat(1 << 16), keep = []; while (true) { keep.push(chunk + keep.length) }`)
	if !out.Failed {
		t.Fatalf("not failed: %s", out.Text)
	}
	mustContain(t, out.Text, ErrMemory.Error())
}

// Garbage is not counted: a script that keeps 12 MB and allocates far more
// than its 20 MB bound in total runs to its end, although the heap, which
// the collector lets grow to twice what is live, holds more than the bound
// between two collections. Each megabyte is a fresh copy of one built by
// doubling (see TestMemoryHogStopped).
func TestGarbageIsNotAHog(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates some tens of MB")
	}
	m := newTestManager(t, echoTools(), Limits{Memory: 20 << 20, CPU: time.Minute})
	out := run(t, m, `
let mb = "k";
while (mb.length < 1 << 20) mb += mb;
const keep = [];
for (let i = 0; i < 12; i++) keep.push(mb + i);
let n = 0;
for (let i = 0; i < 48; i++) n += (mb + i).length;
return n`)
	if out.Failed {
		t.Fatalf("failed: %s", out.Text)
	}
	mustContain(t, out.Text, "50331734") // 48 MB and the digits of 0..47: every loop ran
}

// Built-ins that build a large value in one call, which no interrupt can
// stop, are refused before they start.
func TestOneCallAllocationsCapped(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{MaxString: 1 << 20, MaxArray: 1 << 16})
	for _, src := range []string{
		`"ab".repeat(1 << 20)`,
		`"".padStart(1 << 21)`,
		`"".padEnd(1 << 21, "x")`,
		`new Array(1 << 20).fill(0)`,
		`Array(1 << 20)`,
		`Array.from({length: 1 << 20})`,
		`new Uint8Array(1 << 20)`,
		`new Float64Array(1 << 20)`,
		`new ArrayBuffer(1 << 30)`,
		`const s = "x".repeat(1 << 19); [s, s, s].join("")`,
		`const s = "x".repeat(1 << 19); s.concat(s, s)`,
		`"x".repeat(1000).replaceAll("x", "y".repeat(2000))`,
		`"x".repeat(1000).replace(/x/g, "y".repeat(2000))`,
		`"x".repeat(1 << 19).replace(/.*/, "$&$&$&")`,
	} {
		out, err := m.Exec(context.Background(), "exec-1", src)
		if err != nil {
			t.Fatal(err)
		}
		if !out.Failed || !strings.Contains(out.Text, "RangeError") {
			t.Errorf("%s: not refused: %.300s", src, out.Text)
		}
	}
	// Within the caps, and for ordinary use, the built-ins behave as usual.
	out := run(t, m, `
const a = new Array(3).fill(1);
const u = new Uint8Array([1, 2, 3]);
return [a.join("-"), "ab".repeat(3), "7".padStart(3, "0"), Array.from("xyz").length, u instanceof Uint8Array,
	a instanceof Array, Array.isArray(Array(2)), "a-b-c".replaceAll("-", "+"), "aXbX".replace(/X/g, "[$&]"),
	"q".concat("r", 1), new ArrayBuffer(8).byteLength, [].constructor === Array, Array.of(4, 5).length,
	Uint8Array.from([9])[0], new (class X extends Uint8Array {})(2) instanceof Uint8Array, Uint8Array.BYTES_PER_ELEMENT,
	ArrayBuffer.isView(u)].join(" ")`)
	mustContain(t, out.Text, "1-1-1 ababab 007 3 true true true a+b+c a[X]b[X] qr1 8 true 2 9 true 1 true")
}

func TestDeepRecursionIsAnError(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{})
	out := run(t, m, `function f(n) { return f(n + 1) + 1 } f(0)`)
	if !out.Failed {
		t.Fatalf("not failed: %s", out.Text)
	}
	mustContain(t, out.Text, "stack")
}

// Showing the return value runs the script's code (toJSON, toString): that
// code is bounded too, and its exception is named, not fatal.
func TestShowingValuesIsBounded(t *testing.T) {
	m := newTestManager(t, echoTools(), Limits{CPU: 200 * time.Millisecond})
	out := run(t, m, `return {toJSON() { for (;;) {} }}`)
	if !out.Failed {
		t.Fatalf("not failed: %s", out.Text)
	}
	mustContain(t, out.Text, ErrCPU.Error())
	out = run(t, m, `console.log({toJSON() { throw new Error("nope") }, toString() { throw new Error("nor this") }}); return 1`)
	mustContain(t, out.Text, "[a value that threw when shown: Error: nor this]", "Return value:\n1")
}
