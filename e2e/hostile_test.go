package e2e

// The hostile group: each test reproduces an attack on deckhand from a
// command the user allowed, a careless workspace, a hostile upstream or a
// hostile editor, against the built binary, and checks that it held.
// `make hostile` runs the group alone.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

func bashCall(id, command string) upstreamtest.Reply {
	args, _ := json.Marshal(map[string]string{"command": command})
	return upstreamtest.Step().Call(id, "bash", string(args)).Reply()
}

// ownedDir is a new directory the given user owns, readable by nobody else.
func ownedDir(t testing.TB, cred *syscall.Credential) string {
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
func unprivileged(t testing.TB) *syscall.Credential {
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
	t.Parallel()
	fake, p := permissionServer(t, "allow")
	fake.PushCodex(bashCall("b1", `echo $$ > leader.pid; sleep 600 & echo $! > bg.pid; sleep 600 | cat & echo $! > pipe.pid; wait`))
	p.send("chat", map[string]any{"message": "run"})
	var pids []int
	for _, f := range []string{"leader.pid", "bg.pid", "pipe.pid"} {
		if n, err := strconv.Atoi(strings.TrimSpace(waitFile(t, filepath.Join(p.ws, f), 1, 30*time.Second))); err == nil {
			pids = append(pids, n)
		}
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
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		if !waitExit(pid, time.Until(deadline)) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d outlived deckhand's kill -9", pid)
		}
	}
}

// TestHostileHomeInWorkspace: with the workspace at the user's home folder,
// read, grep, glob and list must never hand deckhand's own login to the
// model, and reading another program's credential store asks first.
func TestHostileHomeInWorkspace(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	ws, home, tok := homeInWorkspace(t, fake)
	writeFile(t, ws, ".ssh/id_ed25519", "PRIVATE-KEY-MATERIAL\n")
	writeFile(t, ws, ".codex/auth.json", `{"tokens":{"refresh_token":"CODEX-REFRESH"}}`)
	writeFile(t, ws, "notes.txt", "refresh the page\n")
	p := start(t, opts{fake: fake, home: home, ws: ws, env: []string{"HOME=" + ws, "XDG_DATA_HOME="}})
	var asked []string
	p.onRequest = func(m msg) any {
		if m.Method != "permission/request" {
			return nil
		}
		asked = append(asked, string(m.Params))
		return map[string]any{"decision": "deny"}
	}
	p.initialize(true)
	call := func(id, tool string, args map[string]any) upstreamtest.Reply {
		b, _ := json.Marshal(args)
		return upstreamtest.Step().Call(id, tool, string(b)).Reply()
	}
	fake.PushCodex(
		call("r1", "read", map[string]any{"path": ".local/share/deckhand/auth.json"}),
		call("r2", "read", map[string]any{"path": filepath.Join(home, "auth.json")}),
		call("g1", "grep", map[string]any{"pattern": "refresh"}),
		call("g2", "glob", map[string]any{"pattern": "**/auth.json"}),
		call("l1", "list", map[string]any{"path": ".local/share"}),
		call("l2", "list", map[string]any{}),
		call("s1", "read", map[string]any{"path": ".ssh/id_ed25519"}),
		call("c1", "grep", map[string]any{"pattern": "CODEX", "path": ".codex/auth.json"}),
		call("c2", "grep", map[string]any{"pattern": "CODEX", "path": ".codex"}),
		upstreamtest.Text("done"))
	r := p.chat(map[string]any{"message": "look around"})
	if r.StopReason != "end_turn" {
		t.Fatalf("turn %+v", r)
	}
	reqs := fake.RequestsTo(codexPath)
	outs := map[string]string{}
	for i := 1; i < len(reqs); i++ {
		for k, v := range outputsOf(input(t, reqs, i)) {
			outs[k] = v
		}
	}
	for id, out := range outs {
		for _, secret := range []string{tok.RefreshToken, tok.AccessToken, "PRIVATE-KEY-MATERIAL", "CODEX-REFRESH"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s handed a secret to the model: %s", id, tail(out, 300))
			}
		}
	}
	for _, id := range []string{"r1", "r2"} {
		if !strings.Contains(outs[id], "deckhand's own data folder") {
			t.Errorf("%s: want a refusal naming deckhand's data folder, got %q", id, outs[id])
		}
	}
	if !strings.Contains(outs["g1"], "notes.txt") {
		t.Errorf("grep over the workspace found nothing: %q", outs["g1"])
	}
	if strings.Contains(outs["g2"], "codex/auth.json") || strings.Contains(outs["g2"], "deckhand/auth.json") || strings.Contains(outs["c2"], "auth.json") || strings.Contains(outs["l1"], "deckhand") || strings.Contains(outs["l2"], ".ssh") {
		t.Errorf("a walk showed a credential store: glob %q list %q / %q", outs["g2"], outs["l1"], tail(outs["l2"], 300))
	}
	if len(asked) != 2 || !strings.Contains(asked[0], "id_ed25519") || !strings.Contains(asked[1], ".codex") {
		t.Errorf("want permission asked for the ssh key and the codex store, got %q", asked)
	}
	if outs["s1"] != "denied by the user" {
		t.Errorf("the denied read gave %q", outs["s1"])
	}
	// The login is intact.
	if st := p.status(); st.Type != "oauth" {
		t.Errorf("status after the turn: %+v", st)
	}
}

