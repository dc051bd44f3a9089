package e2e

// The hostile group: each test reproduces an attack on deckhand from a
// command the user allowed, a careless workspace, a hostile upstream or a
// hostile editor, against the built binary, and checks that it held.
// `make hostile` runs the group alone; the long storms run under -soak.

import (
	"encoding/json"
	"flag"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

var soak = flag.Bool("soak", false, "run the hostile group's long storms")

func bashCall(id, command string) upstreamtest.Reply {
	args, _ := json.Marshal(map[string]string{"command": command})
	return upstreamtest.Step().Call(id, "bash", string(args)).Reply()
}

// ownedDir is a new directory the given user owns, readable by nobody else.
func ownedDir(t *testing.T, cred *syscall.Credential) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "deckhand-hostile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// unprivileged is the user a test runs deckhand as: nobody when the tests
// run as root (root may read any /proc entry, so the attack needs a normal
// user), else the current user, which is the real case already.
func unprivileged(t *testing.T) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("running as root and there is no user nobody to run deckhand as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// The binary's directory must be reachable by that user.
	if err := os.Chmod(filepath.Dir(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// TestHostileProcInjection: a command the user allowed once tries to steer
// deckhand through /proc/<deckhand>: write a request into its stdin, forge
// a frame to the editor on its stdout, read its environment (with the API
// key). All three must be refused.
func TestHostileProcInjection(t *testing.T) {
	cred := unprivileged(t)
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home, ws := ownedDir(t, cred), ownedDir(t, cred)
	const secret = "sk-hostile-test-0123456789"
	fake.SetAPIKey(secret)
	p := start(t, opts{fake: fake, home: home, ws: ws, cred: cred, env: []string{"OPENAI_API_KEY=" + secret}})
	p.onRequest = func(m msg) any {
		if m.Method == "permission/request" {
			return map[string]any{"decision": "allow"}
		}
		return nil
	}
	p.initialize(true)
	// Each attempt prints "opened" or "refused"; a forged frame and an
	// injected request would also show up on the editor's side.
	attack := `d=/proc/$PPID
if cat $d/environ >/dev/null 2>&1; then echo "environ opened"; tr '\0' '\n' < $d/environ; else echo "environ refused"; fi
if (echo '{"jsonrpc":"2.0","method":"chat/delta","params":{"text":"FORGED"}}' > $d/fd/1) 2>/dev/null; then echo "fd1 opened"; else echo "fd1 refused"; fi
if (echo '{"jsonrpc":"2.0","id":"inj","method":"status"}' > $d/fd/0) 2>/dev/null; then echo "fd0 opened"; else echo "fd0 refused"; fi`
	fake.PushAPI(bashCall("b1", attack), upstreamtest.Text("done"))
	r := p.chat(map[string]any{"message": "run it"})
	if r.StopReason != "end_turn" {
		t.Fatalf("turn ended %+v", r)
	}
	out := outputsOf(input(t, fake.RequestsTo("/v1/responses"), 1))["b1"]
	for _, want := range []string{"environ refused", "fd1 refused", "fd0 refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("the command got through /proc: want %q in its output:\n%s", want, tail(out, 400))
		}
	}
	if strings.Contains(out, secret) {
		t.Errorf("the command read the API key from deckhand's environment")
	}
	for _, n := range p.notifications("") {
		forged := n.Method == "chat/delta" && strings.Contains(string(n.Params), "FORGED")
		if forged || strings.Contains(string(n.ID), "inj") {
			t.Errorf("a frame from the command reached the editor: %s %s", n.Method, n.Params)
		}
	}
}

// alive reports whether pid is a process that has not exited (a zombie
// waiting for its reaper counts as gone).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	fields := strings.Fields(s)
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// TestHostileChildrenDieWithDeckhand: kill -9 of deckhand while a bash
// command runs must not leave the command, or what it started in its
// process group, running.
func TestHostileChildrenDieWithDeckhand(t *testing.T) {
	fake, p := permissionServer(t, "allow")
	fake.PushCodex(bashCall("b1", `echo $$ > leader.pid; sleep 600 & echo $! > bg.pid; sleep 600 | cat & echo $! > pipe.pid; wait`))
	p.send("chat", map[string]any{"message": "run"})
	var pids []int
	deadline := time.Now().Add(30 * time.Second)
	for len(pids) < 3 && time.Now().Before(deadline) {
		pids = pids[:0]
		for _, f := range []string{"leader.pid", "bg.pid", "pipe.pid"} {
			b, err := os.ReadFile(filepath.Join(p.ws, f))
			if n, err2 := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && err2 == nil {
				pids = append(pids, n)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(pids) < 3 {
		t.Fatalf("the command did not start: pids %v", pids)
	}
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("process %d is not running before the kill", pid)
		}
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		left := 0
		for _, pid := range pids {
			if alive(pid) {
				left++
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, pid := range pids {
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d outlived deckhand's kill -9", pid)
		}
	}
}
