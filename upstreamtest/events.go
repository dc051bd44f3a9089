package upstreamtest

import (
	"encoding/json"
	"fmt"
)

// chunkRunes is the size of the delta chunks text and arguments stream in.
const chunkRunes = 8

// obj is a JSON object under construction.
type obj = map[string]any

// sseEvent is one server-sent event: "event: <typ>\ndata: <data>\n\n".
type sseEvent struct {
	typ  string
	data []byte
}

// responseMeta is what a rendered step needs to know about its request.
type responseMeta struct {
	id        string
	model     string
	createdAt int64
}

// renderer turns a script into events, numbering them as it goes.
type renderer struct {
	meta   responseMeta
	seq    int
	events []sseEvent
	output []any // every finished item, in order
}

// render returns the events of sc, in wire order, ending as sc says (the
// endings that close or hold the connection add nothing here).
func (sc *script) render(meta responseMeta) []sseEvent {
	r := &renderer{meta: meta, output: []any{}}
	r.emit("response.created", obj{"response": r.response("in_progress", nil)})
	r.emit("response.in_progress", obj{"response": r.response("in_progress", nil)})
	for _, seg := range sc.segments {
		switch seg.kind {
		case segReasoning:
			r.reasoning(seg)
		case segMessage:
			r.message(seg)
		case segCall:
			r.call(seg)
		case segRaw:
			r.raw(seg.text)
		case segCustomCall:
			r.customCall(seg)
		case segCompaction:
			item := obj{"id": seg.id, "type": "compaction", "encrypted_content": seg.encrypted}
			idx := len(r.output)
			r.emit("response.output_item.added", obj{"output_index": idx, "item": item})
			r.finish(idx, item)
		case segRefusal:
			r.refusal(seg)
		case segWebSearch:
			r.webSearch(seg)
		}
	}
	usage := obj{
		"input_tokens":          sc.usage[0],
		"input_tokens_details":  obj{"cached_tokens": 0},
		"output_tokens":         sc.usage[1],
		"output_tokens_details": obj{"reasoning_tokens": 0},
		"total_tokens":          sc.usage[0] + sc.usage[1],
	}
	switch sc.end.kind {
	case endCompleted:
		r.emit("response.completed", obj{"response": r.response("completed", obj{"usage": usage})})
	case endFailed:
		r.emit("response.failed", obj{"response": r.response("failed", obj{
			"usage": usage,
			"error": obj{"code": sc.end.code, "message": sc.end.message},
		})})
	case endIncomplete:
		r.emit("response.incomplete", obj{"response": r.response("incomplete", obj{
			"usage":              usage,
			"incomplete_details": obj{"reason": sc.end.code},
		})})
	case endErrorEvent:
		r.emit("error", obj{"code": sc.end.code, "message": sc.end.message, "param": nil})
	}
	return r.events
}

