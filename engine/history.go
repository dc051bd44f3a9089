package engine

import (
	"encoding/json"
	"fmt"

	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
)

// ItemKind says what a history item is. The values are stored in session
// files: never change one, add new ones.
type ItemKind string

// History item kinds.
const (
	ItemUser      ItemKind = "user"      // the user's message: Text
	ItemAssistant ItemKind = "assistant" // the model's text: Text
	ItemReasoning ItemKind = "reasoning" // Summary and Encrypted
	ItemCall      ItemKind = "call"      // a function call: CallID, Name, Arguments
	ItemOutput    ItemKind = "output"    // a call's output: CallID, Name, Text, OK
	// ItemCompaction stands for earlier items the Responses API compacted:
	// Encrypted.
	ItemCompaction ItemKind = "compaction"
)

// Item is one entry of a session's history, in the shape it is stored.
// Nothing is stored upstream (store: false), so every request carries the
// whole history, reasoning included.
type Item struct {
	Kind ItemKind `json:"kind"`
	// Text is the user's or the model's text, or a call's output.
	Text string `json:"text,omitempty"`
	// Summary and Encrypted are a reasoning item's summary parts and its
	// encrypted content, which is what lets it be sent back.
	Summary   []string `json:"summary,omitempty"`
	Encrypted string   `json:"encrypted,omitempty"`
	// CallID, Name and Arguments (the model's JSON text) name a call; an
	// output repeats CallID and Name.
	CallID    string `json:"callId,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
	// OK says whether a call's output is a success.
	OK bool `json:"ok,omitempty"`
	// Custom marks a call of a custom (freeform) tool and its output:
	// Arguments is then the tool's free-text input (nativeitems.go).
	Custom bool `json:"custom,omitempty"`
	// Image is an output that is an image (view_image), as a data: URL;
	// Text then describes it for the editor.
	Image string `json:"image,omitempty"`
	// ID is the service's id of a reasoning item, a call or an assistant
	// message (rs_…, fc_…, msg_…), and Phase an assistant message's phase:
	// the ChatGPT branch sends them back as the official client does.
	ID    string `json:"id,omitempty"`
	Phase string `json:"phase,omitempty"`
	// Images are images a call's output carries (an MCP tool's), as data
	// URLs: the output then goes as text and input_image parts.
	Images []string `json:"images,omitempty"`

	// opens is the id of the turn this user message opened (in memory
	// only): a Lite request follows it with the turn's settings.
	opens string

	// wireCodex is the item as the ChatGPT branch sends it (with its ids),
	// made once like wire.
	wireCodex []byte

	// wire is the item encoded as a request's input item, once: a long
	// session's requests then cost a copy of each item, not an encoding.
	wire []byte
}

// Check says what makes an item unusable in a request, or nil.
func (it Item) Check() error {
	switch it.Kind {
	case ItemUser, ItemAssistant:
		return nil
	case ItemReasoning:
		if it.Encrypted == "" {
			return fmt.Errorf("a reasoning item has no encrypted content")
		}
	case ItemCompaction:
		if it.Encrypted == "" {
			return fmt.Errorf("a compaction item has no encrypted content")
		}
	case ItemCall, ItemOutput:
		if it.CallID == "" {
			return fmt.Errorf("a %s item has no callId", it.Kind)
		}
	default:
		return fmt.Errorf("unknown history item kind %q", it.Kind)
	}
	return nil
}

// inputItems turns a history into the Responses API's input list. Server ids
// (rs_…, fc_…, msg_…) are never sent: with store false they name nothing.
func inputItems(history []Item) responses.ResponseInputParam {
	in := make(responses.ResponseInputParam, 0, len(history))
	for _, it := range history {
		switch it.Kind {
		case ItemUser:
			if len(it.Images) > 0 {
				in = append(in, userWithImages(it))
				continue
			}
			in = append(in, TypedMessage("user", it.Text))
		case ItemAssistant:
			in = append(in, assistantMessage(it.Text))
		case ItemReasoning:
			in = append(in, reasoningParam(it))
		case ItemCall:
			if it.Custom {
				in = append(in, customCallParam(it.CallID, it.Name, it.Arguments))
				continue
			}
			in = append(in, responses.ResponseInputItemParamOfFunctionCall(it.Arguments, it.CallID, it.Name))
		case ItemOutput:
			if it.Custom {
				in = append(in, customOutputParam(it.CallID, it.Text))
				continue
			}
			if it.Image != "" {
				in = append(in, imageOutputParam(it.CallID, it.Image))
				continue
			}
			if len(it.Images) > 0 {
				in = append(in, outputWithImages(it))
				continue
			}
			out := responses.ResponseInputItemParamOfFunctionCallOutput(it.Text)
			// openai-go leaves call_id unset here: it must be set by hand.
			out.OfFunctionCallOutput.CallID = param.NewOpt(it.CallID)
			in = append(in, out)
		case ItemCompaction:
			in = append(in, responses.ResponseInputItemUnionParam{OfCompaction: &responses.ResponseCompactionItemParam{EncryptedContent: it.Encrypted}})
		}
	}
	return in
}

// inputParam is the input list of a request. Each item is encoded once and
// kept in the history (items are never changed once made), so a request
// of a long session is a copy of bytes rather than an encoding of every
// item through openai-go's reflection; splitBody copies them straight into
// the request body.
func inputParam(history []Item) responses.ResponseNewParamsInputUnion {
	for i := range history {
		if history[i].wire == nil {
			history[i].wire = encodeItem(history[i])
		}
	}
	return param.Override[responses.ResponseNewParamsInputUnion](inputList(history))
}

// inputList is a history whose items carry their encoding.
type inputList []Item

// MarshalJSON is the input list as openai-go would encode it.
func (l inputList) MarshalJSON() ([]byte, error) { return l.appendTo(nil), nil }

func (l inputList) size() int {
	n := 2
	for i := range l {
		n += len(l[i].wire) + 1
	}
	return n
}

func (l inputList) appendTo(buf []byte) []byte {
	buf = append(buf, '[')
	first := true
	for i := range l {
		if len(l[i].wire) == 0 {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, l[i].wire...)
	}
	return append(buf, ']')
}

// encodeItem encodes one item as openai-go would in a list; an item of no
// known kind encodes to nothing and is left out.
func encodeItem(it Item) []byte {
	in := inputItems([]Item{it})
	if len(in) == 0 {
		return []byte{}
	}
	// openai-go's own encoder, without encoding/json's second pass.
	b, err := in[0].MarshalJSON()
	if err != nil || !json.Valid(b) {
		return []byte{}
	}
	return b
}

// reasoningParam replays a reasoning item by its encrypted content, without
// the server id openai-go's typed param would require.
func reasoningParam(it Item) responses.ResponseInputItemUnionParam {
	summary := make([]map[string]any, 0, len(it.Summary))
	for _, s := range it.Summary {
		summary = append(summary, map[string]any{"type": "summary_text", "text": s})
	}
	raw := map[string]any{"type": "reasoning", "summary": summary}
	if it.Encrypted != "" {
		raw["encrypted_content"] = it.Encrypted
	}
	r := param.Override[responses.ResponseReasoningItemParam](raw)
	return responses.ResponseInputItemUnionParam{OfReasoning: &r}
}

// repair gives every function call of a history an output, so that the next
// request is valid after a turn was cut short (or a process died in one).
func repair(history []Item, why string) []Item {
	answered := map[string]bool{}
	for _, it := range history {
		if it.Kind == ItemOutput {
			answered[it.CallID] = true
		}
	}
	missing := false
	for _, it := range history {
		if it.Kind == ItemCall && !answered[it.CallID] {
			missing = true
			break
		}
	}
	if !missing {
		return history
	}
	out := make([]Item, 0, len(history)+1)
	for _, it := range history {
		out = append(out, it)
		if it.Kind == ItemCall && !answered[it.CallID] {
			out = append(out, Item{Kind: ItemOutput, CallID: it.CallID, Name: it.Name, Text: why, Custom: it.Custom})
			answered[it.CallID] = true
		}
	}
	return out
}

// codexWire is the item as the ChatGPT branch replays it: as the official
// client does, a reasoning item, a call and an assistant message carry the
// service's id (and a call its status, a message its phase). The public API
// is sent no ids: with store false they name nothing there.
func (it *Item) codexWire() []byte {
	if it.wireCodex != nil {
		return it.wireCodex
	}
	if it.wire == nil {
		it.wire = encodeItem(*it)
	}
	var v map[string]any
	switch {
	case it.ID == "":
	case it.Kind == ItemReasoning:
		summary := make([]map[string]any, 0, len(it.Summary))
		for _, s := range it.Summary {
			summary = append(summary, map[string]any{"type": "summary_text", "text": s})
		}
		v = map[string]any{"type": "reasoning", "id": it.ID, "summary": summary, "content": nil, "encrypted_content": it.Encrypted}
	case it.Kind == ItemCall && it.Custom:
		v = map[string]any{"type": "custom_tool_call", "status": "completed", "id": it.ID, "name": it.Name, "input": it.Arguments, "call_id": it.CallID}
	case it.Kind == ItemCall:
		v = map[string]any{"type": "function_call", "status": "completed", "id": it.ID, "name": it.Name, "arguments": it.Arguments, "call_id": it.CallID}
	case it.Kind == ItemAssistant:
		v = map[string]any{"type": "message", "role": "assistant", "id": it.ID,
			"content": []map[string]any{{"type": "output_text", "text": it.Text}}}
		if it.Phase != "" {
			v["phase"] = it.Phase
		}
	}
	it.wireCodex = it.wire
	if v != nil {
		if b, err := json.Marshal(v); err == nil {
			it.wireCodex = b
		}
	}
	return it.wireCodex
}
