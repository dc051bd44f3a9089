package e2e

// Commands in the OS sandbox and the approval policies (PROTOCOL 1.2),
// against the built binary: what runs without asking, what asks, what is
// refused, and what a sandboxed command cannot reach.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// kernelHasLandlock asks the kernel directly (landlock_create_ruleset with
// the version flag), so that a deckhand that fails to find Landlock on a
// machine that has it fails the test instead of skipping it.
func kernelHasLandlock() bool {
	const sysLandlockCreateRuleset, versionFlag = 444, 1
	abi, _, errno := syscall.Syscall(sysLandlockCreateRuleset, 0, 0, versionFlag)
	return errno == 0 && abi >= 1
}

// sandboxServer is a logged-in deckhand whose editor answers every
// permission request with decision and records it.
func sandboxServer(t *testing.T, decision string, args ...string) (*upstreamtest.Server, *proc, map[string]any) {
	t.Helper()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home, args: args})
	p.onRequest = func(m msg) any {
		if m.Method != "permission/request" {
			return nil
		}
		return map[string]any{"decision": decision}
	}
	res := p.initialize(true)
	return fake, p, res
}

// sandboxOf is initialize's capabilities.sandbox.
func sandboxOf(t *testing.T, res map[string]any) (kind, reason string) {
	t.Helper()
	caps, _ := res["capabilities"].(map[string]any)
	sb, ok := caps["sandbox"].(map[string]any)
	if !ok {
		t.Fatalf("initialize's capabilities have no sandbox: %v", res["capabilities"])
	}
	kind, _ = sb["kind"].(string)
	reason, _ = sb["reason"].(string)
	return kind, reason
}

// requireSandbox skips the test where this kernel has no Landlock, and
// fails it where the kernel has it but deckhand did not say so.
func requireSandbox(t *testing.T, res map[string]any) {
	t.Helper()
	kind, reason := sandboxOf(t, res)
	if !kernelHasLandlock() {
		if kind != "none" || reason == "" {
			t.Errorf("no Landlock in the kernel, yet initialize reports sandbox %q (%q)", kind, reason)
		}
		t.Skipf("this kernel has no Landlock, the sandboxed path cannot be tested here: %s", reason)
	}
	if kind != "landlock" {
		t.Fatalf("the kernel has Landlock, yet initialize reports sandbox %q: %s", kind, reason)
	}
}

