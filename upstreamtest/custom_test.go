package upstreamtest

import (
	"net/http"
	"strings"
	"testing"
)

func TestCustomCallDecodesWithOpenAIGo(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	patch := "*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch\n"
	s.PushCodex(Step().CustomCall("call_p", "apply_patch", patch).Reply())
	d := stream(testContext(t), service(s, s.CodexBase(), tok.AccessToken), codexParams())
	if d.err != nil || d.terminal != "response.completed" {
		t.Fatalf("stream: %v, terminal %q", d.err, d.terminal)
	}
	if n := strings.Count(strings.Join(d.types, " "), "response.custom_tool_call_input.delta"); n < 2 {
		t.Errorf("input came in %d delta(s), want it chunked", n)
	}
	if len(d.items) != 1 {
		t.Fatalf("%d items", len(d.items))
	}
	c := d.items[0].AsCustomToolCall()
	if d.items[0].Type != "custom_tool_call" || c.CallID != "call_p" || c.Name != "apply_patch" || c.Input != patch {
		t.Errorf("custom call item = %+v", c)
	}
}

// An output must answer a call of its own kind that the input holds.
func TestUnpairedOutputsAreRefused(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	body := func(items ...map[string]any) map[string]any {
		return map[string]any{"model": "gpt-5.5", "store": false, "stream": true, "instructions": "x", "input": items}
	}
	call := map[string]any{"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": "p"}
	fcall := map[string]any{"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"}
	cout := map[string]any{"type": "custom_tool_call_output", "call_id": "c1", "output": "ok"}
	fout := map[string]any{"type": "function_call_output", "call_id": "c1", "output": "ok"}
	for name, tt := range map[string]struct {
		body map[string]any
		ok   bool
	}{
		"custom pair":         {body(call, cout), true},
		"function pair":       {body(fcall, fout), true},
		"custom, no call":     {body(cout), false},
		"function for custom": {body(call, fout), false},
		"custom for function": {body(fcall, cout), false},
	} {
		s.PushCodex(Step().Text("hi").Reply())
		a := postJSON(t, s, PathCodexResponses, tt.body, "Authorization", "Bearer "+tok.AccessToken, "ChatGPT-Account-Id", DefaultAccountID)
		if got := a.status == http.StatusOK; got != tt.ok {
			t.Errorf("%s: status %d %s", name, a.status, a.body)
		}
		if !tt.ok && !strings.Contains(string(a.body), "No tool call found") {
			t.Errorf("%s: %s", name, a.body)
		}
	}
}

// An Answer is made from the request it answers.
func TestAnswerReadsTheRequest(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	s.PushCodex(Answer(func(body map[string]any) Reply {
		out, ok := CallOutput(body, "c1")
		if !ok {
			return Text("no output")
		}
		return Text("the call said " + out)
	}))
	body := map[string]any{"model": "gpt-5.5", "store": false, "stream": true, "instructions": "x", "input": []any{
		map[string]any{"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
		map[string]any{"type": "function_call_output", "call_id": "c1", "output": "42"},
	}}
	a := postJSON(t, s, PathCodexResponses, body, "Authorization", "Bearer "+tok.AccessToken, "ChatGPT-Account-Id", DefaultAccountID)
	if a.status != http.StatusOK || !strings.Contains(string(a.body), "the call said 42") {
		t.Errorf("status %d: %s", a.status, a.body)
	}
}
