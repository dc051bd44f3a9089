package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// writeSession writes a stored session of n turns, each shaped like a real
// one: the user's message, encrypted reasoning, a read call with 1 KiB of
// output, and an answer.
func writeSession(tb testing.TB, home, root, id string, n int) {
	tb.Helper()
	dir := filepath.Join(home, "sessions")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, id+".jsonl"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	put := func(v map[string]any) {
		if err := enc.Encode(v); err != nil {
			tb.Fatal(err)
		}
	}
	put(map[string]any{"type": "session", "version": 1, "sessionId": id, "workspaceRoot": root, "title": "a long one",
		"at": time.Now().UTC().Format(time.RFC3339Nano)})
	encrypted := strings.Repeat("gAAAAABo", 200) // 1.6 KB, like real encrypted reasoning
	output := strings.Repeat("line of a file that the model read\n", 30)
	for i := range n {
		turn := fmt.Sprintf("turn_%016x", i)
		call := fmt.Sprintf("call_%d", i)
		item := func(it map[string]any) { put(map[string]any{"type": "item", "turnId": turn, "item": it}) }
		put(map[string]any{"type": "turn", "turnId": turn, "message": fmt.Sprintf("step %d: look at main.go", i), "model": "gpt-5.5"})
		item(map[string]any{"kind": "user", "text": fmt.Sprintf("step %d: look at main.go", i)})
		item(map[string]any{"kind": "reasoning", "summary": []string{"Reading the file first."}, "encrypted": encrypted})
		item(map[string]any{"kind": "call", "callId": call, "name": "read", "arguments": `{"path":"main.go"}`})
		item(map[string]any{"kind": "output", "callId": call, "name": "read", "text": output, "ok": true})
		item(map[string]any{"kind": "assistant", "text": "main.go starts the server and waits for stdin to close; nothing to change here."})
		put(map[string]any{"type": "end", "turnId": turn, "stopReason": "end_turn", "text": "main.go starts the server.", "steps": 2})
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// rss reads a process's resident set (VmRSS) and its peak (VmHWM), in MiB.
func rss(tb testing.TB, pid int) (now, peak float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "VmRSS":
			now = kb / 1024
		case "VmHWM":
			peak = kb / 1024
		}
	}
	return now, peak
}

// cpuTime is the CPU time (user and system) a process has used so far,
// which a loaded machine does not inflate as it does wall time.
func cpuTime(tb testing.TB, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Skipf("no /proc here: %v", err)
	}
	// Fields after the command name (which may hold spaces) start at ") ".
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

// startedWatch times chat requests to their chat/started.
type startedWatch struct {
	mu    sync.Mutex
	armed bool
	at    chan time.Time
}

func watchStarted(p *proc) *startedWatch {
	w := &startedWatch{at: make(chan time.Time, 1)}
	p.onNote = func(m msg) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.armed && m.Method == "chat/started" {
			w.armed = false
			w.at <- time.Now()
		}
	}
	return w
}

func (w *startedWatch) arm() {
	w.mu.Lock()
	w.armed = true
	w.mu.Unlock()
}

// BenchmarkResumeThousandTurnSession measures what continuing a stored
// session of 1,000 turns costs: from chat to chat/started with the session
// not in memory (read from its file), and the whole chat.
func BenchmarkResumeThousandTurnSession(b *testing.B) {
	fake, p := benchServer(b)
	const id = "ses_bench00000001"
	writeSession(b, p.home, canonicalRoot(b, p.ws), id, 1000)
	w := watchStarted(p)
	var toStarted, whole time.Duration
	cpu0 := cpuTime(b, p.cmd.Process.Pid)
	for b.Loop() {
		p.ok("sessions/close", map[string]any{"sessionId": id}, nil)
		fake.PushCodex(upstreamtest.Text("ok"))
		w.arm()
		t0 := time.Now()
		_, ch := p.send("chat", map[string]any{"sessionId": id, "message": "one more"})
		toStarted += (<-w.at).Sub(t0)
		if _, err := p.await(ch, "chat"); err != nil {
			b.Fatal(err)
		}
		whole += time.Since(t0)
	}
	cpu := cpuTime(b, p.cmd.Process.Pid) - cpu0
	_, peak := rss(b, p.cmd.Process.Pid)
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/resumed-chat")
	b.ReportMetric(float64(toStarted.Microseconds())/1000/float64(b.N), "ms/resume-to-started")
	b.ReportMetric(float64(whole.Microseconds())/1000/float64(b.N), "ms/resumed-chat")
	b.ReportMetric(peak, "MiB-peak-RSS")
}

