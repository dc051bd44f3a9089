package rpc

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/engine/enginetest"
	"github.com/deckhand-dev/deckhand/jsonrpc/jsonrpctest"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// The face over in-memory pipes, in both framings: the lifecycle, a chat's
// checks, the permission round trip and a cancelled request, each scripted
// as an editor would send it.

// pipeServer is a Server on in-memory pipes and the editor's end of them.
type pipeServer struct {
	*jsonrpctest.Client
	fake *upstreamtest.Server
	ws   string
	in   *io.PipeWriter
	done chan int // Run's exit status
}

// serve runs a Server whose engine is logged in to a fake Codex backend.
func serve(t *testing.T, lsp bool) *pipeServer {
	t.Helper()
	eng, fake := enginetest.LoggedIn(t, engine.Config{})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &pipeServer{fake: fake, ws: t.TempDir(), in: inW, done: make(chan int, 1)}
	go func() {
		p.done <- NewServer(ServerConfig{Engine: eng, Version: "test", WorkDir: p.ws}).Run(context.Background(), inR, outW)
		outW.Close()
	}()
	p.Client = jsonrpctest.Start(t, inW, outR, lsp)
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return at the end of the input")
		}
	})
	return p
}

// exit is Run's exit status once the editor's input ends.
func (p *pipeServer) exit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-p.done:
		p.done <- code // for the cleanup
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return -1
	}
}

func (p *pipeServer) initialize(permissions bool) {
	p.OK("initialize", map[string]any{"clientInfo": map[string]any{"name": "test", "version": "1"},
		"workspaceRoot": p.ws, "capabilities": map[string]any{"permissions": permissions}}, nil)
}

func framings(t *testing.T, run func(t *testing.T, lsp bool)) {
	t.Run("lines", func(t *testing.T) { run(t, false) })
	t.Run("content-length", func(t *testing.T) { run(t, true) })
}

func TestLifecycleOverPipes(t *testing.T) {
	framings(t, func(t *testing.T, lsp bool) {
		p := serve(t, lsp)
		p.Fails("authStatus", nil, -32002) // before initialize
		var res struct {
			ServerInfo struct{ Name string } `json:"serverInfo"`
		}
		p.OK("initialize", map[string]any{"workspaceRoot": p.ws, "capabilities": map[string]any{}}, &res)
		if res.ServerInfo.Name != "deckhand" {
			t.Errorf("serverInfo %+v", res.ServerInfo)
		}
		p.Fails("no/such/method", nil, -32601)
		p.Fails("chat", map[string]any{"message": 42}, -32602)
		p.OK("shutdown", nil, nil)
		p.Fails("authStatus", nil, -32600) // after shutdown
		p.Notify("exit", nil)
		if code := p.exit(t); code != 0 {
			t.Errorf("exit after shutdown: status %d, want 0", code)
		}
	})
	t.Run("exit without shutdown", func(t *testing.T) {
		p := serve(t, false)
		p.initialize(false)
		p.Notify("exit", nil)
		if code := p.exit(t); code != 1 {
			t.Errorf("exit without shutdown: status %d, want 1", code)
		}
	})
}

// A chat the engine refuses answers with the engine's reason, mapped to
// the face's code, and nothing reaches the model.
func TestChatRefusalsOverPipes(t *testing.T) {
	p := serve(t, false)
	p.initialize(false)
	for _, c := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"message": "  "}, "message"},
		{map[string]any{"message": "hi", "reasoningEffort": "huge"}, "reasoningEffort"},
		{map[string]any{"message": "hi", "approvalPolicy": "sometimes"}, "approvalPolicy"},
		{map[string]any{"message": "hi", "sessionId": "ses_none"}, "ses_none"},
		{map[string]any{"message": "hi", "attachments": []any{map[string]any{"type": "file", "path": "../outside.txt"}}}, "outside the workspace"},
	} {
		if e := p.Fails("chat", c.params, -32602); !strings.Contains(e.Message, c.want) {
			t.Errorf("chat %v: %q does not name %s", c.params, e.Message, c.want)
		}
	}
	if n := len(p.fake.RequestsTo(codexPath)); n != 0 {
		t.Errorf("%d requests reached the model", n)
	}
}

const codexPath = "/backend-api/codex/responses"

// The engine asks through the face's Review: the editor gets
// permission/request with the call's preview, and its answer comes back as
// a verdict: a denial's reason reaches the model, an answer the protocol
// does not know is a denial.
func TestPermissionOverPipes(t *testing.T) {
	framings(t, func(t *testing.T, lsp bool) {
		p := serve(t, lsp)
		p.initialize(true)
		if err := os.WriteFile(filepath.Join(p.ws, "a.txt"), []byte("one\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		answers := []map[string]any{{"decision": "deny", "reason": "not on a Friday"}, {"decision": "perhaps"}}
		var asked []json.RawMessage
		p.OnRequest(func(m jsonrpctest.Message) any {
			if m.Method != "permission/request" {
				return nil
			}
			asked = append(asked, m.Params)
			return answers[len(asked)-1]
		})
		p.fake.PushCodex(
			upstreamtest.Step().Call("w1", "write", `{"path":"a.txt","content":"two\n"}`).Reply(),
			upstreamtest.Step().Call("w2", "write", `{"path":"a.txt","content":"three\n"}`).Reply(),
			upstreamtest.Text("ok"))
		var res struct{ StopReason string }
		p.OK("chat", map[string]any{"message": "go"}, &res)
		if res.StopReason != "end_turn" || len(asked) != 2 {
			t.Fatalf("stop %q after %d permission requests", res.StopReason, len(asked))
		}
		var req struct {
			Tool    string
			Preview struct{ Path, Diff string }
		}
		json.Unmarshal(asked[0], &req)
		if req.Tool != "write" || req.Preview.Path != "a.txt" || !strings.Contains(req.Preview.Diff, "-one\n+two\n") {
			t.Errorf("the request: %s", asked[0])
		}
		if b, _ := os.ReadFile(filepath.Join(p.ws, "a.txt")); string(b) != "one\n" {
			t.Errorf("a denied write changed the file: %q", b)
		}
		reqs := p.fake.RequestsTo(codexPath)
		body, _ := json.Marshal(reqs[len(reqs)-1].JSON()["input"])
		for _, want := range []string{"The user denied this: not on a Friday", "denied: the editor did not answer"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("the model was not told %q", want)
			}
		}
	})
}

// $/cancelRequest ends a chat in progress: the request answers -32800.
func TestCancelRequestOverPipes(t *testing.T) {
	framings(t, func(t *testing.T, lsp bool) {
		p := serve(t, lsp)
		p.initialize(false)
		p.fake.PushCodex(upstreamtest.Step().Text("flood ").EndlessText().Reply())
		id, answer := p.Send("chat", map[string]any{"message": "go on"})
		p.WaitFor("chat/delta", nil, 10*time.Second)
		p.Notify("$/cancelRequest", map[string]any{"id": id})
		if _, err := p.Await(answer, "chat"); err == nil || err.Code != -32800 {
			t.Errorf("the cancelled chat answered %v, want -32800", err)
		}
		p.OK("authStatus", nil, nil) // and the server goes on
	})
}
