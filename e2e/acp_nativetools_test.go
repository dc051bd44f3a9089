package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// The ACP face with the Codex tools: an apply_patch's permission request
// shows every file's diff, and a running command's output comes as
// tool_call_update content while it runs.
func TestACPCodexTools(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home, args: []string{"acp"}})
	var asked []json.RawMessage
	p.onRequest = func(m msg) any {
		if m.Method != "session/request_permission" {
			return nil
		}
		asked = append(asked, m.Params)
		return map[string]any{"outcome": map[string]any{"outcome": "selected", "optionId": "allow"}}
	}
	writeFile(t, p.ws, "a.txt", "one\ntwo\n")
	p.ok("initialize", map[string]any{"protocolVersion": 1}, nil)
	var ns struct {
		SessionID string `json:"sessionId"`
	}
	p.ok("session/new", map[string]any{"cwd": p.ws, "mcpServers": []any{}}, &ns)

	patch := "*** Begin Patch\n*** Update File: a.txt\n@@\n one\n-two\n+TWO\n*** Add File: b.txt\n+bee\n*** End Patch\n"
	fake.PushCodex(
		upstreamtest.Step().CustomCall("p1", "apply_patch", patch).Reply(),
		upstreamtest.Step().Call("x1", "exec_command", `{"cmd":"echo first; sleep 0.3; echo second"}`).Reply(),
		upstreamtest.Text("done"))
	p.ok("session/prompt", map[string]any{"sessionId": ns.SessionID, "prompt": []any{map[string]any{"type": "text", "text": "go"}}}, nil)

	if got, _ := os.ReadFile(filepath.Join(p.ws, "a.txt")); string(got) != "one\nTWO\n" {
		t.Errorf("a.txt = %q", got)
	}
	// The patch is asked about; the command too unless the sandbox runs it.
	if len(asked) < 1 || len(asked) > 2 {
		t.Fatalf("%d permission requests", len(asked))
	}
	var perm struct {
		ToolCall struct {
			Title   string
			Content []struct {
				Type, Path string
				OldText    *string
				NewText    string
			}
		}
	}
	json.Unmarshal(asked[0], &perm)
	c := perm.ToolCall.Content
	if len(c) != 2 || c[0].Type != "diff" || c[0].Path != filepath.Join(p.ws, "a.txt") || c[0].OldText == nil || *c[0].OldText != "one\ntwo\n" || c[0].NewText != "one\nTWO\n" ||
		c[1].Path != filepath.Join(p.ws, "b.txt") || c[1].OldText != nil || c[1].NewText != "bee\n" {
		t.Errorf("the patch's permission request shows %+v", perm.ToolCall)
	}
	var running []string
	for _, n := range p.notifications("session/update") {
		var u struct {
			Update struct {
				SessionUpdate, ToolCallID, Status string
				Content                           []struct {
					Content struct{ Text string }
				}
			}
		}
		json.Unmarshal(n.Params, &u)
		if u.Update.SessionUpdate == "tool_call_update" && u.Update.Status == "in_progress" && len(u.Update.Content) == 1 {
			running = append(running, u.Update.Content[0].Content.Text)
		}
	}
	if len(running) == 0 || !strings.Contains(running[len(running)-1], "first\nsecond\n") || !strings.Contains(running[0], "first") {
		t.Errorf("the command's output while it ran: %q", running)
	}
}
