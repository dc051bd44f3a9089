package engine

import (
	"context"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// A chat that names no model, before any models call, runs on the live
// catalog's default, asked then, with the entry's default effort.
func TestDefaultModelIsTheLiveCatalogs(t *testing.T) {
	e, fake := testEngine(t)
	fake.SetCodexCatalog([]upstreamtest.CatalogModel{
		{Slug: "gpt-6-luna", Visibility: "list", Priority: 1, MinimalClientVersion: "0.1.0", DefaultReasoning: "high", Lite: true},
		{Slug: "gpt-5.5", Visibility: "list", Priority: 2, MinimalClientVersion: "0.1.0"},
	})
	fake.PushCodex(upstreamtest.Text("hi"))
	if _, err := e.Chat(context.Background(), ChatRequest{Message: "hello"}); err != nil {
		t.Fatal(err)
	}
	body := fake.RequestsTo(upstreamtest.PathCodexResponses)[0].JSON()
	reasoning, _ := body["reasoning"].(map[string]any)
	if body["model"] != "gpt-6-luna" || reasoning["effort"] != "high" {
		t.Errorf("model %v, reasoning %v: want the live catalog's default and its effort", body["model"], reasoning)
	}
}