// outsideDir is a folder outside the workspace and outside the temp
// folders that sandboxed commands may write (standing for ~/.ssh).
func outsideDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "deckhand-e2e-outside-")
	if err != nil {
		t.Skipf("no folder outside the temp folders to test with: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestSandboxOnRequest(t *testing.T) {
	t.Parallel()
	fake, p, res := sandboxServer(t, "allow")
	requireSandbox(t, res)
	outside := outsideDir(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	connected := make(chan struct{}, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connected <- struct{}{}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	auth := filepath.Join(p.home, "auth.json")
	fake.PushCodex(
		bashCall("ws", `echo made > made.txt && echo t > "$TMPDIR/own" && cat "$TMPDIR/own" > /dev/null && echo wrote`),
		bashCall("ssh", "mkdir -p "+outside+"/.ssh && echo key >> "+outside+"/.ssh/authorized_keys"),
		bashCall("auth", "cat "+auth),
		bashCall("home", "echo x > "+filepath.Join(p.home, "planted")),
		bashCall("tcp", fmt.Sprintf("echo secret > /dev/tcp/127.0.0.1/%d", port)),
		upstreamtest.Text("done"))
	if r := p.chat(map[string]any{"message": "try things"}); r.StopReason != "end_turn" {
		t.Fatalf("result %+v", r)
	}
	if reqs := p.permissionRequests(t); len(reqs) != 0 {
		t.Fatalf("sandboxed commands asked: %+v", reqs)
	}
	outs := outputsOf(input(t, fake.RequestsTo(codexPath), 5))
	if b, _ := os.ReadFile(filepath.Join(p.ws, "made.txt")); string(b) != "made\n" || !strings.Contains(outs["ws"], "wrote") {
		t.Errorf("the workspace write: file %q, output %q", b, outs["ws"])
	}
	if _, err := os.Stat(filepath.Join(outside, ".ssh")); err == nil {
		t.Errorf("a sandboxed command wrote outside the workspace: %q", outs["ssh"])
	}
	if strings.Contains(outs["auth"], "refresh") || strings.Contains(outs["auth"], "acct_test_1") {
		t.Errorf("a sandboxed command read the login: %q", outs["auth"])
	}
	if _, err := os.Stat(filepath.Join(p.home, "planted")); err == nil {
		t.Error("a sandboxed command wrote into deckhand's home")
	}
	select {
	case <-connected:
		t.Errorf("a sandboxed command reached a TCP listener: %q", outs["tcp"])
	case <-time.After(100 * time.Millisecond):
	}
	for _, id := range []string{"ssh", "auth", "tcp"} {
		if !strings.Contains(outs[id], "require_escalated") {
			t.Errorf("%s: the denial does not say how to ask for escalation: %q", id, outs[id])
		}
	}

	// An escalation asks, with its justification, and runs outside the
	// sandbox once allowed.
	fake.PushCodex(upstreamtest.Step().Call("esc", "bash", callArgs(map[string]any{
		"command":             "echo key > " + outside + "/allowed",
		"sandbox_permissions": "require_escalated",
		"justification":       "Write the key outside the workspace?",
	})).Reply(), upstreamtest.Text("done"))
	p.chat(map[string]any{"message": "escalate"})
	var asked []map[string]any
	p.mu.Lock()
	for _, m := range p.requests {
		if m.Method == "permission/request" {
			asked = append(asked, decode[map[string]any](t, m.Params))
		}
	}
	p.mu.Unlock()
	if len(asked) != 1 {
		t.Fatalf("%d permission requests for the escalation, want 1", len(asked))
	}
	preview, _ := asked[0]["preview"].(map[string]any)
	if preview["sandboxed"] != false || preview["justification"] != "Write the key outside the workspace?" || preview["cwd"] != p.ws {
		t.Errorf("escalation preview %v", preview)
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "allowed")); string(b) != "key\n" {
		t.Errorf("the allowed escalation did not run outside the sandbox: %q", b)
	}
	// chat/toolResult says where each command ran.
	where := map[string]any{}
	for _, n := range p.notifications("chat/toolResult") {
		r := decode[map[string]any](t, n.Params)
		where[r["callId"].(string)] = r["sandboxed"]
	}
	if where["ws"] != true || where["tcp"] != true || where["esc"] != false {
		t.Errorf("chat/toolResult sandboxed: %v", where)
	}
}

func TestSandboxNeverRefusesEscalation(t *testing.T) {
	t.Parallel()
	fake, p, res := sandboxServer(t, "allow", "--approval-policy", "never")
	requireSandbox(t, res)
	outside := outsideDir(t)
	fake.PushCodex(
		upstreamtest.Step().Call("esc", "bash", callArgs(map[string]any{
			"command": "echo key > " + outside + "/refused", "sandbox_permissions": "require_escalated", "justification": "may I?",
		})).Call("in", "bash", `{"command":"echo inside > in.txt"}`).Reply(),
		upstreamtest.Text("done"))
	p.chat(map[string]any{"message": "escalate"})
	if reqs := p.permissionRequests(t); len(reqs) != 0 {
		t.Fatalf("never asked: %+v", reqs)
	}
	outs := outputsOf(input(t, fake.RequestsTo(codexPath), 1))
	if !strings.Contains(outs["esc"], `approval policy is "never"`) {
		t.Errorf("the refusal does not say why: %q", outs["esc"])
	}
	if _, err := os.Stat(filepath.Join(outside, "refused")); err == nil {
		t.Error("the refused escalation ran")
	}
	if b, _ := os.ReadFile(filepath.Join(p.ws, "in.txt")); string(b) != "inside\n" {
		t.Errorf("the sandboxed command beside it did not run: %q", b)
	}
}

func TestSandboxUntrustedAsksButForReadOnly(t *testing.T) {
	t.Parallel()
	fake, p, res := sandboxServer(t, "deny")
	requireSandbox(t, res)
	fake.PushCodex(
		upstreamtest.Step().Call("ls", "bash", `{"command":"ls -la && git status || true"}`).Call("touch", "bash", `{"command":"touch made.txt"}`).Reply(),
		upstreamtest.Text("done"))
	p.chat(map[string]any{"message": "look", "approvalPolicy": "untrusted"})
	reqs := p.permissionRequests(t)
	if len(reqs) != 1 || reqs[0].CallID != "touch" {
		t.Fatalf("untrusted asked %+v, want touch alone", reqs)
	}
	if _, err := os.Stat(filepath.Join(p.ws, "made.txt")); err == nil {
		t.Error("the denied command ran")
	}
}

// TestSandboxOff: turned off, there is no sandbox, initialize says why, and
// every command asks, as in 1.0.
func TestSandboxOff(t *testing.T) {
	t.Parallel()
	fake, p, res := sandboxServer(t, "deny", "--no-sandbox")
	if kind, reason := sandboxOf(t, res); kind != "none" || !strings.Contains(reason, "--no-sandbox") {
		t.Errorf("sandbox %q (%q), want none because of --no-sandbox", kind, reason)
	}
	fake.PushCodex(bashCall("b", "ls"), upstreamtest.Text("done"))
	p.chat(map[string]any{"message": "look"})
	reqs := p.permissionRequests(t)
	if len(reqs) != 1 {
		t.Fatalf("%d permission requests, want 1", len(reqs))
	}
	var params map[string]any
	p.mu.Lock()
	for _, m := range p.requests {
		if m.Method == "permission/request" {
			params = decode[map[string]any](t, m.Params)
		}
	}
	p.mu.Unlock()
	if preview, _ := params["preview"].(map[string]any); preview["sandboxed"] != false {
		t.Errorf("preview %v, want sandboxed false", preview)
	}
}

func TestSandboxBadParams(t *testing.T) {
	t.Parallel()
	p := start(t, opts{})
	if _, err := p.call("initialize", map[string]any{"workspaceRoot": p.ws, "approvalPolicy": "always"}); err == nil || err.Code != -32602 {
		t.Errorf("initialize with a bad policy: %v, want -32602", err)
	}
	if _, err := p.call("initialize", map[string]any{"workspaceRoot": p.ws, "sandbox": "read-only", "approvalPolicy": "never"}); err != nil {
		t.Fatalf("initialize after bad params: %v", err)
	}
	for _, params := range []map[string]any{
		{"message": "x", "approvalPolicy": "sometimes"},
		{"message": "x", "sandbox": "danger-full-access"},
	} {
		if _, err := p.call("chat", params); err == nil || err.Code != -32602 || !strings.Contains(err.Message, "must be") {
			t.Errorf("chat %v: %v, want -32602 saying what it must be", params, err)
		}
	}
}

// TestHostileSandboxEscapes: commands that run in the sandbox without
// asking try every way out of it we could think of; each must fail, with
// nothing written outside the workspace and the login never read.
func TestHostileSandboxEscapes(t *testing.T) {
	t.Parallel()
	fake, p, res := sandboxServer(t, "deny")
	requireSandbox(t, res)
	out := outsideDir(t)
	writeFile(t, out, "existing", "original\n")
	open := filepath.Join(out, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777) // writable by anyone: the sandbox does not care
	auth := filepath.Join(p.home, "auth.json")
	escapes := map[string]string{
		"symlink":        "ln -s " + out + " link && echo k > link/a",
		"symlink read":   "ln -s " + p.home + " h && cat h/auth.json",
		"proc root":      "echo k > /proc/self/root" + out + "/b",
		"proc parent":    "cat /proc/$PPID/root" + auth,
		"hard link read": "ln " + auth + " stolen && cat stolen",
		"hard link":      "ln " + out + "/existing hl && echo k >> hl",
		"open dir":       "echo k > " + open + "/c",
		"re-exec":        "exec sh -c 'exec bash -c \"echo k > " + out + "/d\"'",
		"detached child": "setsid sh -c 'echo k > " + out + "/e' < /dev/null; sleep 0.3; test -e " + out + "/e",
		"own re-exec":    fmt.Sprintf("%q sandbox-exec --policy '{\"writable\":[\"/\"]}' -- sh -c 'echo k > %s/f'", binary, out),
		"mount":          "unshare -Urm sh -c 'mount -t tmpfs none " + out + " && echo k > " + out + "/g'",
		"rename out":     "echo k > w.txt && mv w.txt " + out + "/h",
		"home write":     "echo k > " + p.home + "/i",
	}
	var steps []upstreamtest.Reply
	for id, cmd := range escapes {
		steps = append(steps, bashCall(id, cmd))
	}
	fake.PushCodex(append(steps, upstreamtest.Text("done"))...)
	p.chat(map[string]any{"message": "escape"})
	if reqs := p.permissionRequests(t); len(reqs) != 0 {
		t.Fatalf("sandboxed commands asked: %+v", reqs)
	}
	outs := map[string]string{}
	reqs := fake.RequestsTo(codexPath)
	for k, v := range outputsOf(input(t, reqs, len(reqs)-1)) {
		outs[k] = v
	}
	for id := range escapes {
		o, ok := outs[id]
		if !ok {
			t.Errorf("%s: no output reached the model", id)
			continue
		}
		if strings.Contains(o, "exit code: 0") || strings.Contains(o, "acct_test_1") {
			t.Errorf("%s: got out of the sandbox: %q", id, o)
		}
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the outside folder holds %v, want existing and open", names)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "existing")); string(b) != "original\n" {
		t.Errorf("existing changed to %q", b)
	}
	if e, _ := os.ReadDir(open); len(e) != 0 {
		t.Errorf("the open folder was written")
	}
	if _, err := os.Stat(filepath.Join(p.home, "i")); err == nil {
		t.Error("deckhand's home was written")
	}
}

// TestSandboxACPModes: over ACP the policies are session modes; read-only
// runs a command in a sandbox that writes nothing, without asking, and
// auto lets the same command write the workspace.
func TestSandboxACPModes(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home, args: []string{"acp"}})
	var asked int
	p.onRequest = func(m msg) any {
		if m.Method == "session/request_permission" {
			asked++
			return map[string]any{"outcome": map[string]any{"outcome": "selected", "optionId": "reject"}}
		}
		return nil
	}
	p.ok("initialize", map[string]any{"protocolVersion": 1}, nil)
	var sess struct {
		SessionID string `json:"sessionId"`
		Modes     struct {
			CurrentModeID string `json:"currentModeId"`
		} `json:"modes"`
	}
	p.ok("session/new", map[string]any{"cwd": p.ws, "mcpServers": []any{}}, &sess)
	if sess.Modes.CurrentModeID != "auto" {
		t.Fatalf("the default mode is %q, want auto", sess.Modes.CurrentModeID)
	}
	prompt := func(text string) {
		p.ok("session/prompt", map[string]any{"sessionId": sess.SessionID, "prompt": []any{map[string]any{"type": "text", "text": text}}}, nil)
	}
	p.ok("session/set_mode", map[string]any{"sessionId": sess.SessionID, "modeId": "read-only"}, nil)
	fake.PushCodex(bashCall("ro", "echo x > ro.txt"), upstreamtest.Text("done"))
	prompt("write under read-only")
	fake.PushCodex(bashCall("rw", "echo x > rw.txt"), upstreamtest.Text("done"))
	p.ok("session/set_mode", map[string]any{"sessionId": sess.SessionID, "modeId": "auto"}, nil)
	prompt("write under auto")
	_, roErr := os.Stat(filepath.Join(p.ws, "ro.txt"))
	_, rwErr := os.Stat(filepath.Join(p.ws, "rw.txt"))
	kind := "landlock"
	if !kernelHasLandlock() {
		kind = "none"
	}
	switch {
	case kind == "none" && (asked != 2 || roErr == nil || rwErr == nil):
		t.Errorf("without a sandbox: %d requests (want 2, both rejected), ro %v, rw %v", asked, roErr, rwErr)
	case kind != "none" && (asked != 0 || roErr == nil || rwErr != nil):
		t.Errorf("%d permission requests (want 0); read-only wrote: %v; auto wrote: %v", asked, roErr == nil, rwErr == nil)
	}
}
