package upstreamtest

import "fmt"

// Custom tools (a freeform tool such as apply_patch): the model's call is a
// custom_tool_call item whose input is free text, streamed as
// response.custom_tool_call_input.delta events, and answered in the next
// request by a custom_tool_call_output with the same call_id.

// CustomCall adds a custom_tool_call item (ctc_N) for the tool name with
// callID and its free-text input.
func (b *StepBuilder) CustomCall(callID, name, input string) *StepBuilder {
	b.calls++
	b.sc.segments = append(b.sc.segments, segment{
		kind: segCustomCall, id: fmt.Sprintf("ctc_%d", b.calls), text: input, callID: callID, name: name,
	})
	return b
}

func (r *renderer) customCall(seg segment) {
	idx := len(r.output)
	r.emit("response.output_item.added", obj{
		"output_index": idx,
		"item": obj{
			"id": seg.id, "type": "custom_tool_call", "call_id": seg.callID, "name": seg.name,
			"input": "", "status": "in_progress",
		},
	})
	for _, c := range chunks(seg.text) {
		r.emit("response.custom_tool_call_input.delta", obj{"item_id": seg.id, "output_index": idx, "delta": c})
	}
	r.emit("response.custom_tool_call_input.done", obj{"item_id": seg.id, "output_index": idx, "input": seg.text})
	r.finish(idx, obj{
		"id": seg.id, "type": "custom_tool_call", "call_id": seg.callID, "name": seg.name,
		"input": seg.text, "status": "completed",
	})
}

// unpairedOutput is the 400 detail the Responses API gives a request whose
// input answers a call it does not hold, or answers a function call with a
// custom output (or the reverse); "" when every output has its call.
func unpairedOutput(body map[string]any) string {
	items, _ := body["input"].([]any)
	calls := map[string]string{} // call_id -> item type
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["call_id"].(string)
		switch m["type"] {
		case "function_call", "custom_tool_call":
			calls[id] = m["type"].(string)
		case "function_call_output":
			if calls[id] != "function_call" {
				return fmt.Sprintf("No tool call found for function call output with call_id %s.", id)
			}
		case "custom_tool_call_output":
			if calls[id] != "custom_tool_call" {
				return fmt.Sprintf("No tool call found for custom tool call output with call_id %s.", id)
			}
		}
	}
	return ""
}

// Answer is a reply made when its request comes, from the request's body:
// a step that depends on what deckhand sent (a session id a tool returned,
// say).
func Answer(fn func(body map[string]any) Reply) Reply {
	return Reply{answer: fn}
}

// CallOutput returns the output a request's input gives call callID (of a
// function or a custom tool), and whether it has one.
func CallOutput(body map[string]any, callID string) (string, bool) {
	items, _ := body["input"].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		if t := m["type"]; (t == "function_call_output" || t == "custom_tool_call_output") && m["call_id"] == callID {
			out, ok := m["output"].(string)
			return out, ok
		}
	}
	return "", false
}
