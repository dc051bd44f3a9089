package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// A call of a tool the request did not offer runs nothing: the model is
// told the tool is unknown, and which tools it has.
func TestCallsOfToolsNotOfferedAreRefused(t *testing.T) {
	look := probe{name: "look", readOnly: true}
	for _, tc := range []struct {
		name, model, tool, args string
	}{
		// "classic": the test's entry names no tools of the official
		// client, so the probe is the model's one tool; bash and
		// exec_command are deckhand's.
		{"bash beside another tool", "classic", "bash", `{"command":"echo ran-$((6*7))"}`},
		{"a Codex tool on a model without them", "classic", "exec_command", `{"cmd":"echo ran-$((6*7))"}`},
		{"an MCP tool with no server", "classic", "mcp__docs__search", `{}`},
		// gpt-6.2-sol is code mode: exec, wait and the Codex tools in exec.
		{"an MCP tool with no server, in code mode", "gpt-6.2-sol", "mcp__docs__search", `{}`},
		// gpt-5.5 has no code mode.
		{"code mode's exec on gpt-5.5", "gpt-5.5", "exec", `console.log("ran-" + 6*7)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *Engine
			var fake *upstreamtest.Server
			model := tc.model
			if model == "classic" {
				e, fake = testEngine(t, look)
				model = ""
			} else {
				e, fake = testEngine(t) // the reference catalog
			}
			step := upstreamtest.Step().Call("x1", tc.tool, tc.args)
			if tc.tool == "exec" {
				step = upstreamtest.Step().CustomCall("x1", tc.tool, tc.args)
			}
			fake.PushCodex(step.Reply(), upstreamtest.Text("done"))
			res, err := e.Chat(context.Background(), ChatRequest{Message: "go", Model: model})
			if err != nil || res.StopReason != StopEndTurn {
				t.Fatalf("chat: %v %+v", err, res)
			}
			reqs := fake.RequestsTo("/backend-api/codex/responses")
			if len(reqs) != 2 {
				t.Fatalf("%d requests", len(reqs))
			}
			var out string
			for _, it := range reqs[1].JSON()["input"].([]any) {
				if m := it.(map[string]any); (m["type"] == "function_call_output" || m["type"] == "custom_tool_call_output") && m["call_id"] == "x1" {
					out, _ = m["output"].(string)
				}
			}
			if strings.Contains(out, "ran-42") {
				t.Fatalf("%s ran though it was not offered: %q", tc.tool, out)
			}
			if !strings.Contains(out, "unknown tool") || !strings.Contains(out, tc.tool) {
				t.Errorf("the model was told %q; want an unknown tool error naming %s", out, tc.tool)
			}
		})
	}
}

// A tool that was offered still runs.
func TestOfferedToolsRun(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Step().Call("x1", "exec_command", `{"cmd":"echo ran-$((6*7))"}`).Reply(), upstreamtest.Text("done"))
	if res, err := e.Chat(context.Background(), ChatRequest{Message: "go", Model: "gpt-5.5"}); err != nil || res.StopReason != StopEndTurn {
		t.Fatalf("chat: %v %+v", err, res)
	}
	reqs := fake.RequestsTo("/backend-api/codex/responses")
	for _, it := range reqs[len(reqs)-1].JSON()["input"].([]any) {
		if m := it.(map[string]any); m["type"] == "function_call_output" && !strings.Contains(m["output"].(string), "ran-42") {
			t.Errorf("exec_command, offered, did not run: %v", m["output"])
		}
	}
}

// classicCatalog makes the fake's catalog one entry that names no tools of
// the official client, the login's default: deckhand offers its own tools
// (or a test engine's probes), and a test's model may call them.
func classicCatalog(fake *upstreamtest.Server) {
	fake.SetCodexCatalog([]upstreamtest.CatalogModel{{Slug: "gpt-classic", DisplayName: "GPT Classic", Visibility: "list",
		Priority: 1, MinimalClientVersion: "0.1.0", ReasoningLevels: []string{"low", "medium", "high"},
		DefaultReasoning: "medium", Classic: true}})
}