// TestHostileWorkspaceRoot: the root of the file system and deckhand's own
// home are refused as workspaces, with a sentence that says why.
func TestHostileWorkspaceRoot(t *testing.T) {
	t.Parallel()
	p := start(t, opts{})
	for _, root := range []string{"/", p.home} {
		err := p.fails("initialize", map[string]any{"clientInfo": map[string]any{"name": "e2e", "version": "1"},
			"workspaceRoot": root, "capabilities": map[string]any{"permissions": true}}, -32602)
		if !strings.Contains(err.Message, "cannot be a workspace") {
			t.Errorf("workspaceRoot %s: %q", root, err.Message)
		}
	}
}

// TestHostileInterruptedWriteCleaned: the temporary file a write killed
// half-way left behind is removed when deckhand next opens the workspace,
// and nothing else: user files merely named like deckhand's temporary files
// (.env.deckhand-prod, old or with a number in it, or with a made-up tag)
// stay, since the sweep removes only names whose tag proves deckhand made
// them.
func TestHostileInterruptedWriteCleaned(t *testing.T) {
	t.Parallel()
	ws, home := t.TempDir(), t.TempDir()
	key := []byte("0123456789abcdef0123456789abcdef")
	if err := os.WriteFile(filepath.Join(home, "temp-key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("main.go\x00999999999\x004k2j"))
	stale := writeFile(t, ws, "src/.main.go.deckhand-999999999-4k2j-"+hex.EncodeToString(mac.Sum(nil))[:16], "half a file")
	kept := []string{writeFile(t, ws, "src/main.go", "package main\n")}
	for _, name := range []string{".env.deckhand-prod", ".env.deckhand-999999999-prod", ".env.deckhand-staging",
		"src/.main.go.deckhand-999999999-4k2j-0123456789abcdef", "src/.main.go.deckhand-999999999-4k2j"} {
		path := writeFile(t, ws, name, "USER DATA\n")
		old := time.Now().Add(-48 * time.Hour)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, path)
	}
	p := start(t, opts{ws: ws, home: home})
	p.initialize(false)
	waitPath(t, stale, 20*time.Second, "the interrupted write's temporary file was not removed", func(_ []byte, exists bool) bool { return !exists })
	for _, k := range kept {
		if _, err := os.Stat(k); err != nil {
			t.Errorf("the sweep removed a user's file: %v", err)
		}
	}
}

// TestHostileEndlessStream: an upstream that never ends an event, or never
// ends its stream, is cut off at deckhand's bound with a clear error, and
// the server goes on.
func TestHostileEndlessStream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		step *upstreamtest.StepBuilder
	}{
		{"endless event", upstreamtest.Step().Text("hi").EndlessEvent()},
		{"endless text", upstreamtest.Step().Text("flood ").EndlessText()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, p, _ := oauthServer(t, opts{})
			fake.PushCodex(tc.step.Reply())
			_, err := p.call("chat", map[string]any{"message": "hi"})
			if err == nil || !strings.Contains(err.Message, "larger than deckhand accepts") {
				t.Fatalf("want the size-limit error, got %v", err)
			}
			if n := len(fake.RequestsTo(codexPath)); n != 1 {
				t.Errorf("%d requests: a cut answer must not be retried", n)
			}
			fake.PushCodex(upstreamtest.Text("still here"))
			if r := p.chat(map[string]any{"message": "again"}); r.Text != "still here" {
				t.Errorf("next turn %+v", r)
			}
		})
	}
}

