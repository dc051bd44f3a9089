package engine

import (
	"bytes"
	"encoding/json"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// inputMark stands for the input list while the rest of a request is
// encoded; inside a JSON string a quote is always escaped, so the marked
// member cannot occur anywhere but where the input goes.
const inputMark = `"\u0000deckhand-input\u0000"`

// splitBody encodes a request whose input inputParam made with one copy of
// the items' bytes: openai-go would compact and copy a
// multi-megabyte input several times per request. It returns the params to
// hand openai-go (with a token input, cheap to encode) and the option that
// sends the real body; params it cannot split are returned as they are.
func splitBody(p responses.ResponseNewParams) (responses.ResponseNewParams, []option.RequestOption) {
	ovr, ok := p.Input.Overrides()
	if !ok {
		return p, nil
	}
	input, ok := ovr.(inputList)
	if !ok {
		return p, nil
	}
	light := p
	light.Input = param.Override[responses.ResponseNewParamsInputUnion](json.RawMessage(inputMark))
	head, err := json.Marshal(light)
	if err != nil {
		return p, nil
	}
	at := bytes.Index(head, []byte(inputMark))
	if at < 0 || bytes.Contains(head[at+len(inputMark):], []byte(inputMark)) {
		return p, nil
	}
	body := make([]byte, 0, len(head)+input.size())
	body = append(body, head[:at]...)
	body = input.appendTo(body)
	body = append(body, head[at+len(inputMark):]...)
	return light, []option.RequestOption{option.WithRequestBody("application/json", body)}
}

// Each model's own request. On the ChatGPT branch the model's catalog entry
// decides the request's shape: the Responses Lite contract where the entry
// says use_responses_lite (the Lite header; no top-level tools or
// instructions; the tools in an additional_tools item first in the input;
// a configuration_update item with the turn's effort after the user's
// message; parallel_tool_calls false; reasoning.context "all_turns"), the
// standard request otherwise. On both the base prompt is the first
// developer message: the entry's instructions_template, or deckhand's own
// where the entry has none. The API-key branch sends the standard request
// with deckhand's prompt as top-level instructions.

// headerLite marks a Responses Lite request.
const headerLite = "x-openai-internal-codex-responses-lite"

// headerBeta names the beta features a ChatGPT request uses; compaction
// by trigger is one.
const (
	headerBeta  = "x-codex-beta-features"
	betaCompact = "remote_compaction_v2"
)

// toolDefs are the tool definitions a model is given: the tools its
// catalog entry names (nativeturn.go), and the hosted web search.
// The names are remembered: a call of any other tool is refused
// (offered.go).
func (t *turn) toolDefs() []responses.ToolUnionParam {
	list, mcpDefs := t.toolList(), t.mcpToolDefs()
	t.offered.remember(list, mcpDefs, t.native(), codeMode(t.entry))
	if codeMode(t.entry) { // the tools nested in exec (codemode.go)
		return codeModeDefs(list, mcpDefs)
	}
	return append(declareTools(list, t.webSearch()), mcpDefs...)
}

// placeTools puts defs where the request carries them: top-level, or for a
// Lite request inside the additional_tools item it returns (in the
// namespace "functions", as the official client names its own), which goes
// first in the input.
func placeTools(p *responses.ResponseNewParams, lite bool, defs []responses.ToolUnionParam) (first []Item) {
	if !lite {
		p.Tools = defs
		return nil
	}
	p.Tools = nil
	return []Item{rawItem(map[string]any{
		"type": "additional_tools",
		"role": "developer",
		"tools": []any{map[string]any{
			"type": "namespace", "name": "functions", "description": "", "tools": defs,
		}},
	})}
}

// rawItem is an input item of the request only (never of the history),
// encoded once.
func rawItem(v any) Item {
	b, err := json.Marshal(v)
	if err != nil || !json.Valid(b) {
		return Item{wire: []byte{}}
	}
	return Item{wire: b}
}

// developerItem is a developer message of the request only.
func developerItem(text string) Item {
	b, err := TypedMessage("developer", text).MarshalJSON()
	if err != nil {
		return Item{wire: []byte{}}
	}
	return Item{wire: b}
}

// lite says whether the turn's requests follow the Responses Lite
// contract: a ChatGPT login and an entry that asks for it.
func (t *turn) lite() bool { return t.codex && t.entry.UseResponsesLite }

// basePrompt is the turn's base prompt: the entry's template, else
// deckhand's own.
func (t *turn) basePrompt() string {
	if t.entry.InstructionsTemplate != "" {
		return t.entry.InstructionsTemplate
	}
	return instructions(t.s.root, t.e.tools)
}

// requestParams builds the body of one request: the history, and for a
// compaction the trigger item after it.
func (t *turn) requestParams(history []Item, trigger bool) responses.ResponseNewParams {
	p := responses.ResponseNewParams{
		Model:          shared.ResponsesModel(t.model),
		ToolChoice:     responses.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: param.NewOpt(responses.ToolChoiceOptionsAuto)},
		Store:          param.NewOpt(false),
		PromptCacheKey: param.NewOpt(t.s.ID),
	}
	if reasoningModel(t.model) {
		// Nothing is stored upstream: the reasoning comes back encrypted
		// and goes out again with the history.
		p.Include = []responses.ResponseIncludable{responses.ResponseIncludableReasoningEncryptedContent}
		p.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffort(t.effort), Summary: shared.ReasoningSummaryAuto}
	}
	first := placeTools(&p, t.lite(), t.toolDefs())
	if !t.codex {
		p.Instructions = param.NewOpt(t.basePrompt())
		p.ParallelToolCalls = param.NewOpt(true)
	} else {
		if t.prefix == nil {
			t.prefix = append(first, developerItem(t.basePrompt()))
			if t.entry.InstructionsTemplate != "" && !t.native() {
				// The entry's prompt speaks of the official client's
				// tools: deckhand's says which ones this request has.
				t.prefix = append(t.prefix, developerItem(instructions(t.s.root, t.e.tools)))
			}
		}
		if v := t.entry.DefaultVerbosity; v != "" {
			p.Text = responses.ResponseTextConfigParam{Verbosity: responses.ResponseTextConfigVerbosity(v)}
		}
		parallel := true
		if t.entry.ParallelToolCalls != nil {
			parallel = *t.entry.ParallelToolCalls
		}
		if t.lite() {
			parallel = false
			p.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffort(t.effort)}
			p.Reasoning.SetExtraFields(map[string]any{"context": "all_turns"})
		}
		p.ParallelToolCalls = param.NewOpt(parallel)
	}

	inputParam(history) // encodes the items not encoded yet, in the history
	list := make(inputList, 0, len(t.prefix)+len(history)+2)
	if t.codex {
		list = append(list, t.prefix...)
	}
	for i := range history {
		it := history[i]
		if t.codex {
			it.wire = history[i].codexWire() // kept in the history, made once
		}
		list = append(list, it)
		if t.lite() && it.opens != "" && it.opens == t.id {
			list = append(list, rawItem(map[string]any{
				"type": "configuration_update", "reasoning": map[string]any{"effort": t.effort},
			}))
		}
	}
	if trigger {
		list = append(list, triggerItem)
	}
	p.Input = param.Override[responses.ResponseNewParamsInputUnion](list)
	return p
}

// triggerItem asks the model for a compaction of the input before it (its
// wire form written out: nothing to encode at start-up).
var triggerItem = Item{wire: []byte(`{"type":"compaction_trigger"}`)}

// requestOptions are the headers of the turn's requests beyond identity:
// on the ChatGPT branch the Lite header where the entry asks for it, and
// the beta feature compaction by trigger uses.
func (t *turn) requestOptions() []option.RequestOption {
	if !t.codex {
		return nil
	}
	opts := []option.RequestOption{option.WithHeader(headerBeta, betaCompact)}
	if t.lite() {
		opts = append(opts, option.WithHeader(headerLite, "true"))
	}
	return opts
}
