package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// both runs a test in each framing.
func both(t *testing.T, f func(t *testing.T, lsp bool)) {
	for _, lsp := range []bool{false, true} {
		name := "ndjson"
		if lsp {
			name = "lsp"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, lsp)
		})
	}
}

func TestInitializeRoundTrip(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, lsp bool) {
		p := start(t, opts{lsp: lsp})
		res := p.initialize(false)
		info := res["serverInfo"].(map[string]any)
		if info["name"] != "deckhand" || info["version"] == "" {
			t.Errorf("serverInfo = %v", info)
		}
		if res["protocolVersion"] != float64(1) {
			t.Errorf("protocolVersion = %v", res["protocolVersion"])
		}
		auth := res["auth"].(map[string]any)
		if auth["provider"] != "openai" || auth["type"] != "none" {
			t.Errorf("auth = %v, want openai/none before any login", auth)
		}
		if res["workspaceRoot"] == "" {
			t.Errorf("workspaceRoot missing")
		}
	})
}

func TestRequestBeforeInitialize(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, lsp bool) {
		p := start(t, opts{lsp: lsp})
		p.fails("authStatus", map[string]any{}, -32002)
		p.fails("chat", map[string]any{"message": "hi"}, -32002)
		p.initialize(false)
		p.ok("authStatus", map[string]any{}, nil)
	})
}

func TestUnknownMethod(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, lsp bool) {
		p := start(t, opts{lsp: lsp})
		p.initialize(false)
		e := p.fails("no/suchMethod", map[string]any{}, -32601)
		if !strings.Contains(e.Message, "no/suchMethod") {
			t.Errorf("message %q does not name the method", e.Message)
		}
	})
}

func TestMalformedFrameThenNormalAnswer(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, lsp bool) {
		p := start(t, opts{lsp: lsp})
		p.initialize(false)
		p.writeRaw([]byte(`{"jsonrpc":"2.0","id":7,"method":`)) // cut short
		m := p.waitFor("", func(m msg) bool { return m.Error != nil && m.Error.Code == -32700 }, 10*time.Second)
		if string(m.ID) != "null" {
			t.Errorf("parse error id = %s, want null", m.ID)
		}
		p.writeRaw([]byte(`[{"jsonrpc":"2.0","id":8,"method":"authStatus"}]`)) // a batch
		p.waitFor("", func(m msg) bool { return m.Error != nil && m.Error.Code == -32600 }, 10*time.Second)
		p.ok("authStatus", map[string]any{}, nil)
	})
}

func TestWrongParamTypes(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, lsp bool) {
		p := start(t, opts{lsp: lsp})
		p.initialize(false)
		p.fails("chat", map[string]any{"message": 42}, -32602)
		p.fails("chat", map[string]any{"message": "  "}, -32602)
		p.fails("chat", map[string]any{"message": "hi", "sessionId": "ses_nope"}, -32602)
		p.fails("pollDevice", map[string]any{"flowId": "flow_nope"}, -32602)
		p.fails("cancel", map[string]any{"sessionId": "ses_nope"}, -32602)
		p.fails("connect", map[string]any{"provider": "anthropic"}, -32602)
		p.fails("connect", "not an object", -32602)
		p.ok("authStatus", map[string]any{}, nil) // still serving
	})
}

func TestOversizeFrame(t *testing.T) {
	t.Parallel()
	// Only the LSP framing can announce a size before sending it.
	p := start(t, opts{lsp: true})
	p.initialize(false)
	p.mu.Lock()
	fmt.Fprintf(p.stdin, "Content-Length: %d\r\n\r\n", 64<<20+1)
	p.mu.Unlock()
	m := p.waitFor("", func(m msg) bool { return m.Error != nil && m.Error.Code == -32600 }, 10*time.Second)
	if string(m.ID) != "null" {
		t.Errorf("oversize error id = %s, want null", m.ID)
	}
	// The announced bytes are skipped: send them (without holding them) and
	// the connection goes on.
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = 'x'
	}
	left := 64<<20 + 1
	for left > 0 {
		n := min(left, len(chunk))
		p.mu.Lock()
		p.stdin.Write(chunk[:n])
		p.mu.Unlock()
		left -= n
	}
	p.ok("authStatus", map[string]any{}, nil)
}

func TestShutdownExit(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, lsp bool) {
		p := start(t, opts{lsp: lsp})
		p.initialize(false)
		res, err := p.call("shutdown", nil)
		if err != nil || string(res) != "null" {
			t.Fatalf("shutdown = %s, %v; want null", res, err)
		}
		p.notify("exit", nil)
		if code := p.wait(20 * time.Second); code != 0 {
			t.Errorf("exit after shutdown: status %d, want 0", code)
		}
	})
}

func TestExitWithoutShutdown(t *testing.T) {
	t.Parallel()
	p := start(t, opts{})
	p.initialize(false)
	p.notify("exit", nil)
	if code := p.wait(20 * time.Second); code != 1 {
		t.Errorf("exit without shutdown: status %d, want 1", code)
	}
}

func TestEOFExitsZero(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, lsp bool) {
		p := start(t, opts{lsp: lsp})
		p.initialize(false)
		p.stdin.Close()
		if code := p.wait(20 * time.Second); code != 0 {
			t.Errorf("EOF: status %d, want 0", code)
		}
	})
}

// An editor may pipeline: requests sent right behind initialize are served,
// and the answer to shutdown still arrives when exit follows at once.
func TestPipelinedLifecycle(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, lsp bool) {
		p := start(t, opts{lsp: lsp})
		_, initCh := p.send("initialize", map[string]any{"workspaceRoot": p.ws})
		_, statusCh := p.send("authStatus", map[string]any{})
		_, modelsCh := p.send("logout", map[string]any{"provider": "openai"})
		if _, err := p.await(initCh, "initialize"); err != nil {
			t.Fatal(err)
		}
		if _, err := p.await(statusCh, "authStatus"); err != nil {
			t.Errorf("authStatus right behind initialize: %v", err)
		}
		if _, err := p.await(modelsCh, "logout"); err != nil {
			t.Errorf("logout right behind initialize: %v", err)
		}
		_, shutCh := p.send("shutdown", nil)
		p.notify("exit", nil)
		if res, err := p.await(shutCh, "shutdown"); err != nil || string(res) != "null" {
			t.Errorf("shutdown answer %s, %v", res, err)
		}
		if code := p.wait(20 * time.Second); code != 0 {
			t.Errorf("exit status %d", code)
		}
	})
}
