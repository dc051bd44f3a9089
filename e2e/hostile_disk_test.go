package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// smallDisk mounts a tmpfs of size bytes at a new directory, unmounted when
// the test ends. It needs root (CI runs the suite as root).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a full disk needs a small tmpfs, and mounting one needs root: run as root (CI does) to test it")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s): the full-disk case cannot be tried", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file into dir until the disk is full, and returns a
// function that frees the space.
func fill(t *testing.T, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	f.Close()
	return func() { os.Remove(path) }
}

// TestHostileDiskFull: with deckhand's home on a full disk, a refresh
// rotates the ChatGPT token: the new token must not be dropped (the turn
// works with it, and it is written once there is room, so doctor passes
// afterwards); a session that cannot be appended to tells the editor, and
// is written whole at its next turn, so a restart still has every turn.
func TestHostileDiskFull(t *testing.T) {
	home := smallDisk(t, "512k")
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	fake.SetTokenTTL(2 * time.Minute) // inside the margin: the first turn refreshes
	tok := fake.Mint()
	fake.SetTokenTTL(time.Hour)
	writeOAuth(t, home, tok, upstreamtest.DefaultAccountID, time.Now().Add(2*time.Minute))

	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	free := fill(t, home)
	fake.PushCodex(upstreamtest.Text("first answer"))
	r1 := p.chat(map[string]any{"message": "first question"})
	if r1.StopReason != "end_turn" {
		free()
		t.Fatalf("the turn on a full disk ended %+v: the refreshed login was dropped", r1)
	}
	if n := fake.RefreshCount(); n != 1 {
		t.Errorf("want one refresh, got %d", n)
	}
	var told bool
	for _, n := range p.notifications("chat/notSaved") {
		told = told || strings.Contains(string(n.Params), r1.SessionID)
	}
	if !told {
		t.Errorf("the editor was not told that the session could not be saved")
	}
	free()
	fake.PushCodex(upstreamtest.Text("second answer"))
	if r2 := p.chat(map[string]any{"message": "second question", "sessionId": r1.SessionID}); r2.StopReason != "end_turn" {
		t.Fatalf("the turn after space was freed ended %+v", r2)
	}
	p.stdin.Close()
	<-p.exited

	// The login on disk is the rotated one: doctor's live check passes.
	doc := exec.Command(binary, "doctor", "--json")
	doc.Env = append(os.Environ(), "DECKHAND_HOME="+home, "DECKHAND_AUTH_ISSUER="+fake.Issuer(),
		"DECKHAND_CODEX_BASE_URL="+fake.CodexBase(), "OPENAI_BASE_URL="+fake.APIBase(), "OPENAI_API_KEY=")
	out, _ := doc.Output()
	if !liveOKIn(out) {
		t.Errorf("doctor fails after space was freed: %s", tail(string(out), 600))
	}
	// A new process has both turns of the session.
	q := start(t, opts{fake: fake, home: home})
	q.initialize(false)
	fake.PushCodex(upstreamtest.Text("third answer"))
	if r3 := q.chat(map[string]any{"message": "third question", "sessionId": r1.SessionID}); r3.StopReason != "end_turn" {
		t.Fatalf("the session after a restart: %+v", r3)
	}
	reqs := fake.RequestsTo(codexPath)
	var texts []string
	for _, it := range input(t, reqs, len(reqs)-1) {
		texts = append(texts, itemText(it))
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"first question", "first answer", "second question", "second answer"} {
		if !strings.Contains(all, want) {
			t.Errorf("after a restart the session lacks %q: the turn written on a full disk was lost", want)
		}
	}
}