// response is the response object in the lifecycle events, holding the
// items finished so far.
func (r *renderer) response(status string, extra obj) obj {
	o := obj{
		"id":                 r.meta.id,
		"object":             "response",
		"created_at":         r.meta.createdAt,
		"status":             status,
		"model":              r.meta.model,
		"output":             append([]any{}, r.output...),
		"error":              nil,
		"incomplete_details": nil,
		"usage":              nil,
	}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

// emit appends an event whose JSON is fields plus type and sequence_number.
func (r *renderer) emit(typ string, fields obj) {
	fields["type"] = typ
	fields["sequence_number"] = r.seq
	r.seq++
	data, err := json.Marshal(fields)
	if err != nil {
		panic(fmt.Sprintf("upstreamtest: encoding %s: %v", typ, err)) // only plain values go in
	}
	r.events = append(r.events, sseEvent{typ: typ, data: data})
}

// raw appends data verbatim, named by its "type" field if it has one.
func (r *renderer) raw(data string) {
	var head struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal([]byte(data), &head) // a non-JSON raw event is allowed on purpose
	r.events = append(r.events, sseEvent{typ: head.Type, data: []byte(data)})
}

func (r *renderer) reasoning(seg segment) {
	idx := len(r.output)
	r.emit("response.output_item.added", obj{
		"output_index": idx,
		"item":         obj{"id": seg.id, "type": "reasoning", "summary": []any{}},
	})
	summary := []any{}
	if seg.text != "" {
		part := obj{"type": "summary_text", "text": seg.text}
		r.emit("response.reasoning_summary_part.added", obj{
			"item_id": seg.id, "output_index": idx, "summary_index": 0,
			"part": obj{"type": "summary_text", "text": ""},
		})
		for _, c := range chunks(seg.text) {
			r.emit("response.reasoning_summary_text.delta", obj{
				"item_id": seg.id, "output_index": idx, "summary_index": 0, "delta": c,
			})
		}
		r.emit("response.reasoning_summary_text.done", obj{
			"item_id": seg.id, "output_index": idx, "summary_index": 0, "text": seg.text,
		})
		r.emit("response.reasoning_summary_part.done", obj{
			"item_id": seg.id, "output_index": idx, "summary_index": 0, "part": part,
		})
		summary = append(summary, part)
	}
	item := obj{"id": seg.id, "type": "reasoning", "summary": summary, "encrypted_content": nil}
	if seg.encrypted != "" {
		item["encrypted_content"] = seg.encrypted
	}
	r.finish(idx, item)
}

func (r *renderer) message(seg segment) {
	idx := len(r.output)
	r.emit("response.output_item.added", obj{
		"output_index": idx,
		"item": obj{
			"id": seg.id, "type": "message", "role": "assistant", "status": "in_progress", "content": []any{},
		},
	})
	r.emit("response.content_part.added", obj{
		"item_id": seg.id, "output_index": idx, "content_index": 0,
		"part": obj{"type": "output_text", "text": "", "annotations": []any{}},
	})
	for _, c := range chunks(seg.text) {
		r.emit("response.output_text.delta", obj{
			"item_id": seg.id, "output_index": idx, "content_index": 0, "delta": c, "logprobs": []any{},
		})
	}
	r.emit("response.output_text.done", obj{
		"item_id": seg.id, "output_index": idx, "content_index": 0, "text": seg.text, "logprobs": []any{},
	})
	for i, a := range seg.annotations {
		r.emit("response.output_text.annotation.added", obj{
			"item_id": seg.id, "output_index": idx, "content_index": 0, "annotation_index": i, "annotation": a,
		})
	}
	part := obj{"type": "output_text", "text": seg.text, "annotations": annotationsOf(seg), "logprobs": []any{}}
	r.emit("response.content_part.done", obj{
		"item_id": seg.id, "output_index": idx, "content_index": 0, "part": part,
	})
	r.finish(idx, obj{
		"id": seg.id, "type": "message", "role": "assistant", "status": "completed", "content": []any{part},
	})
}

// refusal is a message whose content is one refusal part, as the
// Responses API streams a model's refusal.
func (r *renderer) refusal(seg segment) {
	idx := len(r.output)
	r.emit("response.output_item.added", obj{
		"output_index": idx,
		"item": obj{
			"id": seg.id, "type": "message", "role": "assistant", "status": "in_progress", "content": []any{},
		},
	})
	r.emit("response.content_part.added", obj{
		"item_id": seg.id, "output_index": idx, "content_index": 0,
		"part": obj{"type": "refusal", "refusal": ""},
	})
	for _, c := range chunks(seg.text) {
		r.emit("response.refusal.delta", obj{"item_id": seg.id, "output_index": idx, "content_index": 0, "delta": c})
	}
	r.emit("response.refusal.done", obj{"item_id": seg.id, "output_index": idx, "content_index": 0, "refusal": seg.text})
	part := obj{"type": "refusal", "refusal": seg.text}
	r.emit("response.content_part.done", obj{"item_id": seg.id, "output_index": idx, "content_index": 0, "part": part})
	r.finish(idx, obj{
		"id": seg.id, "type": "message", "role": "assistant", "status": "completed", "content": []any{part},
	})
}

func (r *renderer) call(seg segment) {
	idx := len(r.output)
	r.emit("response.output_item.added", obj{
		"output_index": idx,
		"item": obj{
			"id": seg.id, "type": "function_call", "call_id": seg.callID, "name": seg.name,
			"arguments": "", "status": "in_progress",
		},
	})
	for _, c := range chunks(seg.text) {
		r.emit("response.function_call_arguments.delta", obj{"item_id": seg.id, "output_index": idx, "delta": c})
	}
	r.emit("response.function_call_arguments.done", obj{
		"item_id": seg.id, "output_index": idx, "name": seg.name, "arguments": seg.text,
	})
	r.finish(idx, obj{
		"id": seg.id, "type": "function_call", "call_id": seg.callID, "name": seg.name,
		"arguments": seg.text, "status": "completed",
	})
}

// finish sends output_item.done and keeps the item for the terminal event.
func (r *renderer) finish(idx int, item obj) {
	r.emit("response.output_item.done", obj{"output_index": idx, "item": item})
	r.output = append(r.output, item)
}

// chunks splits s into pieces of at most chunkRunes runes, never inside a
// UTF-8 sequence. An empty s has no chunks.
func chunks(s string) []string {
	var out []string
	runes := 0
	start := 0
	for i := range s {
		if runes == chunkRunes {
			out = append(out, s[start:i])
			start, runes = i, 0
		}
		runes++
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
