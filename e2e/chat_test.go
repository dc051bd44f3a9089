package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

const codexPath = "/backend-api/codex/responses"

func TestCodexRequestShape(t *testing.T) {
	t.Parallel()
	fake, p, tok := oauthServer(t, opts{})
	fake.PushCodex(upstreamtest.Step().Text("Hello there.").Usage(12, 3).Reply())
	r := p.chat(map[string]any{"message": "hi", "reasoningEffort": "high"})
	if r.StopReason != "end_turn" || r.Text != "Hello there." || r.Steps != 1 {
		t.Fatalf("result = %+v", r)
	}
	if r.Usage.InputTokens != 12 || r.Usage.OutputTokens != 3 {
		t.Errorf("usage = %+v", r.Usage)
	}
	reqs := fake.RequestsTo(codexPath)
	if len(reqs) != 1 {
		t.Fatalf("%d requests to %s", len(reqs), codexPath)
	}
	h := reqs[0].Header
	for k, want := range map[string]string{
		"Authorization":      "Bearer " + tok.AccessToken,
		"Chatgpt-Account-Id": "acct_test_1",
		"Originator":         "deckhand",
		"Session-Id":         r.SessionID,
	} {
		if got := h.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if ua := h.Get("User-Agent"); !strings.HasPrefix(ua, "deckhand/") {
		t.Errorf("User-Agent = %q", ua)
	}
	if h.Get("OpenAI-Organization") != "" {
		t.Errorf("OPENAI_ORG_ID leaked into the request as OpenAI-Organization")
	}
	// The default model is the catalog's first entry, a Responses Lite one.
	if h.Get("version") != upstreamtest.WireVersion || h.Get(upstreamtest.HeaderLite) != "true" {
		t.Errorf("version %q, Lite header %q", h.Get("version"), h.Get(upstreamtest.HeaderLite))
	}
	body := reqs[0].JSON()
	want := map[string]any{"model": "gpt-6.2-sol", "store": false, "stream": true, "tool_choice": "auto", "prompt_cache_key": r.SessionID, "parallel_tool_calls": false}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("body %s = %v, want %v", k, body[k], v)
		}
	}
	if _, ok := body["instructions"]; ok {
		t.Errorf("a Lite request carries instructions")
	}
	if _, ok := body["tools"]; ok {
		t.Errorf("a Lite request carries top-level tools")
	}
	input, _ := body["input"].([]any)
	if len(input) < 2 || devText(input[1]) != upstreamtest.ReferenceCatalog[0].Template {
		t.Errorf("the first developer message is not the entry's template: %v", input)
	}
	if inc, _ := body["include"].([]any); len(inc) != 1 || inc[0] != "reasoning.encrypted_content" {
		t.Errorf("include = %v", body["include"])
	}
	if rs, _ := body["reasoning"].(map[string]any); rs["effort"] != "high" || rs["context"] != "all_turns" || len(rs) != 2 {
		t.Errorf("reasoning = %v", body["reasoning"])
	}
	if last, _ := input[len(input)-1].(map[string]any); last["type"] != "configuration_update" || !strings.Contains(fmtJSON(last), `"effort":"high"`) {
		t.Errorf("the last input item %v, want the turn's configuration_update", last)
	}
	for _, k := range []string{"max_output_tokens", "temperature"} {
		if _, ok := body[k]; ok {
			t.Errorf("body carries %s", k)
		}
	}
	var names []string
	first, _ := input[0].(map[string]any)
	spaces, _ := first["tools"].([]any)
	if first["type"] != "additional_tools" || len(spaces) != 1 || spaces[0].(map[string]any)["name"] != "functions" {
		t.Fatalf("input[0] = %v, want the additional_tools item", first)
	}
	for _, tool := range spaces[0].(map[string]any)["tools"].([]any) {
		name, _ := tool.(map[string]any)["name"].(string)
		if name == "" { // a hosted tool is named by its type
			name, _ = tool.(map[string]any)["type"].(string)
		}
		names = append(names, name)
	}
	// The entry is a code-mode one: the model gets exec and wait, the Codex
	// tools nested in exec's scripts (codemode_test.go).
	if want := []string{"exec", "wait"}; !slices.Equal(names, want) {
		t.Errorf("tools = %v, want %v", names, want)
	}
}