// TestHostileFIFOSession: a FIFO where a session file (or auth.json's lock)
// should be must not hang deckhand: loading or chatting on that session
// answers an error at once, the other requests
// go on, and deckhand exits at the end of its input.
func TestHostileFIFOSession(t *testing.T) {
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	sessions := filepath.Join(home, "sessions")
	if err := os.MkdirAll(sessions, 0o700); err != nil {
		t.Fatal(err)
	}
	const id = "ses_0123456789abcdef"
	if err := syscall.Mkfifo(filepath.Join(sessions, id+".jsonl"), 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	done := make(chan *wireError, 1)
	go func() {
		_, err := p.call("chat", map[string]any{"message": "hi", "sessionId": id})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("a chat on a FIFO session worked")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("chat on a session whose file is a FIFO hangs")
	}
	go func() {
		_, err := p.call("sessions/load", map[string]any{"sessionId": id})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Message, "regular file") {
			t.Errorf("loading a FIFO session: want an error naming it not a regular file, got %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("sessions/load hangs on a FIFO session file")
	}
	if _, err := p.call("sessions/list", map[string]any{}); err != nil {
		t.Errorf("sessions/list: %v", err)
	}
	// A FIFO as auth.json's lock: a new chat still answers (an error or
	// not), it does not hang.
	if err := syscall.Mkfifo(filepath.Join(home, "auth.json.lock"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(upstreamtest.Text("ok"))
	go func() {
		_, err := p.call("chat", map[string]any{"message": "hi"})
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("chat hangs when auth.json's lock is a FIFO")
	}
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("deckhand did not exit at the end of its input")
	}
}

// TestHostileUndoAfterFailedUndo: an undo that could put nothing back (the
// user changed the file since) leaves its turn undoable; the next undo must
// not quietly take back the turn before it.
func TestHostileUndoAfterFailedUndo(t *testing.T) {
	fake, p := permissionServer(t, "allowAlways")
	fake.PushCodex(toolCall("w1", "write", map[string]any{"path": "a.txt", "content": "from turn one\n"}), upstreamtest.Text("one"))
	r := p.chat(map[string]any{"message": "one"})
	fake.PushCodex(toolCall("w2", "write", map[string]any{"path": "b.txt", "content": "from turn two\n"}), upstreamtest.Text("two"))
	r2 := p.chat(map[string]any{"message": "two", "sessionId": r.SessionID})
	writeFile(t, p.ws, "b.txt", "the user's own edit\n")
	for i := range 2 {
		var u undoResult
		p.ok("undo", map[string]any{"sessionId": r.SessionID}, &u)
		if u.TurnID != r2.TurnID || len(u.Restored) != 0 || len(u.Skipped) != 1 {
			t.Errorf("undo %d: want turn two skipped, got %+v", i+1, u)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(p.ws, "a.txt")); string(b) != "from turn one\n" {
		t.Errorf("an undo after a failed undo took back turn one: a.txt = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(p.ws, "b.txt")); string(b) != "the user's own edit\n" {
		t.Errorf("b.txt = %q", b)
	}
}

// TestHostileHugeSessionFile: a session file grown past MaxSessionFile (by
// a crafted file, or records of megabytes) is refused with a clear error,
// not loaded whole into memory; the server goes on.
func TestHostileHugeSessionFile(t *testing.T) {
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	fake.PushCodex(upstreamtest.Text("small answer"))
	r := p.chat(map[string]any{"message": "first question"})
	p.stdin.Close()
	<-p.exited

	path := filepath.Join(home, "sessions", r.SessionID+".jsonl")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var item string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `"first question"`) && strings.Contains(l, `"item"`) {
			item = l
		}
	}
	if item == "" {
		t.Fatalf("no item record in %s", b)
	}
	big := strings.Replace(item, `"first question"`, `"`+strings.Repeat("x", 1<<20)+`"`, 1) + "\n"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 130 {
		if _, err := f.WriteString(big); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()

	q := start(t, opts{fake: fake, home: home})
	q.initialize(false)
	fake.PushCodex(upstreamtest.Text("should not be asked"))
	_, werr := q.call("chat", map[string]any{"message": "more", "sessionId": r.SessionID})
	if werr == nil || !strings.Contains(werr.Message, "larger than") {
		t.Errorf("a 130 MiB session was not refused: %v", werr)
	}
	if st := q.status(); st.Type != "oauth" {
		t.Errorf("the server did not go on: %+v", st)
	}
}
