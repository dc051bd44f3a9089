package e2e

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// outputsOf returns the function_call_output texts of a request by call id.
func outputsOf(items []map[string]any) map[string]string {
	out := map[string]string{}
	for _, it := range items {
		if it["type"] == "function_call_output" {
			out[it["call_id"].(string)], _ = it["output"].(string)
		}
	}
	return out
}

func TestCancelMidStream(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	fake.PushCodex(upstreamtest.Step().Text("Thinking about it").Stall().Reply())
	id, ch := p.send("chat", map[string]any{"message": "hi"})
	_ = id
	d := p.waitFor("chat/delta", nil, 20*time.Second)
	var ref struct{ SessionID string }
	json.Unmarshal(d.Params, &ref)
	start := time.Now()
	var c struct{ Cancelled bool }
	p.ok("cancel", map[string]any{"sessionId": ref.SessionID}, &c)
	if !c.Cancelled {
		t.Fatalf("cancel said nothing was running")
	}
	res, err := p.await(ch, "chat")
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	r := decode[chatResult](t, res)
	if r.StopReason != "cancelled" || r.Text != "Thinking about it" {
		t.Fatalf("result %+v", r)
	}
	t.Logf("cancel answered after %s", time.Since(start))
	// Nothing runs now.
	p.ok("cancel", map[string]any{"sessionId": ref.SessionID}, &c)
	if c.Cancelled {
		t.Errorf("second cancel reported a running turn")
	}
	fake.PushCodex(upstreamtest.Text("back"))
	if r2 := p.chat(map[string]any{"message": "again", "sessionId": r.SessionID}); r2.Text != "back" {
		t.Fatalf("next turn %+v", r2)
	}
}

func TestCancelMidTool(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{args: []string{"--allow-all"}})
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := `sh -c 'echo $$ > ` + pidFile + `; exec sleep 60' & wait`
	args, _ := json.Marshal(map[string]string{"command": cmd})
	fake.PushCodex(upstreamtest.Step().Text("Running it.").Call("call_sleep", "bash", string(args)).Reply())
	_, ch := p.send("chat", map[string]any{"message": "sleep"})
	tc := p.waitFor("chat/toolCall", nil, 20*time.Second)
	var ref struct{ SessionID string }
	json.Unmarshal(tc.Params, &ref)
	pid, _ := strconv.Atoi(strings.TrimSpace(waitFile(t, pidFile, 1, 20*time.Second)))
	if pid == 0 {
		t.Fatal("the command never started")
	}
	p.ok("cancel", map[string]any{"sessionId": ref.SessionID}, nil)
	res, err := p.await(ch, "chat")
	if err != nil {
		t.Fatal(err)
	}
	r := decode[chatResult](t, res)
	if r.StopReason != "cancelled" {
		t.Fatalf("result %+v", r)
	}
	// The grandchild sleep is gone with its process group.
	if !waitExit(pid, 20*time.Second) { // a zombie waiting for its reaper is dead
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("sleep (pid %d) survived the cancel", pid)
	}
	// The next turn's request is valid: the cut call has an output.
	fake.PushCodex(upstreamtest.Text("ok"))
	p.chat(map[string]any{"message": "next", "sessionId": r.SessionID})
	reqs := fake.RequestsTo(codexPath)
	outs := outputsOf(input(t, reqs, len(reqs)-1))
	if outs["call_sleep"] != "cancelled by the user" {
		t.Errorf("output of the cut call = %q", outs["call_sleep"])
	}
}

func TestCancelRequestOnChat(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, lsp bool) {
		fake, p, _ := oauthServer(t, opts{lsp: lsp})
		fake.PushCodex(upstreamtest.Step().Text("partial").Stall().Reply())
		id, ch := p.send("chat", map[string]any{"message": "hi"})
		p.waitFor("chat/delta", nil, 20*time.Second)
		p.ok("authStatus", map[string]any{}, nil) // answered while the chat runs
		p.notify("$/cancelRequest", map[string]any{"id": id})
		_, err := p.await(ch, "chat")
		if err == nil || err.Code != -32800 {
			t.Fatalf("chat after $/cancelRequest: %v, want -32800", err)
		}
	})
}
