package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// permissionServer is a logged-in deckhand whose editor can answer
// permission requests with the given decisions, in turn.
func permissionServer(t *testing.T, decisions ...string) (*upstreamtest.Server, *proc) {
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home})
	n := 0
	p.onRequest = func(m msg) any {
		if m.Method != "permission/request" || n >= len(decisions) {
			return nil
		}
		d := decisions[n]
		n++
		return map[string]any{"decision": d}
	}
	p.initialize(true)
	return fake, p
}

func writeCall(id, path, content string) upstreamtest.Reply {
	args, _ := json.Marshal(map[string]string{"path": path, "content": content})
	return upstreamtest.Step().Call(id, "write", string(args)).Reply()
}

func TestPermissionDeny(t *testing.T) {
	fake, p := permissionServer(t, "deny")
	fake.PushCodex(writeCall("w1", "out.txt", "data"), upstreamtest.Text("ok, not writing"))
	r := p.chat(map[string]any{"message": "write"})
	if r.StopReason != "end_turn" || r.Steps != 2 {
		t.Fatalf("result %+v: a denial must not end the turn", r)
	}
	if _, err := os.Stat(filepath.Join(p.ws, "out.txt")); err == nil {
		t.Errorf("the file was written despite the denial")
	}
	reqs := fake.RequestsTo(codexPath)
	if out := outputsOf(input(t, reqs, 1))["w1"]; out != "denied by the user" {
		t.Errorf("model saw %q", out)
	}
	p.mu.Lock()
	req := p.requests[0]
	p.mu.Unlock()
	var params struct {
		SessionID, TurnID, CallID, Tool, Description string
		Arguments                                    map[string]any
	}
	json.Unmarshal(req.Params, &params)
	var id uint64 // unguessable: a counter over 32 random bits
	if json.Unmarshal(req.ID, &id) != nil || id < 1<<32 || params.Tool != "write" || params.CallID != "w1" || params.SessionID != r.SessionID ||
		params.TurnID != r.TurnID || params.Arguments["path"] != "out.txt" || params.Description == "" {
		t.Errorf("permission/request id %s params %s", req.ID, req.Params)
	}
	var tr struct {
		OK    bool
		Error string
	}
	json.Unmarshal(p.notifications("chat/toolResult")[0].Params, &tr)
	if tr.OK || !strings.Contains(tr.Error, "denied") {
		t.Errorf("toolResult %+v", tr)
	}
}

func TestPermissionAllowAsksEachTime(t *testing.T) {
	fake, p := permissionServer(t, "allow", "allow")
	fake.PushCodex(writeCall("w1", "a.txt", "A"), writeCall("w2", "b.txt", "B"), upstreamtest.Text("done"))
	p.chat(map[string]any{"message": "write two"})
	for _, f := range []string{"a.txt", "b.txt"} {
		if _, err := os.Stat(filepath.Join(p.ws, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	p.mu.Lock()
	n := len(p.requests)
	p.mu.Unlock()
	if n != 2 {
		t.Errorf("%d permission requests, want 2", n)
	}
}

func TestPermissionAllowAlways(t *testing.T) {
	fake, p := permissionServer(t, "allowAlways", "allow")
	fake.PushCodex(writeCall("w1", "a.txt", "A"), writeCall("w2", "b.txt", "B"), upstreamtest.Text("done"))
	r := p.chat(map[string]any{"message": "write two"})
	fake.PushCodex(writeCall("w3", "c.txt", "C"), upstreamtest.Text("done"))
	p.chat(map[string]any{"message": "one more", "sessionId": r.SessionID})
	for _, f := range []string{"a.txt", "b.txt", "c.txt"} {
		if _, err := os.Stat(filepath.Join(p.ws, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	p.mu.Lock()
	n := len(p.requests)
	p.mu.Unlock()
	if n != 1 {
		t.Errorf("%d permission requests, want 1 (allowAlways holds for the session)", n)
	}
	// Another session asks again.
	fake.PushCodex(writeCall("w4", "d.txt", "D"), upstreamtest.Text("done"))
	p.chat(map[string]any{"message": "new session"})
	p.mu.Lock()
	n = len(p.requests)
	p.mu.Unlock()
	if n != 2 {
		t.Errorf("%d permission requests after a new session, want 2", n)
	}
}

func TestMutatingToolsRefusedWithoutCapability(t *testing.T) {
	fake, p, _ := oauthServer(t, opts{}) // initialize(false): no permissions capability
	writeFile(t, p.ws, "keep.txt", "original\n")
	fake.PushCodex(
		upstreamtest.Step().Call("r1", "read", `{"path":"keep.txt"}`).Call("w1", "write", `{"path":"keep.txt","content":"changed"}`).Call("b1", "bash", `{"command":"touch made.txt"}`).Reply(),
		upstreamtest.Text("could not"))
	// untrusted: touch asks even where the sandbox would run it without
	// asking (e2e/sandbox_test.go has that case).
	p.chat(map[string]any{"message": "change it", "approvalPolicy": "untrusted"})
	b, _ := os.ReadFile(filepath.Join(p.ws, "keep.txt"))
	if string(b) != "original\n" {
		t.Errorf("keep.txt changed to %q", b)
	}
	if _, err := os.Stat(filepath.Join(p.ws, "made.txt")); err == nil {
		t.Errorf("bash ran without permission")
	}
	outs := outputsOf(input(t, fake.RequestsTo(codexPath), 1))
	if !strings.Contains(outs["r1"], "original") {
		t.Errorf("read-only read did not run: %q", outs["r1"])
	}
	for _, id := range []string{"w1", "b1"} {
		if !strings.Contains(outs[id], "--allow-all") {
			t.Errorf("%s: %q does not explain how to allow it", id, outs[id])
		}
	}
}

func TestAllowAllRunsMutatingTools(t *testing.T) {
	fake, p, _ := oauthServer(t, opts{args: []string{"--allow-all"}})
	fake.PushCodex(upstreamtest.Step().Call("b1", "bash", `{"command":"echo hi > made.txt; echo done"}`).Reply(), upstreamtest.Text("ok"))
	p.chat(map[string]any{"message": "go"})
	if b, err := os.ReadFile(filepath.Join(p.ws, "made.txt")); err != nil || string(b) != "hi\n" {
		t.Errorf("made.txt = %q, %v", b, err)
	}
}

func TestPathOutsideWorkspaceRefused(t *testing.T) {
	fake, p, _ := oauthServer(t, opts{args: []string{"--allow-all"}})
	outside := t.TempDir()
	writeFile(t, outside, "secret.txt", "top secret\n")
	os.Symlink(outside, filepath.Join(p.ws, "link"))
	fake.PushCodex(upstreamtest.Step().
		Call("r1", "read", `{"path":"../`+filepath.Base(outside)+`/secret.txt"}`).
		Call("r2", "read", `{"path":"`+filepath.Join(outside, "secret.txt")+`"}`).
		Call("r3", "read", `{"path":"link/secret.txt"}`).
		Call("w1", "write", `{"path":"link/new.txt","content":"x"}`).Reply(), upstreamtest.Text("ok"))
	p.chat(map[string]any{"message": "escape"})
	outs := outputsOf(input(t, fake.RequestsTo(codexPath), 1))
	for id, out := range outs {
		if strings.Contains(out, "top secret") || !strings.Contains(out, "outside the workspace") {
			t.Errorf("%s: %q", id, out)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "new.txt")); err == nil {
		t.Errorf("a write followed the link out of the workspace")
	}
}
