package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// fast makes retries quick; the mapping and the count of tries are what count.
var fast = []string{"--retry-delay", "10ms"}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	resets := time.Now().Add(90 * time.Minute).Truncate(time.Second)
	cases := []struct {
		name    string
		replies []upstreamtest.Reply
		code    int
		inMsg   string // the message must say this
		data    func(t *testing.T, data json.RawMessage)
		tries   int
		model   string // "" = gpt-5.5, which the fake serves
	}{
		{
			name:    "usage not included",
			replies: []upstreamtest.Reply{upstreamtest.Error(403, `{"error":{"type":"usage_not_included","message":"Upgrade to Plus to continue using Codex"}}`)},
			code:    -32010, inMsg: "plan", tries: 1,
			data: func(t *testing.T, d json.RawMessage) {
				if !strings.Contains(string(d), `"provider":"openai"`) {
					t.Errorf("data %s", d)
				}
			},
		},
		{
			name: "usage limit reached with resets_at",
			replies: []upstreamtest.Reply{upstreamtest.Error(429, fmt.Sprintf(
				`{"type":"error","error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_at":%d,"resets_in_seconds":5400},"status_code":429}`, resets.Unix()))},
			code: -32011, inMsg: "usage limit", tries: 1,
			data: func(t *testing.T, d json.RawMessage) {
				var v struct {
					RetryAfterSeconds int    `json:"retryAfterSeconds"`
					ResetsAt          string `json:"resetsAt"`
				}
				json.Unmarshal(d, &v)
				if v.ResetsAt != resets.UTC().Format(time.RFC3339) || v.RetryAfterSeconds != 5400 {
					t.Errorf("data %s, want resetsAt %s and 5400 s", d, resets.UTC().Format(time.RFC3339))
				}
			},
		},
		{
			name:    "429 with the codex reset header",
			replies: []upstreamtest.Reply{upstreamtest.Error(429, `{"detail":"Too many requests"}`, "X-Codex-Primary-Reset-At", fmt.Sprint(resets.Unix()))},
			code:    -32011, tries: 1,
			data: func(t *testing.T, d json.RawMessage) {
				if !strings.Contains(string(d), resets.UTC().Format(time.RFC3339)) {
					t.Errorf("data %s lacks resetsAt %s", d, resets.UTC().Format(time.RFC3339))
				}
			},
		},
		{
			name:    "5xx three times",
			replies: []upstreamtest.Reply{upstreamtest.Error(502, `bad gateway`), upstreamtest.Error(503, `{"detail":"overloaded"}`), upstreamtest.Error(500, `{"error":{"message":"boom","type":"server_error"}}`)},
			code:    -32012, inMsg: "3 tries", tries: 3,
			data: func(t *testing.T, d json.RawMessage) {
				if !strings.Contains(string(d), `"status":500`) {
					t.Errorf("data %s lacks the last status", d)
				}
			},
		},
		{
			name:    "stream ends without completed, three times",
			replies: []upstreamtest.Reply{upstreamtest.Step().EndWithoutCompleted().Reply(), upstreamtest.Step().EndWithoutCompleted().Reply(), upstreamtest.Step().EndWithoutCompleted().Reply()},
			code:    -32012, inMsg: "", tries: 3,
			data: func(t *testing.T, d json.RawMessage) {
				if !strings.Contains(string(d), "response.completed") {
					t.Errorf("data %s does not say the stream ended early", d)
				}
			},
		},
		{
			// Retrying would stream the text a second time: say so instead.
			name:    "stream breaks after text reached the editor",
			replies: []upstreamtest.Reply{upstreamtest.Step().Text("partial answer").Abort().Reply()},
			code:    -32012, inMsg: "send your message again", tries: 1,
		},
		{
			name:    "context length exceeded",
			replies: []upstreamtest.Reply{upstreamtest.Step().Failed("context_length_exceeded", "Your input exceeds the context window of this model.").Reply()},
			// deckhand's own advice, not the fake's words ("context window").
			code: -32012, inMsg: "start a new session", tries: 1,
		},
		{
			// The fake refuses the model itself, as the backend does.
			name:  "model not supported names the models served",
			model: "gpt-9",
			code:  -32013, inMsg: "gpt-6.2-sol", tries: 1,
			data: func(t *testing.T, d json.RawMessage) {
				var v struct {
					Model     string   `json:"model"`
					Available []string `json:"available"`
				}
				if json.Unmarshal(d, &v) != nil || v.Model != "gpt-9" || len(v.Available) == 0 || v.Available[0] != "gpt-6.2-sol" {
					t.Errorf("data %s, want the model and the ones served", d)
				}
			},
		},
		{
			name:    "error event mid-stream",
			replies: []upstreamtest.Reply{upstreamtest.Step().Text("hm").ErrorEvent("invalid_prompt", "Invalid prompt.").Reply()},
			code:    -32012, inMsg: "Invalid prompt", tries: 1,
		},
		{
			name:    "error event with a rate limit in the stream",
			replies: []upstreamtest.Reply{upstreamtest.Step().RawEvent(`{"type":"error","error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_in_seconds":60}}`).Reply()},
			code:    -32011, tries: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, p, _ := oauthServer(t, opts{args: fast})
			fake.PushCodex(tc.replies...)
			model := tc.model
			if model == "" {
				model = "gpt-5.5"
			}
			e := p.fails("chat", map[string]any{"message": "hi", "model": model}, tc.code)
			if !strings.Contains(e.Message, tc.inMsg) {
				t.Errorf("message %q does not contain %q", e.Message, tc.inMsg)
			}
			if tc.data != nil {
				tc.data(t, e.Data)
			}
			if n := len(fake.RequestsTo(codexPath)); n != tc.tries {
				t.Errorf("%d requests, want %d", n, tc.tries)
			}
			// The session stays usable and the server keeps serving.
			fake.PushCodex(upstreamtest.Text("fine now"))
			if r := p.chat(map[string]any{"message": "again"}); r.Text != "fine now" {
				t.Errorf("next chat text %q", r.Text)
			}
		})
	}
}

func TestRetriesRecover(t *testing.T) {
	t.Parallel()
	cases := map[string]upstreamtest.Reply{
		"5xx":           upstreamtest.Error(500, `{"detail":"hiccup"}`),
		"broken stream": upstreamtest.Step().Abort().Reply(),
		"clean EOF":     upstreamtest.Step().EndWithoutCompleted().Reply(),
	}
	for name, first := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake, p, _ := oauthServer(t, opts{args: fast})
			fake.PushCodex(first, upstreamtest.Text("recovered"))
			r := p.chat(map[string]any{"message": "hi"})
			if r.Text != "recovered" || r.StopReason != "end_turn" {
				t.Fatalf("result %+v", r)
			}
			if n := len(fake.RequestsTo(codexPath)); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

func TestIdleStreamIsCut(t *testing.T) {
	t.Parallel()
	// The second try must not look idle on a busy machine: a second is
	// long for the fake, short for the test.
	fake, p, _ := oauthServer(t, opts{args: append([]string{"--stream-idle-timeout", "1s"}, fast...)})
	fake.PushCodex(upstreamtest.Step().Stall().Reply(), upstreamtest.Text("second try"))
	r := p.chat(map[string]any{"message": "hi"})
	if r.Text != "second try" {
		t.Fatalf("result %+v", r)
	}
}
