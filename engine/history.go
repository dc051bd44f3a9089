package engine

import (
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
)

// itemKind says what a history item is.
type itemKind int

const (
	itemUser itemKind = iota
	itemAssistant
	itemReasoning
	itemCall
	itemOutput
	itemCompaction // the Responses API's compaction of earlier items
)

// item is one entry of a session's history. Nothing is stored upstream
// (store: false), so every request carries the whole history.
type item struct {
	kind itemKind
	text string // user or assistant text; a call's output

	// reasoning
	summary   []string
	encrypted string

	// calls and their outputs
	callID string
	name   string
	args   string
}

// inputItems turns a history into the Responses API's input list. Server ids
// (rs_…, fc_…, msg_…) are never sent: with store false they name nothing.
func inputItems(history []item) responses.ResponseInputParam {
	in := make(responses.ResponseInputParam, 0, len(history))
	for _, it := range history {
		switch it.kind {
		case itemUser:
			in = append(in, responses.ResponseInputItemParamOfMessage(it.text, responses.EasyInputMessageRoleUser))
		case itemAssistant:
			in = append(in, responses.ResponseInputItemParamOfMessage(it.text, responses.EasyInputMessageRoleAssistant))
		case itemReasoning:
			in = append(in, reasoningParam(it))
		case itemCall:
			in = append(in, responses.ResponseInputItemParamOfFunctionCall(it.args, it.callID, it.name))
		case itemOutput:
			out := responses.ResponseInputItemParamOfFunctionCallOutput(it.text)
			// openai-go leaves call_id unset here: it must be set by hand.
			out.OfFunctionCallOutput.CallID = param.NewOpt(it.callID)
			in = append(in, out)
		case itemCompaction:
			in = append(in, responses.ResponseInputItemUnionParam{OfCompaction: &responses.ResponseCompactionItemParam{EncryptedContent: it.encrypted}})
		}
	}
	return in
}

// reasoningParam replays a reasoning item by its encrypted content, without
// the server id openai-go's typed param would require.
func reasoningParam(it item) responses.ResponseInputItemUnionParam {
	summary := make([]map[string]any, 0, len(it.summary))
	for _, s := range it.summary {
		summary = append(summary, map[string]any{"type": "summary_text", "text": s})
	}
	raw := map[string]any{"type": "reasoning", "summary": summary}
	if it.encrypted != "" {
		raw["encrypted_content"] = it.encrypted
	}
	r := param.Override[responses.ResponseReasoningItemParam](raw)
	return responses.ResponseInputItemUnionParam{OfReasoning: &r}
}

// repair gives every function call of a history an output, so that the next
// request is valid after a turn was cut short.
func repair(history []item, why string) []item {
	answered := map[string]bool{}
	for _, it := range history {
		if it.kind == itemOutput {
			answered[it.callID] = true
		}
	}
	out := make([]item, 0, len(history))
	for _, it := range history {
		out = append(out, it)
		if it.kind == itemCall && !answered[it.callID] {
			out = append(out, item{kind: itemOutput, callID: it.callID, name: it.name, text: why})
			answered[it.callID] = true
		}
	}
	return out
}
