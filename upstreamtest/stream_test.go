package upstreamtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"
)

func TestStepDecodesWithOpenAIGo(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	s.PushCodex(Step().
		Reasoning("Thinking about the file.", "enc-blob-1").
		Text("Let me read the file for you, then answer.").
		Call("call_abc", "read", `{"path":"a.txt","limit":10}`).
		Usage(120, 45).
		Header("X-Codex-Primary-Used-Percent", "12").
		Reply())

	d := stream(testContext(t), service(s, s.CodexBase(), tok.AccessToken), codexParams())
	if d.err != nil {
		t.Fatalf("stream error: %v", d.err)
	}
	if d.terminal != "response.completed" {
		t.Fatalf("terminal = %q, want response.completed; events %v", d.terminal, d.types)
	}
	if got, want := d.types[:2], []string{"response.created", "response.in_progress"}; !slices.Equal(got, want) {
		t.Errorf("first events = %v, want %v", got, want)
	}
	for i := 1; i < len(d.seqs); i++ {
		if d.seqs[i] != d.seqs[i-1]+1 {
			t.Fatalf("sequence numbers not increasing by one: %v", d.seqs)
		}
	}
	if got := d.reasoning.String(); got != "Thinking about the file." {
		t.Errorf("reasoning deltas = %q", got)
	}
	if got := d.text.String(); got != "Let me read the file for you, then answer." {
		t.Errorf("text deltas = %q", got)
	}
	if n := strings.Count(strings.Join(d.types, " "), "response.output_text.delta"); n < 2 {
		t.Errorf("text came in %d delta(s), want it chunked", n)
	}
	if got := d.argDeltas.String(); got != `{"path":"a.txt","limit":10}` {
		t.Errorf("argument deltas = %q", got)
	}

	if len(d.items) != 3 {
		t.Fatalf("output_item.done items = %d, want 3", len(d.items))
	}
	rs := d.items[0].AsReasoning()
	if rs.ID != "rs_1" || rs.EncryptedContent != "enc-blob-1" || len(rs.Summary) != 1 || rs.Summary[0].Text != "Thinking about the file." {
		t.Errorf("reasoning item = %+v", rs)
	}
	msg := d.items[1].AsMessage()
	if msg.ID != "msg_1" || len(msg.Content) != 1 || msg.Content[0].Text != "Let me read the file for you, then answer." {
		t.Errorf("message item = %+v", msg)
	}
	fc := d.items[2].AsFunctionCall()
	if fc.ID != "fc_1" || fc.CallID != "call_abc" || fc.Name != "read" || fc.Arguments != `{"path":"a.txt","limit":10}` {
		t.Errorf("function call item = %+v", fc)
	}

	f := d.final
	if f.Status != "completed" || f.Model != "gpt-5.5" || !strings.HasPrefix(f.ID, "resp_") {
		t.Errorf("completed response: status %q model %q id %q", f.Status, f.Model, f.ID)
	}
	if len(f.Output) != 3 || f.Output[0].Type != "reasoning" || f.Output[1].Type != "message" || f.Output[2].Type != "function_call" {
		t.Errorf("completed output types wrong: %+v", f.Output)
	}
	if f.OutputText() != "Let me read the file for you, then answer." {
		t.Errorf("OutputText() = %q", f.OutputText())
	}
	u := f.Usage
	if u.InputTokens != 120 || u.OutputTokens != 45 || u.TotalTokens != 165 || !u.JSON.InputTokensDetails.Valid() || !u.JSON.OutputTokensDetails.Valid() {
		t.Errorf("usage = %+v", u)
	}

	reqs := s.RequestsTo(PathCodexResponses)
	if len(reqs) != 1 {
		t.Fatalf("recorded %d requests to %s, want 1", len(reqs), PathCodexResponses)
	}
	if got := reqs[0].Header.Get("ChatGPT-Account-Id"); got != DefaultAccountID {
		t.Errorf("recorded ChatGPT-Account-Id = %q", got)
	}
	if body := reqs[0].JSON(); body["stream"] != true || body["model"] != "gpt-5.5" {
		t.Errorf("recorded body = %v", body)
	}
}

func TestStepHeadersAndPlainSSE(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	s.PushCodex(Step().Text("hi").Header("X-Codex-Plan-Type", "plus").Reply())
	body := `{"model":"gpt-5.5","instructions":"x","store":false,"stream":true,"input":"hi"}`
	a := do(t, s, http.MethodPost, PathCodexResponses, "application/json", []byte(body), "Authorization", "Bearer "+tok.AccessToken)
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	if got := a.header.Get("X-Codex-Plan-Type"); got != "plus" {
		t.Errorf("step header = %q", got)
	}
	text := string(a.body)
	if !strings.HasPrefix(text, "event: response.created\ndata: {") {
		t.Errorf("stream does not start with the created event: %.80q", text)
	}
	if !strings.HasSuffix(text, "\n\n") || !strings.Contains(text, "event: response.completed\ndata: ") {
		t.Errorf("stream does not end with a completed event and a blank line: %q", text[max(0, len(text)-120):])
	}
}