func TestAPIKeyRequestShape(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	defer fake.Close()
	fake.SetAPIKey("sk-test-123")
	p := start(t, opts{fake: fake})
	p.initialize(false)
	p.ok("connect", map[string]any{"provider": "openai", "method": "apiKey", "apiKey": "sk-test-123"}, nil)
	fake.PushAPI(upstreamtest.Text("From the API."))
	r := p.chat(map[string]any{"message": "hi"})
	if r.Text != "From the API." {
		t.Fatalf("text = %q", r.Text)
	}
	reqs := fake.RequestsTo("/v1/responses")
	if len(reqs) != 1 || len(fake.RequestsTo(codexPath)) != 0 {
		t.Fatalf("requests: api %d codex %d", len(reqs), len(fake.RequestsTo(codexPath)))
	}
	if got := reqs[0].Header.Get("Authorization"); got != "Bearer sk-test-123" {
		t.Errorf("Authorization = %q", got)
	}
	if reqs[0].Header.Get("Chatgpt-Account-Id") != "" {
		t.Errorf("API-key request carries ChatGPT-Account-Id")
	}
	if strings.Contains(p.log(), "sk-test-123") {
		t.Errorf("the API key reached the log")
	}
}

func TestEnvAPIKey(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	defer fake.Close()
	fake.SetAPIKey("sk-env-9")
	p := start(t, opts{fake: fake, env: []string{"OPENAI_API_KEY=sk-env-9"}})
	res := p.initialize(false)
	if a := res["auth"].(map[string]any); a["type"] != "api" || a["source"] != "env" {
		t.Fatalf("auth = %v, want api/env", a)
	}
	fake.PushAPI(upstreamtest.Text("ok"))
	if r := p.chat(map[string]any{"message": "hi"}); r.Text != "ok" {
		t.Fatalf("text %q", r.Text)
	}
}

func TestNotLoggedIn(t *testing.T) {
	t.Parallel()
	p := start(t, opts{})
	p.initialize(false)
	e := p.fails("chat", map[string]any{"message": "hi"}, -32000)
	var data struct {
		Provider string `json:"provider"`
		Methods  []struct{ ID, Label string }
	}
	json.Unmarshal(e.Data, &data)
	if data.Provider != "openai" || len(data.Methods) != 3 || data.Methods[0].ID != "browser" {
		t.Errorf("data = %s", e.Data)
	}
}