// BenchmarkChatInThousandTurnSession measures one chat in a loaded session
// of 1,000 turns: two steps (a read, then an answer), each request carrying
// the whole history.
func BenchmarkChatInThousandTurnSession(b *testing.B) {
	fake, p := benchServer(b)
	const id = "ses_bench00000002"
	writeSession(b, p.home, canonicalRoot(b, p.ws), id, 1000)
	os.WriteFile(filepath.Join(p.ws, "main.go"), []byte("package main\n"), 0o600)
	fake.PushCodex(upstreamtest.Text("warm"))
	p.ok("chat", map[string]any{"sessionId": id, "message": "load it"}, nil)
	var total time.Duration
	cpu0 := cpuTime(b, p.cmd.Process.Pid)
	for b.Loop() {
		fake.PushCodex(upstreamtest.Step().Call("c", "read", `{"path":"main.go"}`).Reply(), upstreamtest.Text("ok"))
		t0 := time.Now()
		p.ok("chat", map[string]any{"sessionId": id, "message": "again"}, nil)
		total += time.Since(t0)
	}
	cpu := cpuTime(b, p.cmd.Process.Pid) - cpu0
	now, peak := rss(b, p.cmd.Process.Pid)
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/chat")
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/chat")
	b.ReportMetric(now, "MiB-RSS")
	b.ReportMetric(peak, "MiB-peak-RSS")
}

// BenchmarkThousandTurns runs 1,000 turns in one new session, each a read
// and an answer, and reports the cost of the first and the last hundred:
// the session file is only appended to, so deckhand's own work per turn
// stays flat; what grows is the request, which carries the whole history
// as store: false requires. The measured loop is one more turn.
func BenchmarkThousandTurns(b *testing.B) {
	fake, p := benchServer(b)
	os.WriteFile(filepath.Join(p.ws, "main.go"), []byte(strings.Repeat("// a line of code\n", 50)), 0o600)
	pid := p.cmd.Process.Pid
	id := ""
	turn := func(i int) (wall, cpu time.Duration) {
		fake.PushCodex(upstreamtest.Step().Reasoning("look", strings.Repeat("gAAAAABo", 200)).Call("c", "read", `{"path":"main.go"}`).Reply(),
			upstreamtest.Text("main.go holds comments only."))
		params := map[string]any{"message": fmt.Sprintf("turn %d", i)}
		if id != "" {
			params["sessionId"] = id
		}
		c0, t0 := cpuTime(b, pid), time.Now()
		var r chatResult
		p.ok("chat", params, &r)
		wall, cpu = time.Since(t0), cpuTime(b, pid)-c0
		id = r.SessionID
		p.mu.Lock()
		p.notes = p.notes[:0]
		p.mu.Unlock()
		return wall, cpu
	}
	var first, last, firstCPU, lastCPU time.Duration
	for i := range 1000 {
		w, c := turn(i)
		switch {
		case i < 100:
			first, firstCPU = first+w, firstCPU+c
		case i >= 900:
			last, lastCPU = last+w, lastCPU+c
		}
	}
	now, peak := rss(b, pid)
	n := 1000
	for b.Loop() {
		turn(n)
		n++
	}
	b.ReportMetric(float64(firstCPU.Milliseconds())/100, "cpu-ms/turn-first-100")
	b.ReportMetric(float64(lastCPU.Milliseconds())/100, "cpu-ms/turn-last-100")
	b.ReportMetric(float64(first.Microseconds())/1000/100, "ms/turn-first-100")
	b.ReportMetric(float64(last.Microseconds())/1000/100, "ms/turn-last-100")
	b.ReportMetric(now, "MiB-RSS-at-1000")
	b.ReportMetric(peak, "MiB-peak-RSS")
}

// BenchmarkFiftyLoadedSessions measures the memory of a server holding 50
// sessions in memory, each of 20 turns.
func BenchmarkFiftyLoadedSessions(b *testing.B) {
	fake, p := benchServer(b)
	root := canonicalRoot(b, p.ws)
	for i := range 50 {
		writeSession(b, p.home, root, fmt.Sprintf("ses_fifty%08d", i), 20)
	}
	for b.Loop() {
		for i := range 50 {
			fake.PushCodex(upstreamtest.Text("ok"))
			p.ok("chat", map[string]any{"sessionId": fmt.Sprintf("ses_fifty%08d", i), "message": "hi"}, nil)
		}
	}
	now, peak := rss(b, p.cmd.Process.Pid)
	b.ReportMetric(now, "MiB-RSS")
	b.ReportMetric(peak, "MiB-peak-RSS")
}

// canonicalRoot is the workspace root as deckhand records it.
func canonicalRoot(tb testing.TB, ws string) string {
	real, err := filepath.EvalSymlinks(ws)
	if err != nil {
		tb.Fatal(err)
	}
	return real
}
