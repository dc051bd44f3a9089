package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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
	stdout *os.File // the read end, never read
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
	u := &unread{cmd: cmd, stdin: stdin, stdout: reader, exited: make(chan error, 1)}
	go func() { u.exited <- cmd.Wait() }()
	tb.Cleanup(func() { cmd.Process.Kill() })
	asked := make(chan struct{})
	fake.PushCodex(upstreamtest.Answer(func(map[string]any) upstreamtest.Reply {
		close(asked)
		return upstreamtest.Step().Text("flood ").EndlessText().Reply()
	}))
	c := jsonrpctest.NewConn(tb, stdin, false, nil) // writes only: the answers are never read
	c.Send("initialize", map[string]any{"workspaceRoot": cmd.Dir, "capabilities": map[string]any{}})
	c.Send("chat", map[string]any{"message": "hi"})
	select {
	case <-asked:
	case err := <-u.exited:
		tb.Fatalf("deckhand exited before it asked the model: %v", err)
	case <-time.After(30 * time.Second):
		tb.Fatal("deckhand never asked the model")
	}
	return u
}

// waitFull waits until deckhand has about filled its stdout pipe: the
// pipe holds at least half its size and has not grown for 100 ms. Nothing
// signals a full pipe (deckhand's writer parks in Go's poller, not in the
// kernel's pipe_write), so this looks every few milliseconds. Where the
// pipe cannot be looked at (not Linux), it waits a second, about what the
// stream takes to fill it.
func (u *unread) waitFull(tb testing.TB) {
	tb.Helper()
	const fionread, getPipeSize = 0x541b, 1032 // Linux's FIONREAD and F_GETPIPE_SZ
	if runtime.GOOS != "linux" {
		time.Sleep(time.Second)
		return
	}
	size, err := unix.FcntlInt(u.stdout.Fd(), getPipeSize, 0)
	if err != nil {
		tb.Fatal(err)
	}
	last, still := -1, 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		n, err := unix.IoctlGetInt(int(u.stdout.Fd()), fionread)
		if err != nil {
			tb.Fatal(err)
		}
		if n != last || n < size/2 {
			last, still = n, 0
			continue
		}
		if still++; still == 20 {
			return
		}
	}
	tb.Fatalf("deckhand's stdout pipe did not fill within 30 s: it holds %d bytes of %d", last, size)
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
