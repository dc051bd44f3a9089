package engine

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// The body sent with the history spliced in is the body openai-go would
// encode from the typed items.
func TestSplitBodySendsWhatOpenAIGoWould(t *testing.T) {
	h := longHistory(1)
	h = append(h, Item{Kind: ItemUser, Text: `"input":"\u0000deckhand-input\u0000" in a message`})
	typed := responses.ResponseNewParams{
		Model:        shared.ResponsesModel("gpt-5.5"),
		Instructions: param.NewOpt("be brief"),
		Input:        responses.ResponseNewParamsInputUnion{OfInputItemList: inputItems(h)},
		Store:        param.NewOpt(false),
	}
	want, err := json.Marshal(typed)
	if err != nil {
		t.Fatal(err)
	}
	fast := typed
	fast.Input = inputParam(h)
	// Encoded whole by openai-go (as anything that inspects params does),
	// the cached input is the same too.
	whole, err := json.Marshal(fast)
	if err != nil {
		t.Fatal(err)
	}
	var w0, w1 any
	json.Unmarshal(want, &w0)
	json.Unmarshal(whole, &w1)
	if !reflect.DeepEqual(w0, w1) {
		t.Errorf("openai-go's encoding of the cached input differs:\n%s", whole)
	}
	light, opts := splitBody(fast)
	if len(opts) != 1 {
		t.Fatal("the params were not split")
	}
	if b, _ := json.Marshal(light); len(b) > 200 {
		t.Errorf("openai-go still encodes the history: %d bytes", len(b))
	}
	got := bodyOf(t, opts[0])
	var a, b any
	json.Unmarshal(want, &a)
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatalf("spliced body is not JSON: %v\n%s", err, got)
	}
	if b.(map[string]any)["stream"] != true {
		t.Error("the streaming request lost stream: true")
	}
	delete(b.(map[string]any), "stream") // NewStreaming's own addition
	if !reflect.DeepEqual(a, b) {
		t.Errorf("spliced body\n%s\nwant\n%s", got, want)
	}
}

var errStop = errors.New("stop here")

// bodyOf applies a request option to a fresh request and reads its body.
func bodyOf(t *testing.T, opt option.RequestOption) []byte {
	t.Helper()
	var body []byte
	svc := responses.NewResponseService(option.WithBaseURL("http://127.0.0.1:1"), option.WithMaxRetries(0),
		option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			body, _ = io.ReadAll(req.Body)
			return nil, errStop
		}))
	svc.NewStreaming(t.Context(), responses.ResponseNewParams{}, opt).Close()
	return body
}