// mixedSteps are the step shapes that ended turns early in the tools deckhand
// replaces: each holds a call, so each must be followed by another step.
func TestMixedStepsKeepGoing(t *testing.T) {
	t.Parallel()
	cases := map[string]*upstreamtest.StepBuilder{
		"text then call":      upstreamtest.Step().Text("Let me look.").Call("call_a", "list", `{}`),
		"call then text":      upstreamtest.Step().Call("call_a", "list", `{}`).Text("Listing now."),
		"reasoning and call":  upstreamtest.Step().Reasoning("thinking", "ENC-1").Call("call_a", "list", `{}`),
		"several calls":       upstreamtest.Step().Call("call_a", "list", `{}`).Call("call_b", "glob", `{"pattern":"*.txt"}`).Call("call_c", "read", `{"path":"a.txt"}`),
		"reasoning text call": upstreamtest.Step().Reasoning("plan", "ENC-2").Text("Checking.").Call("call_a", "list", `{}`),
	}
	for name, first := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake, p, _ := oauthServer(t, opts{})
			writeFile(t, p.ws, "a.txt", "alpha\n")
			fake.PushCodex(first.Reply(), upstreamtest.Text("All done."))
			r := p.chat(map[string]any{"message": "look around"})
			if r.StopReason != "end_turn" || r.Steps != 2 || !strings.HasSuffix(r.Text, "All done.") {
				t.Fatalf("result = %+v, want 2 steps ending in the final text", r)
			}
			reqs := fake.RequestsTo(codexPath)
			in := input(t, reqs, 1)
			calls, outputs := map[string]bool{}, map[string]string{}
			for _, it := range in {
				// Ids go back as the service gave them (the official
				// client's way on the ChatGPT branch), never made up.
				if id, ok := it["id"].(string); ok && !strings.HasPrefix(id, "rs_") && !strings.HasPrefix(id, "fc_") && !strings.HasPrefix(id, "msg_") {
					t.Errorf("item carries an id the service did not give: %v", it)
				}
				switch it["type"] {
				case "function_call":
					calls[it["call_id"].(string)] = true
				case "function_call_output":
					outputs[it["call_id"].(string)], _ = it["output"].(string)
				case "reasoning":
					if it["encrypted_content"] == nil {
						t.Errorf("reasoning replayed without encrypted_content: %v", it)
					}
				}
			}
			if len(calls) == 0 || len(calls) != len(outputs) {
				t.Fatalf("second request: calls %v, outputs %v", calls, outputs)
			}
			for id := range calls {
				if outputs[id] == "" {
					t.Errorf("call %s has no output", id)
				}
			}
			if strings.Contains(name, "reasoning") && !slices.ContainsFunc(in, func(it map[string]any) bool { return it["type"] == "reasoning" }) {
				t.Errorf("reasoning item not replayed")
			}
		})
	}
}

func TestNotificationsInOrder(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	writeFile(t, p.ws, "a.txt", "alpha\n")
	fake.PushCodex(
		upstreamtest.Step().Reasoning("hmm", "E").Text("Reading.").Call("c1", "read", `{"path":"a.txt"}`).Reply(),
		upstreamtest.Step().Text("It says alpha.").Reply(),
	)
	r := p.chat(map[string]any{"message": "read a.txt"})
	var kinds []string
	var text strings.Builder
	for _, m := range p.notifications("") {
		if !strings.HasPrefix(m.Method, "chat/") {
			continue
		}
		var ref struct{ SessionID, TurnID, Text, Output string }
		json.Unmarshal(m.Params, &ref)
		if ref.SessionID != r.SessionID || ref.TurnID != r.TurnID {
			t.Errorf("%s for %s/%s, want %s/%s", m.Method, ref.SessionID, ref.TurnID, r.SessionID, r.TurnID)
		}
		if m.Method == "chat/delta" {
			text.WriteString(ref.Text)
		}
		if len(kinds) == 0 || kinds[len(kinds)-1] != m.Method {
			kinds = append(kinds, m.Method)
		}
	}
	want := []string{"chat/started", "chat/reasoning", "chat/delta", "chat/usage", "chat/toolCall", "chat/toolResult", "chat/usage", "chat/delta", "chat/usage"}
	if !slices.Equal(kinds, want) {
		t.Errorf("notification order %v, want %v", kinds, want)
	}
	if text.String() != "Reading.It says alpha." {
		t.Errorf("deltas joined = %q", text.String())
	}
	if r.Text != "Reading.\n\nIt says alpha." {
		t.Errorf("result text = %q", r.Text)
	}
	res := p.notifications("chat/toolResult")[0]
	var tr struct {
		OK     bool
		Output string
	}
	json.Unmarshal(res.Params, &tr)
	if !tr.OK || !strings.Contains(tr.Output, "alpha") {
		t.Errorf("toolResult = %+v", tr)
	}
}

