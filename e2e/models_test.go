package e2e

import (
	"slices"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

type modelsResult struct {
	Models []struct {
		ID    string `json:"id"`
		Label string `json:"label"`
	} `json:"models"`
	Default string `json:"default"`
}

func ids(r modelsResult) []string {
	var out []string
	for _, m := range r.Models {
		out = append(out, m.ID)
	}
	return out
}

func TestModelsOAuthLiveCatalog(t *testing.T) {
	fake := upstreamtest.New()
	defer fake.Close()
	fake.SetCodexModels("gpt-5.5", "gpt-5.4-mini")
	_, p, _ := oauthServer(t, opts{fake: fake})
	var r modelsResult
	p.ok("models", map[string]any{}, &r)
	if !slices.Equal(ids(r), []string{"gpt-5.5", "gpt-5.4-mini"}) || r.Default != "gpt-5.5" {
		t.Errorf("models %+v", r)
	}
}

func TestModelsOAuthBuiltIn(t *testing.T) {
	_, p, _ := oauthServer(t, opts{}) // the fake serves no catalog: 404
	var r modelsResult
	p.ok("models", map[string]any{}, &r)
	got := ids(r)
	if len(got) < 3 || !slices.Contains(got, r.Default) || !slices.Contains(got, "gpt-5.5") {
		t.Errorf("built-in models %v default %q", got, r.Default)
	}
}

func TestModelsAPIKeyFiltered(t *testing.T) {
	fake := upstreamtest.New()
	defer fake.Close()
	fake.SetAPIKey("sk-m")
	fake.SetAPIModels("gpt-5.4", "whisper-1", "gpt-4o-realtime-preview", "dall-e-3", "o3", "text-embedding-3-small")
	p := start(t, opts{fake: fake, env: []string{"OPENAI_API_KEY=sk-m"}})
	p.initialize(false)
	var r modelsResult
	p.ok("models", map[string]any{}, &r)
	if !slices.Equal(ids(r), []string{"gpt-5.4", "o3"}) || r.Default != "gpt-5.4" {
		t.Errorf("models %+v", r)
	}
}

func TestModelsNotLoggedIn(t *testing.T) {
	p := start(t, opts{})
	p.initialize(false)
	p.fails("models", map[string]any{}, -32000)
}