// TestHostileManyCallsInOneStep: a step with thousands of reads runs a
// bounded number and tells the model about the rest.
func TestHostileManyCallsInOneStep(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	writeFile(t, p.ws, "f.txt", "line\n")
	step := upstreamtest.Step()
	for i := range 200 {
		step.Call("c"+strconv.Itoa(i), "read", `{"path":"f.txt"}`)
	}
	fake.PushCodex(step.Reply(), upstreamtest.Text("done"))
	if r := p.chat(map[string]any{"message": "read a lot"}); r.StopReason != "end_turn" {
		t.Fatalf("turn %+v", r)
	}
	outs := outputsOf(input(t, fake.RequestsTo(codexPath), 1))
	if len(outs) != 200 {
		t.Fatalf("%d outputs for 200 calls", len(outs))
	}
	ran := 0
	for _, out := range outs {
		if strings.Contains(out, "line") {
			ran++
		} else if !strings.Contains(out, "at most 64 run in one step") {
			t.Fatalf("unexpected output %q", out)
		}
	}
	if ran != 64 {
		t.Errorf("%d calls ran, want 64", ran)
	}
}

// TestHostileHugeMessage: a chat message far over the bound is refused with
// a sentence saying what to do, and the server goes on.
func TestHostileHugeMessage(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	e := p.fails("chat", map[string]any{"message": strings.Repeat("x", 3<<20)}, -32602)
	if !strings.Contains(e.Message, "put large content in a file") {
		t.Errorf("message %q", e.Message)
	}
	if n := len(fake.RequestsTo(codexPath)); n != 0 {
		t.Errorf("%d requests upstream for a refused message", n)
	}
	fake.PushCodex(upstreamtest.Text("fine"))
	if r := p.chat(map[string]any{"message": "hi"}); r.Text != "fine" {
		t.Errorf("next chat %+v", r)
	}
}

// TestHostileEditorNeverReads: an editor that stops reading deckhand's
// stdout while an answer streams must still be able to end deckhand by
// closing its stdin, and SIGTERM must end it too.
func TestHostileEditorNeverReads(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"stdin closed", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			u := startUnread(t)
			u.waitFull(t)
			if how == "SIGTERM" {
				u.cmd.Process.Signal(syscall.SIGTERM)
			} else {
				u.stdin.Close()
			}
			select {
			case <-u.exited:
			case <-time.After(20 * time.Second):
				t.Fatalf("deckhand did not exit within 20 s of %s while its stdout was not read", how)
			}
		})
	}
}

// homeInWorkspace makes a workspace that holds deckhand's home at the XDG
// place (the workspace is the user's home) with a ChatGPT login in it.
func homeInWorkspace(t *testing.T, fake *upstreamtest.Server) (ws, home string, tok upstreamtest.Tokens) {
	t.Helper()
	ws = t.TempDir()
	home = filepath.Join(ws, ".local", "share", "deckhand")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	tok = fake.Mint()
	writeOAuth(t, home, tok, "acct_test_1", farFuture())
	return ws, home, tok
}
