package engine

import (
	"bytes"
	"encoding/json"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
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
