package acp

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
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
	ws := t.TempDir()
	c := agentOverPipes(t)
	c.OK("initialize", map[string]any{"protocolVersion": 1}, nil)
	c.OK("authenticate", apiKeyLogin, nil)
	id, answer := c.Send("session/new", map[string]any{"cwd": ws, "mcpServers": []any{}})
	raw, werr := c.Await(answer, "session/new")
	if werr != nil {
		t.Fatal(werr)
	}
	var res struct {
		SessionID string
		Modes     struct {
			CurrentModeID  string `json:"currentModeId"`
			AvailableModes []any
		}
	}
	if json.Unmarshal(raw, &res); res.Modes.CurrentModeID != "auto" || len(res.Modes.AvailableModes) != 3 {
		t.Fatalf("session/new modes: %s", raw)
	}
	// The session's commands are announced right after its answer.
	c.WaitFor("session/update", nil, 10*time.Second)
	got := c.Received()
	for i, m := range got {
		if m.Method == "" && string(m.ID) == strconv.Itoa(id) && (i+1 == len(got) || got[i+1].Method != "session/update") {
			t.Fatalf("after session/new: %+v, want the commands' announcement", got[i+1:])
		}
	}
	if e := c.Fails("session/set_mode", map[string]any{"sessionId": res.SessionID, "modeId": "yolo"}, -32602); !strings.Contains(e.Message, "full-access") {
		t.Errorf("unknown mode: %q", e.Message)
	}
	var set map[string]any
	if c.OK("session/set_mode", map[string]any{"sessionId": res.SessionID, "modeId": "read-only"}, &set); set == nil {
		t.Fatal("set_mode answered null")
	}
	c.Fails("session/set_mode", map[string]any{"sessionId": "ses_none", "modeId": "auto"}, -32002)
}
