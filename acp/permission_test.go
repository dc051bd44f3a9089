package acp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/engine/enginetest"
	"github.com/deckhand-dev/deckhand/jsonrpc/jsonrpctest"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// The face asks through Review alone: a mutating call is announced
// pending, with no diff the face had to work out itself;
// session/request_permission shows the change the engine previewed (whole
// old and new text); the allowed call turns in_progress and its result
// shows the diff again. A rejected call changes nothing.
func TestReviewShowsTheEnginesPreview(t *testing.T) {
	eng, fake := enginetest.LoggedIn(t, engine.Config{})
	ws := realPath(t.TempDir())
	file := filepath.Join(ws, "a.txt")
	if err := os.WriteFile(file, []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := agentOn(t, eng)
	option := "allow"
	var asked []json.RawMessage
	c.OnRequest(func(m jsonrpctest.Message) any {
		if m.Method != "session/request_permission" {
			return nil
		}
		asked = append(asked, m.Params)
		return map[string]any{"outcome": map[string]any{"outcome": "selected", "optionId": option}}
	})
	c.OK("initialize", map[string]any{"protocolVersion": 1}, nil)
	var ns struct{ SessionID string }
	c.OK("session/new", map[string]any{"cwd": ws, "mcpServers": []any{}}, &ns)
	prompt := func() {
		t.Helper()
		var res struct{ StopReason string }
		c.OK("session/prompt", map[string]any{"sessionId": ns.SessionID, "prompt": []any{map[string]any{"type": "text", "text": "go"}}}, &res)
		if res.StopReason != "end_turn" {
			t.Fatalf("stop %q", res.StopReason)
		}
	}
	fake.PushCodex(upstreamtest.Step().Call("w1", "write", `{"path":"a.txt","content":"two\n"}`).Reply(), upstreamtest.Text("done"))
	prompt()

	type diff struct {
		Type, Path string
		OldText    *string
		NewText    string
	}
	var req struct {
		ToolCall struct{ Content []diff }
	}
	if len(asked) != 1 {
		t.Fatalf("%d permission requests", len(asked))
	}
	json.Unmarshal(asked[0], &req)
	if d := req.ToolCall.Content; len(d) != 1 || d[0].Type != "diff" || d[0].Path != file || d[0].OldText == nil || *d[0].OldText != "one\n" || d[0].NewText != "two\n" {
		t.Errorf("the permission request shows %s", asked[0])
	}
	var statuses []string
	var done []diff
	for _, n := range c.Notifications("session/update") {
		var u struct {
			Update struct {
				SessionUpdate, ToolCallID, Status string
				Content                           []diff
			}
		}
		json.Unmarshal(n.Params, &u)
		if u.Update.ToolCallID != "w1" {
			continue
		}
		statuses = append(statuses, u.Update.SessionUpdate+":"+u.Update.Status)
		if u.Update.Status == "completed" {
			done = u.Update.Content
		}
	}
	if len(statuses) != 3 || statuses[0] != "tool_call:pending" || statuses[1] != "tool_call_update:in_progress" || statuses[2] != "tool_call_update:completed" {
		t.Errorf("the call went %q", statuses)
	}
	if len(done) == 0 || done[0].Type != "diff" || done[0].NewText != "two\n" {
		t.Errorf("the result shows %+v", done)
	}

	// Rejected: asked again, nothing written.
	option = "reject"
	fake.PushCodex(upstreamtest.Step().Call("w2", "write", `{"path":"a.txt","content":"three\n"}`).Reply(), upstreamtest.Text("done"))
	prompt()
	if b, _ := os.ReadFile(file); string(b) != "two\n" || len(asked) != 2 {
		t.Errorf("after a rejection: %q, %d requests", b, len(asked))
	}

	// Allowed for the session: the next write is not asked about, starts
	// in_progress, and its result shows the engine's record of the change
	// as a diff, not the unified diff again as text.
	option = "allow_always"
	fake.PushCodex(upstreamtest.Step().Call("w3", "write", `{"path":"a.txt","content":"three\n"}`).Reply(),
		upstreamtest.Step().Call("w4", "write", `{"path":"a.txt","content":"four\n"}`).Reply(), upstreamtest.Text("done"))
	prompt()
	if len(asked) != 3 {
		t.Fatalf("%d permission requests, want 3", len(asked))
	}
	statuses, done = nil, nil
	var text string
	for _, n := range c.Notifications("session/update") {
		var u struct {
			Update struct {
				SessionUpdate, ToolCallID, Status string
				Content                           []json.RawMessage
			}
		}
		json.Unmarshal(n.Params, &u)
		if u.Update.ToolCallID != "w4" {
			continue
		}
		statuses = append(statuses, u.Update.SessionUpdate+":"+u.Update.Status)
		for _, raw := range u.Update.Content {
			var d diff
			json.Unmarshal(raw, &d)
			if d.Type == "diff" {
				done = append(done, d)
			} else {
				text += string(raw)
			}
		}
	}
	if len(statuses) != 2 || statuses[0] != "tool_call:in_progress" || statuses[1] != "tool_call_update:completed" {
		t.Errorf("the always-allowed call went %q", statuses)
	}
	if len(done) != 1 || done[0].Path != file || done[0].OldText == nil || *done[0].OldText != "three\n" || done[0].NewText != "four\n" {
		t.Errorf("the always-allowed call's result shows %+v", done)
	}
	if strings.Contains(text, "@@") {
		t.Errorf("the result repeats the diff as text: %s", text)
	}
}
