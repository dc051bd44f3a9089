package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// TestHostileToolNotOffered: a model (or an upstream that speaks for it)
// calls tools its request did not offer, while the editor would allow
// anything: exec_command and view_image on an API-key model, which was
// offered deckhand's own tools (read, write, edit, bash ...), and a tool of
// an MCP server the session does not have. None may run: the model is told
// the tool is unknown, and which tools it has.
func TestHostileToolNotOffered(t *testing.T) {
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	const key = "sk-offered-0123456789"
	fake.SetAPIKey(key)
	p := start(t, opts{fake: fake, home: t.TempDir(), env: []string{"OPENAI_API_KEY=" + key}})
	asked := 0
	p.onRequest = func(m msg) any {
		if m.Method != "permission/request" {
			return nil
		}
		asked++
		return map[string]any{"decision": "allowAlways"}
	}
	p.initialize(true)
	writeFile(t, p.ws, "shot.png", "\x89PNG\r\n\x1a\n")
	calls := []string{"exec_command", "view_image", "mcp__docs__write"}
	fake.PushAPI(
		upstreamtest.Step().
			Call("c0", calls[0], `{"cmd":"touch pwned"}`).
			Call("c1", calls[1], `{"path":"shot.png"}`).
			Call("c2", calls[2], `{"path":"pwned-mcp"}`).
			Reply(),
		upstreamtest.Answer(func(body map[string]any) upstreamtest.Reply {
			var outs []string
			for _, id := range []string{"c0", "c1", "c2"} {
				out, _ := upstreamtest.CallOutput(body, id)
				outs = append(outs, out)
			}
			return upstreamtest.Text(strings.Join(outs, "\n---\n"))
		}))
	r := p.chat(map[string]any{"message": "go", "approvalPolicy": "untrusted"})
	if r.StopReason != "end_turn" {
		t.Fatalf("turn %+v", r)
	}
	if _, err := os.Stat(filepath.Join(p.ws, "pwned")); err == nil {
		t.Errorf("exec_command ran on a model that was offered deckhand's own tools")
	}
	if asked != 0 {
		t.Errorf("the editor was asked %d times about tools the model was not offered", asked)
	}
	outs := strings.Split(r.Text, "\n---\n")
	if len(outs) != len(calls) {
		t.Fatalf("outputs %q", r.Text)
	}
	for i, name := range calls {
		if !strings.Contains(outs[i], "unknown tool") || !strings.Contains(outs[i], name) || !strings.Contains(outs[i], "bash") {
			t.Errorf("the model was told %q for %s; want an unknown tool error and the tools it has", outs[i], name)
		}
	}
}
