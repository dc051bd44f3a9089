package engine

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/openai/openai-go/v3/responses"

	"github.com/deckhand-dev/deckhand/tools"
)

// Which tools a turn's model gets: the Codex set where its catalog entry
// names it (the tools the model was trained on), deckhand's seven
// elsewhere (a model no catalog describes, an API-key turn).

// toolSetOf reads what an entry says of its tools.
func toolSetOf(c CatalogEntry) tools.ToolSet {
	return tools.ToolSet{
		ShellType:          c.ShellType,
		ApplyPatchToolType: c.ApplyPatchToolType,
		Images:             slices.Contains(c.InputModalities, "image"),
	}
}

// toolList is the tools the turn's requests declare: the entry's Codex
// set, or the engine's own (the classic seven).
func (t *turn) toolList() []tools.Tool {
	if set := toolSetOf(t.entry); set.Native() {
		return set.For()
	}
	return t.e.tools
}

// native says whether the turn's model gets the Codex tools.
func (t *turn) native() bool { return toolSetOf(t.entry).Native() }

// webSearch is the hosted search the turn's requests declare, if any.
func (t *turn) webSearch() WebSearch {
	if !t.native() {
		return WebSearch{}
	}
	return WebSearch{Type: t.entry.WebSearchToolType, Live: t.e.cfg.LiveWebSearch}
}

// truncation is the entry's truncation policy for command output.
func (t *turn) truncation() tools.TruncationPolicy {
	p := t.entry.Truncation
	if p.Limit <= 0 {
		return tools.DefaultTruncation
	}
	return tools.TruncationPolicy{Mode: p.Mode, Limit: int(p.Limit)}
}

// streamOutput gives a command's call a context under which its output
// goes to the editor as it comes (chat/toolOutput, at most every 100 ms);
// flush sends the rest once the call returns. Other calls get ctx as it is.
func (t *turn) streamOutput(ctx context.Context, c Item) (context.Context, func()) {
	if c.Name != "exec_command" && c.Name != "write_stdin" {
		return ctx, func() {}
	}
	throttle := newOutputThrottle(toolOutputEvery, func(text string) {
		t.emit(TurnEvent{Kind: EventToolOutput, CallID: c.CallID, Name: c.Name, Text: text})
	})
	return tools.WithOutputSink(ctx, throttle.Write), throttle.Flush
}

// toolNames lists tools for a sentence: "a, b and c".
func toolNames(ts []tools.Tool) string {
	names := make([]string, len(ts))
	for i, tool := range ts {
		names[i] = tool.Name()
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// callArguments is a call's arguments as a JSON object for display: a
// custom tool's free-text input as {"input": text}.
func callArguments(c Item) json.RawMessage {
	if c.Custom {
		b, _ := json.Marshal(map[string]string{"input": c.Arguments})
		return b
	}
	return jsonArgs(c.Arguments)
}

// reportWebSearch tells the editor of a hosted web search the model made,
// as a tool call named web_search with what it looked for, and its end.
// The service runs it: nothing of it goes back in the history.
func (t *turn) reportWebSearch(o responses.ResponseOutputItemUnion) {
	if o.Type != "web_search_call" {
		return
	}
	ws := o.AsWebSearchCall()
	args := map[string]any{"action": ws.Action.Type}
	switch {
	case ws.Action.Query != "":
		args["query"] = ws.Action.Query
	case len(ws.Action.Queries) > 0:
		args["query"] = strings.Join(ws.Action.Queries, "; ")
	}
	if ws.Action.URL != "" {
		args["url"] = ws.Action.URL
	}
	if ws.Action.Pattern != "" {
		args["pattern"] = ws.Action.Pattern
	}
	raw, _ := json.Marshal(args)
	t.emit(TurnEvent{Kind: EventToolCall, CallID: ws.ID, Name: "web_search", Arguments: raw})
	ok := ws.Status == "completed"
	out := "searched"
	var sources []string
	for _, s := range ws.Action.Sources {
		if s.URL != "" {
			sources = append(sources, s.URL)
		}
	}
	if len(sources) > 0 {
		out = "sources:\n" + strings.Join(sources, "\n")
	}
	if !ok {
		out = "the search ended " + string(ws.Status)
	}
	// Kept for sessions/load, as it was shown (callrecord.go).
	t.record(&Record{Type: RecordCall, Call: &CallRecord{CallID: ws.ID, Name: "web_search", Arguments: raw, OK: ok, Output: cut(out, DisplayLimit)}})
	t.emit(TurnEvent{Kind: EventToolResult, CallID: ws.ID, Name: "web_search", OK: ok, Output: cut(out, DisplayLimit)})
}
