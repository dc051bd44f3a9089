package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// TestExecAsksOnATerminal runs deckhand exec in a real terminal (tmux), as
// a person would, and answers its permission prompt by typing.
func TestExecAsksOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed (scripts/test-deps.sh installs it)")
	}
	fake := upstreamtest.New()
	defer fake.Close()
	home, ws := t.TempDir(), t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	fake.PushCodex(upstreamtest.Step().Call("w1", "write", `{"path":"todo.txt","content":"buy milk\n"}`).Reply(),
		upstreamtest.Step().Call("w2", "write", `{"path":"secret.txt","content":"no\n"}`).Reply(),
		upstreamtest.Text("Wrote the list."))
	session := "deckhand-e2e-" + filepath.Base(ws)
	script := filepath.Join(t.TempDir(), "run.sh")
	body := "#!/bin/sh\ncd " + ws + "\nexport DECKHAND_HOME=" + home + " DECKHAND_CODEX_BASE_URL=" + fake.CodexBase() +
		" DECKHAND_AUTH_ISSUER=" + fake.Issuer() + " DECKHAND_LOG_LEVEL=warn OPENAI_API_KEY=\n" +
		binary + " exec 'write my todo list'\necho \"exit=$?\"\nsleep 30\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v %s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "30", script)
	defer exec.Command("tmux", "kill-session", "-t", session).Run()
	screen := func(want string) string {
		var s string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if s = tmux("capture-pane", "-p", "-t", session); strings.Contains(s, want) {
				return s
			}
		}
		t.Fatalf("the screen never showed %q:\n%s", want, s)
		return ""
	}
	if s := screen("todo.txt — allow?"); !strings.Contains(s, "+buy milk") {
		t.Errorf("the diff was not shown before the prompt:\n%s", s)
	}
	tmux("send-keys", "-t", session, "y", "Enter")
	screen("secret.txt — allow?")
	tmux("send-keys", "-t", session, "n", "Enter")
	s := screen("exit=")
	t.Logf("screen:\n%s", s)
	if !strings.Contains(s, "Wrote the list.") || !strings.Contains(s, "exit=0") {
		t.Errorf("final screen:\n%s", s)
	}
	if b, err := os.ReadFile(filepath.Join(ws, "todo.txt")); err != nil || string(b) != "buy milk\n" {
		t.Errorf("todo.txt = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(ws, "secret.txt")); err == nil {
		t.Errorf("secret.txt was written though the user said no")
	}
}
