package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// userMessages counts the user messages with this text in the input of the
// last model request.
func userMessages(t *testing.T, fake *upstreamtest.Server, text string) int {
	t.Helper()
	reqs := fake.RequestsTo(upstreamtest.PathCodexResponses)
	if len(reqs) == 0 {
		t.Fatal("no model request")
	}
	input, _ := reqs[len(reqs)-1].JSON()["input"].([]any)
	n := 0
	for _, raw := range input {
		it, _ := raw.(map[string]any)
		if it["role"] != "user" {
			continue
		}
		parts, _ := it["content"].([]any)
		for _, p := range parts {
			if pm, _ := p.(map[string]any); pm["text"] == text {
				n++
			}
		}
	}
	return n
}

// A turn that fails on the upstream before any output, then the editor's
// Resend (chat with retryOf): the model gets the message once, and after a
// restart sessions/load shows it once, the failure kept as the retry's
// note, and the next turn still sends it once.
func TestResendAfterAFailedTurnSendsTheMessageOnce(t *testing.T) {
	t.Parallel()
	resets := time.Now().Add(90 * time.Minute)
	for _, tc := range []struct {
		name    string
		failure []upstreamtest.Reply
	}{
		{"429", []upstreamtest.Reply{upstreamtest.Error(429, fmt.Sprintf(
			`{"type":"error","error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_at":%d,"resets_in_seconds":5400},"status_code":429}`, resets.Unix()))}},
		{"500", []upstreamtest.Reply{upstreamtest.Error(502, `bad gateway`), upstreamtest.Error(503, `{"detail":"overloaded"}`),
			upstreamtest.Error(500, `{"error":{"message":"boom","type":"server_error"}}`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const message = "make the flaky test pass"
			fake := upstreamtest.New()
			t.Cleanup(fake.Close)
			home, ws := t.TempDir(), t.TempDir()
			writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
			p := start(t, opts{fake: fake, home: home, ws: ws, args: fast}) // the retries' delays are not what is tested
			p.initialize(false)
			fake.PushCodex(tc.failure...)
			if _, werr := p.call("chat", map[string]any{"message": message}); werr == nil {
				t.Fatal("the first turn did not fail")
			}
			started := p.notifications("chat/started")
			if len(started) != 1 {
				t.Fatalf("chat/started: %d", len(started))
			}
			var failed struct{ SessionID, TurnID string }
			json.Unmarshal(started[0].Params, &failed)

			fake.PushCodex(upstreamtest.Text("It passes now."))
			r := p.chat(map[string]any{"sessionId": failed.SessionID, "message": message, "retryOf": failed.TurnID})
			if r.StopReason != "end_turn" {
				t.Fatalf("resend: %+v", r)
			}
			if n := userMessages(t, fake, message); n != 1 {
				t.Errorf("the resend's request carried the message %d times, want 1", n)
			}
			p.stop()

			q := another(t, fake, home, ws)
			var tr struct {
				Turns []struct {
					TurnID       string `json:"turnId"`
					Message      string `json:"message"`
					StopReason   string `json:"stopReason"`
					RetryOf      string `json:"retryOf"`
					RetriedError string `json:"retriedError"`
				} `json:"turns"`
			}
			q.ok("sessions/load", map[string]any{"sessionId": failed.SessionID}, &tr)
			if len(tr.Turns) != 1 {
				t.Fatalf("sessions/load turns %+v, want the resend alone", tr.Turns)
			}
			if got := tr.Turns[0]; got.Message != message || got.StopReason != "end_turn" || got.RetryOf != failed.TurnID || got.RetriedError == "" {
				t.Errorf("the turn %+v: want the resend, replacing %s with its error as a note", got, failed.TurnID)
			}
			fake.PushCodex(upstreamtest.Text("You're welcome."))
			q.chat(map[string]any{"sessionId": failed.SessionID, "message": "thanks"})
			if n := userMessages(t, fake, message); n != 1 {
				t.Errorf("after a restart the model got the message %d times, want 1", n)
			}
		})
	}
}