func TestStepLimit(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{args: []string{"--max-steps", "2"}})
	for range 3 {
		fake.PushCodex(upstreamtest.Step().Call("c", "list", `{}`).Reply())
	}
	r := p.chat(map[string]any{"message": "loop"})
	if r.StopReason != "max_steps" || r.Steps != 2 {
		t.Fatalf("result = %+v, want max_steps after 2", r)
	}
	if n := len(fake.RequestsTo(codexPath)); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestSessionContinues(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	fake.PushCodex(upstreamtest.Text("First."), upstreamtest.Text("Second."))
	r1 := p.chat(map[string]any{"message": "one"})
	r2 := p.chat(map[string]any{"message": "two", "sessionId": r1.SessionID})
	if r2.SessionID != r1.SessionID || r2.TurnID == r1.TurnID {
		t.Fatalf("r1 %+v r2 %+v", r1, r2)
	}
	in := input(t, fake.RequestsTo(codexPath), 1)
	var texts []string
	for _, it := range in {
		if c := itemText(it); c != "" {
			texts = append(texts, it["role"].(string)+":"+c)
		}
	}
	// A session starts with its environment context (1.1).
	if len(texts) == 0 || !strings.HasPrefix(texts[0], "user:<environment_context>") {
		t.Fatalf("history %v does not start with the environment context", texts)
	}
	if want := []string{"user:one", "assistant:First.", "user:two"}; !slices.Equal(texts[1:], want) {
		t.Errorf("history %v, want %v", texts, want)
	}
}

func TestConcurrentSessions(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	const n = 4
	for range n {
		fake.PushCodex(upstreamtest.Step().DelayPerEvent(5 * time.Millisecond).Text("same answer for everyone").Reply())
	}
	var chans []chan msg
	for range n {
		_, ch := p.send("chat", map[string]any{"message": "go"})
		chans = append(chans, ch)
	}
	seen := map[string]bool{}
	for _, ch := range chans {
		res, err := p.await(ch, "chat")
		if err != nil {
			t.Fatalf("chat: %v", err)
		}
		r := decode[chatResult](t, res)
		if r.Text != "same answer for everyone" {
			t.Errorf("text %q", r.Text)
		}
		seen[r.SessionID] = true
		var text strings.Builder
		for _, m := range p.notifications("chat/delta") {
			var d struct{ SessionID, Text string }
			json.Unmarshal(m.Params, &d)
			if d.SessionID == r.SessionID {
				text.WriteString(d.Text)
			}
		}
		if text.String() != r.Text {
			t.Errorf("session %s deltas %q, result %q", r.SessionID, text.String(), r.Text)
		}
	}
	if len(seen) != n {
		t.Errorf("%d sessions, want %d", len(seen), n)
	}
}

func TestSessionBusy(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	fake.PushCodex(upstreamtest.Text("first"))
	r := p.chat(map[string]any{"message": "start"})
	fake.PushCodex(upstreamtest.Step().Text("slow…").Stall().Reply())
	_, ch := p.send("chat", map[string]any{"message": "long", "sessionId": r.SessionID})
	p.waitFor("chat/delta", func(m msg) bool { return strings.Contains(string(m.Params), "slow") }, 20*time.Second)
	e := p.fails("chat", map[string]any{"message": "again", "sessionId": r.SessionID}, -32003)
	if !strings.Contains(string(e.Data), r.SessionID) {
		t.Errorf("data %s does not name the session", e.Data)
	}
	p.ok("cancel", map[string]any{"sessionId": r.SessionID}, nil)
	res, err := p.await(ch, "chat")
	if err != nil || decode[chatResult](t, res).StopReason != "cancelled" {
		t.Fatalf("cancelled chat = %s, %v", res, err)
	}
}

// devText is the text of a developer message item, "" for other items.
func devText(item any) string {
	m, _ := item.(map[string]any)
	if m["type"] != "message" || m["role"] != "developer" {
		return ""
	}
	parts, _ := m["content"].([]any)
	var b strings.Builder
	for _, p := range parts {
		pm, _ := p.(map[string]any)
		s, _ := pm["text"].(string)
		b.WriteString(s)
	}
	return b.String()
}

func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
