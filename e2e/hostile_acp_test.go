package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// acpEditor is an ACP client with fs/* over the real disk, as Zed is: it
// records every fs call and answers permission requests with one option.
type acpEditor struct {
	mu     sync.Mutex
	fs     []string // "read <path>", "write <path>"
	asked  int
	option string
	// readAnswer, when set, replaces what fs/read_text_file returns.
	readAnswer string
}

func startACP(t *testing.T, fake *upstreamtest.Server, home, ws string, env []string, ed *acpEditor) *proc {
	t.Helper()
	p := start(t, opts{fake: fake, home: home, ws: ws, args: []string{"acp"}, env: env})
	p.onRequest = func(m msg) any {
		var params struct {
			Path    string `json:"path"`
			Content string `json:"content"`
		}
		_ = json.Unmarshal(m.Params, &params)
		ed.mu.Lock()
		defer ed.mu.Unlock()
		switch m.Method {
		case "fs/read_text_file":
			ed.fs = append(ed.fs, "read "+params.Path)
			if ed.readAnswer != "" {
				return map[string]any{"content": ed.readAnswer}
			}
			b, _ := os.ReadFile(params.Path)
			return map[string]any{"content": string(b)}
		case "fs/write_text_file":
			ed.fs = append(ed.fs, "write "+params.Path)
			_ = os.WriteFile(params.Path, []byte(params.Content), 0o600)
			return map[string]any{}
		case "session/request_permission":
			ed.asked++
			return map[string]any{"outcome": map[string]any{"outcome": "selected", "optionId": ed.option}}
		}
		return nil
	}
	p.ok("initialize", map[string]any{"protocolVersion": 1,
		"clientCapabilities": map[string]any{"fs": map[string]any{"readTextFile": true, "writeTextFile": true}}}, nil)
	return p
}

func (p *proc) acpSession(cwd string) string {
	p.t.Helper()
	var res struct {
		SessionID string `json:"sessionId"`
	}
	p.ok("session/new", map[string]any{"cwd": cwd, "mcpServers": []any{}}, &res)
	return res.SessionID
}

func (p *proc) acpPrompt(id, text string) {
	p.t.Helper()
	var res struct {
		StopReason string `json:"stopReason"`
	}
	p.ok("session/prompt", map[string]any{"sessionId": id, "prompt": []any{map[string]any{"type": "text", "text": text}}}, &res)
	if res.StopReason != "end_turn" {
		p.t.Fatalf("prompt ended %q", res.StopReason)
	}
}

func toolCall(id, tool string, args map[string]any) upstreamtest.Reply {
	b, _ := json.Marshal(args)
	return upstreamtest.Step().Call(id, tool, string(b)).Reply()
}

// TestHostileACPClientFiles: with the editor serving files (ACP fs/*) and
// the workspace at the user's home, the model must not read deckhand's
// login through the editor, nor replace it, even with every permission
// granted: the private-folder rule holds for every source of files.
func TestHostileACPClientFiles(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	ws, home, tok := homeInWorkspace(t, fake)
	before, err := os.ReadFile(filepath.Join(home, "auth.json"))
	if err != nil {
		t.Fatal(err)
	}
	ed := &acpEditor{option: "allow_always"}
	p := startACP(t, fake, home, ws, []string{"HOME=" + ws, "XDG_DATA_HOME="}, ed)
	sid := p.acpSession(ws)
	fake.PushCodex(
		toolCall("r1", "read", map[string]any{"path": ".local/share/deckhand/auth.json"}),
		toolCall("r2", "read", map[string]any{"path": filepath.Join(home, "auth.json")}),
		toolCall("w1", "write", map[string]any{"path": ".local/share/deckhand/auth.json", "content": `{"stolen":true}`}),
		toolCall("e1", "edit", map[string]any{"path": ".local/share/deckhand/auth.json", "oldString": "refresh_token", "newString": "x"}),
		upstreamtest.Text("done"))
	p.acpPrompt(sid, "look")
	reqs := fake.RequestsTo(codexPath)
	outs := map[string]string{}
	for i := 1; i < len(reqs); i++ {
		for k, v := range outputsOf(input(t, reqs, i)) {
			outs[k] = v
		}
	}
	for id, out := range outs {
		if strings.Contains(out, tok.RefreshToken) || strings.Contains(out, tok.AccessToken) {
			t.Errorf("%s handed deckhand's login to the model through the editor", id)
		}
		if !strings.Contains(out, "deckhand's own data folder") {
			t.Errorf("%s: want a refusal naming deckhand's data folder, got %q", id, tail(out, 200))
		}
	}
	ed.mu.Lock()
	defer ed.mu.Unlock()
	for _, call := range ed.fs {
		if strings.Contains(call, "deckhand") {
			t.Errorf("the editor was asked to %s", call)
		}
	}
	if ed.asked != 0 {
		t.Errorf("the user was asked %d times about a call that cannot run", ed.asked)
	}
	if after, _ := os.ReadFile(filepath.Join(home, "auth.json")); string(after) != string(before) {
		t.Errorf("auth.json was changed through the editor: %s", after)
	}
}

