package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/jsonrpc/jsonrpctest"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// BenchmarkHostileEditorNeverReads: an editor that stops reading stdout
// while an answer streams without end (200 MB of it took 1.88 GB). The
// outbound queue is bounded, so deckhand's memory stays flat; it still ends
// when its stdin closes.
func BenchmarkHostileEditorNeverReads(b *testing.B) {
	var peak float64
	for b.Loop() {
		peak = max(peak, neverReadPeak(b))
	}
	b.ReportMetric(peak, "MiB-peak-RSS")
}

// neverReadPeak runs one deckhand whose stdout nobody reads for five seconds
// of an endless answer and returns its peak resident set.
func neverReadPeak(b *testing.B) float64 {
	u := startUnread(b)
	time.Sleep(5 * time.Second)
	_, peak := rss(b, u.cmd.Process.Pid)
	u.stdin.Close()
	select {
	case <-u.exited:
	case <-time.After(30 * time.Second):
		b.Fatal("deckhand did not exit after its stdin closed")
	}
	return peak
}

// unread is a deckhand whose stdout nobody reads, streaming an endless
// answer to a chat.
type unread struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan error
}

// startUnread starts deckhand with a stdout pipe that is never read, sends
// initialize and a chat whose answer never ends, and returns once the fake
// has the model request. The process is killed when the test ends.
func startUnread(tb testing.TB) *unread {
	fake := upstreamtest.New()
	tb.Cleanup(fake.Close)
	home := tb.TempDir()
	writeOAuth(tb, home, fake.Mint(), "acct_test_1", farFuture())
	cmd := exec.Command(binary, "--log-level", "warn")
	cmd.Dir = tb.TempDir()
	cmd.Env = append(os.Environ(), "DECKHAND_HOME="+home, "DECKHAND_AUTH_ISSUER="+fake.Issuer(),
		"DECKHAND_CODEX_BASE_URL="+fake.CodexBase(), "OPENAI_BASE_URL="+fake.APIBase(), "OPENAI_API_KEY=")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	reader, stdout, err := os.Pipe() // the read end is never read
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { reader.Close() })
	cmd.Stdout = stdout
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	stdout.Close()
	u := &unread{cmd: cmd, stdin: stdin, exited: make(chan error, 1)}
	go func() { u.exited <- cmd.Wait() }()
	tb.Cleanup(func() { cmd.Process.Kill() })
	fake.PushCodex(upstreamtest.Step().Text("flood ").EndlessText().Reply())
	c := jsonrpctest.NewConn(tb, stdin, false, nil) // writes only: the answers are never read
	c.Send("initialize", map[string]any{"workspaceRoot": cmd.Dir, "capabilities": map[string]any{}})
	c.Send("chat", map[string]any{"message": "hi"})
	deadline := time.Now().Add(30 * time.Second)
	for len(fake.RequestsTo(codexPath)) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(fake.RequestsTo(codexPath)) == 0 {
		tb.Fatal("deckhand never asked the model")
	}
	return u
}

// BenchmarkFiftyConcurrentSessions: 50 sessions streaming at once in one
// server (50 streaming sessions took 38 MB before the bounds).
func BenchmarkFiftyConcurrentSessions(b *testing.B) {
	fake, p := benchServer(b)
	const sessions, deltas = 50, 400
	for b.Loop() {
		for range sessions {
			step := upstreamtest.Step().DelayPerEvent(2 * time.Millisecond)
			for i := range deltas {
				step.Text(fmt.Sprintf("word %d ", i))
			}
			fake.PushCodex(step.Reply())
		}
		answers := make([]chan msg, sessions)
		for i := range answers {
			_, answers[i] = p.send("chat", map[string]any{"message": fmt.Sprintf("hi %d", i)})
		}
		for i, ch := range answers {
			res, werr := p.await(ch, "chat")
			if werr != nil {
				b.Fatalf("chat %d: %v", i, werr)
			}
			if !bytes.Contains(res, []byte(fmt.Sprintf("word %d", deltas-1))) {
				b.Fatalf("chat %d did not stream its whole answer: %.200s", i, res)
			}
		}
	}
	now, peak := rss(b, p.cmd.Process.Pid)
	b.ReportMetric(now, "MiB-RSS")
	b.ReportMetric(peak, "MiB-peak-RSS")
}
