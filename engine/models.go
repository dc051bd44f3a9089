package engine

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/deckhand-dev/deckhand/auth"
)

// Model is one model a user can pick.
type Model struct{ ID, Label string }

// codexModels is the built-in list of Codex-capable models for a ChatGPT
// login, used when the backend serves no catalog. Names churn; the backend's
// own catalog wins when it answers.
var codexModels = []Model{
	{"gpt-5.5", "GPT-5.5"},
	{"gpt-5.4", "GPT-5.4"},
	{"gpt-5.4-mini", "GPT-5.4 mini"},
	{"gpt-5.3-codex", "GPT-5.3 Codex"},
	{"gpt-5.1-codex-max", "GPT-5.1 Codex Max"},
}

// apiModels is the built-in list for an API key.
var apiModels = []Model{
	{"gpt-5.5", "GPT-5.5"},
	{"gpt-5.4", "GPT-5.4"},
	{"gpt-5.4-mini", "GPT-5.4 mini"},
	{"gpt-5.1-codex-max", "GPT-5.1 Codex Max"},
}

// toolLoopModel matches the API models that can run deckhand's tool loop
// (Responses API with function calling), and toolLoopExclude the variants
// that cannot.
var (
	toolLoopModel   = regexp.MustCompile(`^(gpt-5|gpt-4\.1|o3|o4-mini)`)
	toolLoopExclude = regexp.MustCompile(`(audio|realtime|image|tts|transcribe|search|chat-latest|instruct)`)
)

// Models lists the models of the current login's branch: the live catalog
// when the upstream serves one, else a built-in list.
func (e *Engine) Models(ctx context.Context) ([]Model, string, error) {
	cred, err := e.credential(ctx)
	if err != nil {
		return nil, "", err
	}
	url, parse, builtIn := strings.TrimRight(e.cfg.APIBaseURL, "/")+"/models", parseAPICatalog, apiModels
	if cred.Type == "oauth" {
		url, parse, builtIn = strings.TrimRight(e.cfg.CodexBaseURL, "/")+"/models?client_version="+e.cfg.Version, parseCodexCatalog, codexModels
	}
	body, err := e.get(ctx, cred, url)
	if ctx.Err() != nil {
		return nil, "", ctx.Err()
	}
	if cred.Type == "oauth" {
		e.windows.note(body)
	}
	list := parse(body)
	if err != nil || len(list) == 0 {
		list = builtIn
	}
	def := pickDefault(list)
	e.mu.Lock()
	e.defaults[cred.Type] = def
	e.mu.Unlock()
	return list, def, nil
}

// defaultModel is the model of a chat that names none: the default the
// last models answer gave for this branch, else DefaultModel.
func (e *Engine) defaultModel(cred auth.Credential) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m := e.defaults[cred.Type]; m != "" {
		return m
	}
	return DefaultModel
}

func pickDefault(list []Model) string {
	for _, m := range list {
		if m.ID == DefaultModel {
			return m.ID
		}
	}
	return list[0].ID
}

// parseCodexCatalog reads {"models":[{"slug","display_name"} or {"id"}]}.
func parseCodexCatalog(body []byte) []Model {
	var cat struct {
		Models []struct {
			Slug        string `json:"slug"`
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
		} `json:"models"`
	}
	if json.Unmarshal(body, &cat) != nil {
		return nil
	}
	var out []Model
	for _, m := range cat.Models {
		id := firstNonEmpty(m.Slug, m.ID)
		if id != "" {
			out = append(out, Model{ID: id, Label: m.DisplayName})
		}
	}
	return out
}

// parseAPICatalog reads {"data":[{"id"}]} and keeps the tool-loop models.
func parseAPICatalog(body []byte) []Model {
	var cat struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &cat) != nil {
		return nil
	}
	var out []Model
	for _, m := range cat.Data {
		if toolLoopModel.MatchString(m.ID) && !toolLoopExclude.MatchString(m.ID) {
			out = append(out, Model{ID: m.ID})
		}
	}
	return out
}
