package e2e

import (
	"encoding/json"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

type usageWire struct {
	InputTokens   int64 `json:"inputTokens"`
	OutputTokens  int64 `json:"outputTokens"`
	ContextTokens int64 `json:"contextTokens"`
	ContextWindow int64 `json:"contextWindow"`
}

// A context gauge moves during a turn: chat/usage comes after each model
// response and each step's tool outputs, growing as a big read fills the
// context, and its last one is what chat's result says; a reopened
// session's turns keep it.
func TestChatUsageMovesMidTurn(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	big := make([]byte, 0, 40000)
	for len(big) < 40000 {
		big = append(big, "a line of text that the model reads\n"...)
	}
	writeFile(t, p.ws, "big.txt", string(big))
	fake.PushCodex(upstreamtest.Step().Call("r1", "read", `{"path":"big.txt"}`).Reply(), upstreamtest.Text("read it"))
	var res struct {
		SessionID, TurnID string
		Steps             int
		Usage             usageWire
	}
	p.ok("chat", map[string]any{"message": "read big.txt"}, &res)
	var got []usageWire
	for _, m := range p.notifications("chat/usage") {
		var u struct {
			SessionID, TurnID string
			Usage             usageWire
		}
		json.Unmarshal(m.Params, &u)
		if u.SessionID != res.SessionID || u.TurnID != res.TurnID {
			t.Errorf("chat/usage of another turn: %s", m.Params)
		}
		got = append(got, u.Usage)
	}
	// After the first response, after the read's output, after the last
	// response.
	if len(got) != 3 {
		t.Fatalf("%d chat/usage notifications, want 3: %+v", len(got), got)
	}
	if got[0].ContextTokens <= 0 || got[1].ContextTokens < got[0].ContextTokens+8000 || got[0].ContextWindow <= 0 {
		t.Errorf("the gauge did not follow the read: %+v", got)
	}
	if got[2] != res.Usage {
		t.Errorf("last chat/usage %+v, chat's result usage %+v", got[2], res.Usage)
	}
	var tr struct {
		Turns []struct {
			Usage     *usageWire `json:"usage"`
			StepCount int        `json:"stepCount"`
		} `json:"turns"`
	}
	p.ok("sessions/load", map[string]any{"sessionId": res.SessionID}, &tr)
	if len(tr.Turns) != 1 || tr.Turns[0].Usage == nil || *tr.Turns[0].Usage != res.Usage {
		t.Errorf("sessions/load turn usage %+v, want %+v", tr.Turns, res.Usage)
	}
	// And the step count chat's result gave, for the reopened end line.
	if len(tr.Turns) == 1 && (res.Steps != 2 || tr.Turns[0].StepCount != res.Steps) {
		t.Errorf("sessions/load stepCount %d, chat's steps %d, want 2", tr.Turns[0].StepCount, res.Steps)
	}
}