// TestHostileACPAllowAlwaysStaysInItsWorkspace: "allow always" given for
// bash in one project must not let bash run unasked when the same session
// is loaded with another cwd.
func TestHostileACPAllowAlwaysStaysInItsWorkspace(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home, ws1, ws2 := t.TempDir(), t.TempDir(), t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	ed := &acpEditor{option: "allow_always"}
	// Without the sandbox every command asks (an ACP mode sets its own
	// approval policy, so the flag's would not hold).
	p := startACP(t, fake, home, ws1, []string{"DECKHAND_NO_SANDBOX=1"}, ed)
	sid := p.acpSession(ws1)
	fake.PushCodex(bashCall("b1", "touch one"), upstreamtest.Text("ok"))
	p.acpPrompt(sid, "first")
	ed.mu.Lock()
	ed.option = "reject"
	ed.mu.Unlock()
	p.ok("session/load", map[string]any{"sessionId": sid, "cwd": ws2, "mcpServers": []any{}}, nil)
	fake.PushCodex(bashCall("b2", "touch two"), upstreamtest.Text("ok"))
	p.acpPrompt(sid, "second")
	ed.mu.Lock()
	defer ed.mu.Unlock()
	if ed.asked != 2 {
		t.Errorf("want the user asked again in the other workspace (2 asks), got %d", ed.asked)
	}
	if _, err := os.Stat(filepath.Join(ws2, "two")); err == nil {
		t.Errorf("bash ran unasked in the other workspace")
	}
	if _, err := os.Stat(filepath.Join(ws1, "one")); err != nil {
		t.Errorf("the first command did not run: %v", err)
	}
}

// TestHostileACPHugeClientRead: a read through the editor is capped as a
// read of the disk is, whatever the editor answers.
func TestHostileACPHugeClientRead(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home, ws := t.TempDir(), t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	writeFile(t, ws, "big.txt", "small on disk\n")
	ed := &acpEditor{option: "allow", readAnswer: strings.Repeat("x", 4<<20)}
	p := startACP(t, fake, home, ws, nil, ed)
	sid := p.acpSession(ws)
	fake.PushCodex(toolCall("r1", "read", map[string]any{"path": "big.txt"}), upstreamtest.Text("ok"))
	p.acpPrompt(sid, "read it")
	out := outputsOf(input(t, fake.RequestsTo(codexPath), 1))["r1"]
	if len(out) > 300<<10 {
		t.Errorf("a read through the editor gave the model %d bytes (the read tool's cap is 256 KiB)", len(out))
	}
	// The read tool's answer, as for a file on disk: this one line is cut.
	if !strings.Contains(out, "capped") && !strings.Contains(out, "[line cut: it has 4194304 bytes]") {
		t.Errorf("the capped read does not say so: %q", tail(out, 200))
	}
}
