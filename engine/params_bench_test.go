package engine

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"fmt"
	"github.com/deckhand-dev/deckhand/auth"
	"github.com/deckhand-dev/deckhand/upstreamtest"
	"strings"
	"testing"
)

func longHistory(n int) []Item {
	var h []Item
	enc := strings.Repeat("gAAAAABo", 200)
	out := strings.Repeat("line of a file that the model read\n", 30)
	for i := range n {
		id := fmt.Sprintf("call_%d", i)
		h = append(h, Item{Kind: ItemUser, Text: "step: look at main.go"},
			Item{Kind: ItemReasoning, Summary: []string{"Reading the file first."}, Encrypted: enc},
			Item{Kind: ItemCall, CallID: id, Name: "read", Arguments: `{"path":"main.go"}`},
			Item{Kind: ItemOutput, CallID: id, Name: "read", Text: out, OK: true},
			Item{Kind: ItemAssistant, Text: "main.go starts the server and waits for stdin to close; nothing to change here."})
	}
	return h
}

func BenchmarkParamsOfThousandTurns(b *testing.B) {
	e := New(Config{Home: b.TempDir()})
	defer e.Close()
	s := e.newSession("ses_x", b.TempDir(), false, nil)
	t := &turn{e: e, s: s, model: "gpt-5.5", effort: "medium"}
	h := longHistory(1000)
	var size int
	for b.Loop() {
		body, err := json.Marshal(t.params(h))
		if err != nil {
			b.Fatal(err)
		}
		size = len(body)
	}
	b.ReportMetric(float64(size)/1e6, "MB/request")
}

func BenchmarkTurnInThousandTurnSession(b *testing.B) {
	fake := upstreamtest.New()
	defer fake.Close()
	home := b.TempDir()
	tok := fake.Mint()
	auth.NewStore(home).Save(auth.Credential{Type: "oauth", Access: tok.AccessToken, Refresh: tok.RefreshToken,
		Expires: time.Now().Add(time.Hour), AccountID: "acct"})
	e := New(Config{Version: "test", Home: home, Issuer: fake.Issuer(), CodexBaseURL: fake.CodexBase(), APIBaseURL: fake.APIBase()})
	defer e.Close()
	e.Attach(&recorder{}, b.TempDir(), false)
	id, _ := e.NewSession(SessionOptions{Root: b.TempDir()})
	s, _, _ := e.session(id)
	s.history = longHistory(1000)
	for b.Loop() {
		fake.PushCodex(upstreamtest.Text("ok"))
		if _, err := e.Chat(context.Background(), ChatRequest{SessionID: id, Message: "more"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadThousandTurns reads a stored session of 1,000 turns back,
// as resuming one does.
func BenchmarkLoadThousandTurns(b *testing.B) {
	st := NewStore(b.TempDir())
	os.MkdirAll(st.Dir(), 0o700)
	f, _ := os.Create(st.path("ses_load"))
	sf := &sessionFile{f: f}
	sf.append(&Record{Type: RecordSession, Version: FormatVersion, SessionID: "ses_load", WorkspaceRoot: "/w"})
	h := longHistory(1000)
	for i := range h {
		sf.append(&Record{Type: RecordItem, TurnID: "t", Item: &h[i]})
	}
	f.Close()
	for b.Loop() {
		s, err := st.Load("ses_load")
		if err != nil || len(s.History) != len(h) {
			b.Fatal(err)
		}
		inputParam(s.History)
	}
}