func TestStepEndings(t *testing.T) {
	tests := []struct {
		name     string
		reply    Reply
		terminal string
		check    func(t *testing.T, d *decoded)
	}{
		{
			name:     "failed",
			reply:    Step().Text("partial").Failed("server_error", "model failed").Reply(),
			terminal: "response.failed",
			check: func(t *testing.T, d *decoded) {
				if d.final.Status != "failed" || d.final.Error.Code != "server_error" || d.final.Error.Message != "model failed" {
					t.Errorf("failed response = status %q error %+v", d.final.Status, d.final.Error)
				}
				if len(d.final.Output) != 1 {
					t.Errorf("failed response output = %d items, want 1", len(d.final.Output))
				}
			},
		},
		{
			name:     "error event",
			reply:    Step().ErrorEvent("usage_not_included", "upgrade your plan").Reply(),
			terminal: "error",
			check: func(t *testing.T, d *decoded) {
				if d.errEvent.Code != "usage_not_included" || d.errEvent.Message != "upgrade your plan" {
					t.Errorf("error event = %+v", d.errEvent)
				}
			},
		},
		{
			name:     "incomplete",
			reply:    Step().Text("cut").Incomplete("max_output_tokens").Reply(),
			terminal: "response.incomplete",
			check: func(t *testing.T, d *decoded) {
				if d.final.IncompleteDetails.Reason != "max_output_tokens" {
					t.Errorf("incomplete reason = %q", d.final.IncompleteDetails.Reason)
				}
			},
		},
		{
			name:     "end without completed",
			reply:    Step().Text("no end").EndWithoutCompleted().Reply(),
			terminal: "",
			check: func(t *testing.T, d *decoded) {
				if d.text.String() != "no end" {
					t.Errorf("text = %q", d.text.String())
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			s.SetAPIKey("sk-test")
			s.PushAPI(tt.reply)
			d := stream(testContext(t), service(s, s.APIBase(), "sk-test"), codexParams())
			if d.err != nil {
				t.Fatalf("Err() = %v, want nil", d.err)
			}
			if d.terminal != tt.terminal {
				t.Fatalf("terminal = %q, want %q; events %v", d.terminal, tt.terminal, d.types)
			}
			tt.check(t, d)
		})
	}
}

func TestRawEventStreamError(t *testing.T) {
	s := newServer(t)
	s.SetAPIKey("sk-test")
	s.PushAPI(Step().RawEvent(`{"type":"error","error":{"type":"server_error","message":"boom"}}`).Reply())
	d := stream(testContext(t), service(s, s.APIBase(), "sk-test"), codexParams())
	var se *ssestream.StreamError
	if !errors.As(d.err, &se) {
		t.Fatalf("Err() = %v (%T), want *ssestream.StreamError", d.err, d.err)
	}
}

func TestAbortGivesUnexpectedEOF(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	s.PushCodex(Step().Text("half an ans").Abort().Reply())
	d := stream(testContext(t), service(s, s.CodexBase(), tok.AccessToken), codexParams())
	if !errors.Is(d.err, io.ErrUnexpectedEOF) {
		t.Fatalf("Err() = %v, want unexpected EOF", d.err)
	}
	if d.text.String() != "half an ans" || d.terminal != "" {
		t.Errorf("before the cut: text %q terminal %q", d.text.String(), d.terminal)
	}
}

func TestStallHoldsUntilClientLeaves(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	s.PushCodex(Step().Text("waiting").Stall().Reply())
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()

	st := service(s, s.CodexBase(), tok.AccessToken).NewStreaming(ctx, codexParams())
	defer st.Close()
	var text strings.Builder
	for !strings.Contains(text.String(), "waiting") {
		if !st.Next() {
			t.Fatalf("stream ended before the stall: %v", st.Err())
		}
		if ev := st.Current(); ev.Type == "response.output_text.delta" {
			text.WriteString(ev.Delta)
		}
	}
	select {
	case <-s.Stalled():
	case <-ctx.Done():
		t.Fatal("no stall reported")
	}
	if n := s.StallCount(); n != 1 {
		t.Errorf("StallCount = %d, want 1", n)
	}
	// Everything else was sent; the stream is held open until the client
	// gives up.
	rest := make(chan bool, 1)
	go func() {
		more := false
		for st.Next() {
			if st.Current().Type != "response.output_item.done" && st.Current().Type != "response.output_text.done" &&
				st.Current().Type != "response.content_part.done" {
				more = true
			}
		}
		rest <- more
	}()
	cancel()
	if <-rest {
		t.Error("a stalled step sent a terminal event")
	}
	if !errors.Is(st.Err(), context.Canceled) {
		t.Errorf("Err() = %v, want context.Canceled", st.Err())
	}
}

func TestCloseReleasesStall(t *testing.T) {
	s := New()
	tok := s.Mint()
	s.PushCodex(Step().Stall().Reply())
	done := make(chan error, 1)
	go func() { done <- stream(testContext(t), service(s, s.CodexBase(), tok.AccessToken), codexParams()).err }()
	<-s.Stalled()
	s.Close() // must not wait for the client
	if err := <-done; err == nil {
		t.Error("stream through a closed server ended without error")
	}
}

func TestDelayPerEventStillDelivers(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	s.PushCodex(Step().Text("slow text").DelayPerEvent(1).Reply())
	d := stream(testContext(t), service(s, s.CodexBase(), tok.AccessToken), codexParams())
	if d.err != nil || d.terminal != "response.completed" || d.text.String() != "slow text" {
		t.Fatalf("delayed step: err %v terminal %q text %q", d.err, d.terminal, d.text.String())
	}
}

func TestErrorReply(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	s.PushCodex(Error(http.StatusTooManyRequests,
		`{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_in_seconds":60}}`,
		"Retry-After", "60", "X-Codex-Primary-Used-Percent", "100"))
	d := stream(testContext(t), service(s, s.CodexBase(), tok.AccessToken), codexParams())
	var apiErr *openai.Error
	if !errors.As(d.err, &apiErr) {
		t.Fatalf("Err() = %v, want *openai.Error", d.err)
	}
	if apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Type != "usage_limit_reached" {
		t.Errorf("error: status %d type %q", apiErr.StatusCode, apiErr.Type)
	}
	if got := apiErr.Response.Header.Get("X-Codex-Primary-Used-Percent"); got != "100" {
		t.Errorf("error header = %q", got)
	}
}

func TestEmptyQueueIs500(t *testing.T) {
	s := newServer(t)
	s.SetAPIKey("sk-test")
	tok := s.Mint()
	for _, tc := range []struct{ path, bearer string }{
		{PathCodexResponses, tok.AccessToken},
		{PathAPIResponses, "sk-test"},
	} {
		body := `{"model":"gpt-5.5","instructions":"x","store":false,"stream":true,"input":"hi"}`
		a := do(t, s, http.MethodPost, tc.path, "application/json", []byte(body), "Authorization", "Bearer "+tc.bearer)
		if a.status != http.StatusInternalServerError {
			t.Errorf("%s with no reply: status %d", tc.path, a.status)
		}
		m := a.json(t)
		if field(m, "error", "message") != "upstreamtest: no scripted reply" || field(m, "error", "type") != "server_error" {
			t.Errorf("%s with no reply: body %s", tc.path, a.body)
		}
	}
}

func TestQueuesAreSeparateAndOrdered(t *testing.T) {
	s := newServer(t)
	s.SetAPIKey("sk-test")
	tok := s.Mint()
	s.PushCodex(Text("codex one"), Text("codex two"))
	s.PushAPI(Text("api one"))
	if c, a := s.Pending(); c != 2 || a != 1 {
		t.Fatalf("Pending = %d, %d", c, a)
	}
	codex := service(s, s.CodexBase(), tok.AccessToken)
	api := service(s, s.APIBase(), "sk-test")
	for _, step := range []struct {
		svc  string
		want string
	}{{"api", "api one"}, {"codex", "codex one"}, {"codex", "codex two"}} {
		svc := codex
		if step.svc == "api" {
			svc = api
		}
		if got := stream(testContext(t), svc, codexParams()).text.String(); got != step.want {
			t.Errorf("%s reply = %q, want %q", step.svc, got, step.want)
		}
	}
	if c, a := s.Pending(); c != 0 || a != 0 {
		t.Errorf("Pending after use = %d, %d", c, a)
	}
}

func TestReplyIsIndependentOfBuilder(t *testing.T) {
	b := Step().Text("first")
	r := b.Reply()
	b.Text("second").Failed("x", "y")
	if n := len(r.step.segments); n != 1 || r.step.end.kind != endCompleted {
		t.Errorf("reply changed with its builder: %d segments, end %v", n, r.step.end.kind)
	}
}

func TestChunks(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"short", []string{"short"}},
		{"exactly8", []string{"exactly8"}},
		{"0123456789abcdefX", []string{"01234567", "89abcdef", "X"}},
		{"héllo wörld ☃☃☃", []string{"héllo wö", "rld ☃☃☃"}},
	}
	for _, tt := range tests {
		got := chunks(tt.in)
		if !slices.Equal(got, tt.want) {
			t.Errorf("chunks(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Join(got, "") != tt.in {
			t.Errorf("chunks(%q) do not join back", tt.in)
		}
	}
}
