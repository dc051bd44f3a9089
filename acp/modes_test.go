package acp

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/engine"
)

func TestModes(t *testing.T) {
	want := map[string][2]string{
		"":            {"on-request", "workspace-write"},
		"auto":        {"on-request", "workspace-write"},
		"read-only":   {"on-request", "read-only"},
		"full-access": {"never", "full-access"},
	}
	for id, w := range want {
		m, ok := modeOf(id)
		if !ok || m.approval != w[0] || m.sandbox != w[1] {
			t.Errorf("mode %q = %+v, want %v", id, m, w)
		}
	}
	if _, ok := modeOf("yolo"); ok {
		t.Error("an unknown mode was found")
	}
	st := modeState("read-only")
	if st.CurrentModeId != "read-only" || len(st.AvailableModes) != 3 || st.AvailableModes[0].Id != "auto" {
		t.Errorf("state %+v", st)
	}
}

// TestSetModeOverPipes: session/new offers the modes, session/set_mode
// takes a known one and refuses the rest.
func TestSetModeOverPipes(t *testing.T) {
	home, ws := t.TempDir(), t.TempDir()
	eng := engine.New(engine.Config{Home: home, Version: "test"})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		New(Config{Engine: eng, Version: "test"}).Run(context.Background(), inR, outW)
		outW.Close()
	}()
	defer func() { inW.Close(); <-done }()
	p := &pipeSession{t: t, in: inW, out: bufio.NewReader(outR)}
	p.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":1}}`)
	p.next()
	p.send(`{"jsonrpc":"2.0","id":2,"method":"authenticate","params":{"methodId":"api-key","_meta":{"api-key":{"apiKey":"sk-test"}}}}`)
	p.next()
	p.send(`{"jsonrpc":"2.0","id":3,"method":"session/new","params":{"cwd":"` + ws + `","mcpServers":[]}}`)
	res, _ := p.next()["result"].(map[string]any)
	modes, _ := res["modes"].(map[string]any)
	if modes["currentModeId"] != "auto" || len(modes["availableModes"].([]any)) != 3 {
		t.Fatalf("session/new modes: %v", res["modes"])
	}
	id := res["sessionId"].(string)
	// The session's commands are announced right after its answer.
	if m := p.next(); m["method"] != "session/update" {
		t.Fatalf("after session/new: %v, want the commands' announcement", m)
	}
	p.send(`{"jsonrpc":"2.0","id":4,"method":"session/set_mode","params":{"sessionId":"` + id + `","modeId":"yolo"}}`)
	if msg := p.expectError(-32602); !strings.Contains(msg, "full-access") {
		t.Errorf("unknown mode: %q", msg)
	}
	p.send(`{"jsonrpc":"2.0","id":5,"method":"session/set_mode","params":{"sessionId":"` + id + `","modeId":"read-only"}}`)
	if m := p.next(); m["result"] == nil {
		t.Fatalf("set_mode: %v", m)
	}
	p.send(`{"jsonrpc":"2.0","id":6,"method":"session/set_mode","params":{"sessionId":"ses_none","modeId":"auto"}}`)
	p.expectError(-32002)
}
