package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

type modelsResult struct {
	Models []struct {
		ID               string   `json:"id"`
		Label            string   `json:"label"`
		Default          bool     `json:"default"`
		ReasoningEfforts []string `json:"reasoningEfforts"`
		// 1.2
		Tools                  string `json:"tools"`
		DefaultReasoningEffort string `json:"defaultReasoningEffort"`
		ContextWindow          int64  `json:"contextWindow"`
	} `json:"models"`
	Default string `json:"default"`
	Source  string `json:"source"`
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
	fake := upstreamtest.New()
	defer fake.Close()
	fake.SetCodexModels() // no catalog: 404
	_, p, _ := oauthServer(t, opts{fake: fake})
	var r modelsResult
	p.ok("models", map[string]any{}, &r)
	got := ids(r)
	if len(got) != 11 || got[0] != "gpt-6.2-sol" || r.Default != "gpt-6.2-sol" || r.Source != "builtin" || !r.Models[0].Default {
		t.Errorf("built-in models %v default %q source %q", got, r.Default, r.Source)
	}
}

// The reference catalog, live: visible entries by priority, the first the
// default, hidden ones left out, efforts from the catalog.
func TestModelsOAuthReferenceCatalog(t *testing.T) {
	_, p, _ := oauthServer(t, opts{})
	var r modelsResult
	p.ok("models", map[string]any{}, &r)
	got := ids(r)
	if r.Source != "live" || r.Default != "gpt-6.2-sol" || len(got) != 11 || got[10] != "gpt-5.5" || slices.Contains(got, "codex-auto-review") {
		t.Errorf("live models %v default %q source %q", got, r.Default, r.Source)
	}
	for _, m := range r.Models {
		if m.Default != (m.ID == r.Default) || len(m.ReasoningEfforts) == 0 || m.Tools != "native" {
			t.Errorf("entry %+v", m)
		}
	}
	// 1.2: each entry's own default effort and window.
	if m := r.Models[0]; m.DefaultReasoningEffort != "low" || m.ContextWindow != 500000 {
		t.Errorf("gpt-6.2-sol: default effort %q, window %d; the catalog says low, 500000", m.DefaultReasoningEffort, m.ContextWindow)
	}
	if m := r.Models[10]; m.DefaultReasoningEffort != "medium" || m.ContextWindow != 272000 {
		t.Errorf("gpt-5.5: default effort %q, window %d", m.DefaultReasoningEffort, m.ContextWindow)
	}
}

// An API key is checked on entry: a refused one is not stored, one that
// cannot be checked is stored with a warning.
func TestConnectChecksTheKey(t *testing.T) {
	fake := upstreamtest.New()
	defer fake.Close()
	fake.SetAPIKey("sk-right")
	p := start(t, opts{fake: fake})
	p.initialize(false)
	e := p.fails("connect", map[string]any{"provider": "openai", "method": "apiKey", "apiKey": "sk-wrong-1"}, -32602)
	if !strings.Contains(e.Message, "OpenAI refused this key") || strings.Contains(e.Message, "sk-wrong-1") {
		t.Errorf("message %q", e.Message)
	}
	if _, err := os.Stat(filepath.Join(p.home, "auth.json")); err == nil {
		t.Errorf("a refused key was written")
	}
	var res struct {
		Status struct {
			Type    string `json:"type"`
			Warning string `json:"warning"`
		} `json:"status"`
	}
	p.ok("connect", map[string]any{"provider": "openai", "method": "apiKey", "apiKey": "sk-right"}, &res)
	if res.Status.Type != "api" || res.Status.Warning != "" {
		t.Errorf("good key: %+v", res.Status)
	}

	offline := start(t, opts{}) // every host a closed port
	offline.initialize(false)
	offline.ok("connect", map[string]any{"provider": "openai", "method": "apiKey", "apiKey": "sk-unchecked"}, &res)
	if res.Status.Type != "api" || !strings.Contains(res.Status.Warning, "not verified") {
		t.Errorf("offline key: %+v", res.Status)
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
