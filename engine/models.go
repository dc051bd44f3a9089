package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/deckhand-dev/deckhand/auth"
)

// Model is one model a user can pick.
type Model struct {
	ID, Label   string
	Description string
	// ReasoningEfforts are the efforts the model takes that a chat may ask
	// for (low, medium, high), in that order; empty when unknown.
	ReasoningEfforts []string
	Default          bool
}

// ModelList is what models answers: the list, its default, and where the
// list came from.
type ModelList struct {
	Models  []Model
	Default string
	Source  string // SourceLive or SourceBuiltin
}

// Where a model list came from.
const (
	SourceLive    = "live"    // the upstream's catalog answered
	SourceBuiltin = "builtin" // it did not: deckhand's own list
)

// CatalogClientVersion is the client_version deckhand asks the ChatGPT
// backend's catalog with: the official CLI release whose traffic deckhand's
// was matched against. Catalog entries name a minimal_client_version (0.98.0
// to 0.166.0 in that release's catalog); asking with deckhand's own version
// (0.x) would be answered without them.
const CatalogClientVersion = "0.171.0"

// efforts deckhand's chat accepts, in order.
var chatEfforts = []string{"low", "medium", "high"}

// codexModels is the built-in list for a ChatGPT login, used when the
// backend's catalog does not answer: the visible entries of the catalog
// bundled with the official CLI 0.171.0, in its priority order. The first
// is the default.
var codexModels = []Model{
	{ID: "gpt-6.2-sol", Label: "GPT-6.2-Sol", Description: "Fast, go-to model for coding and everyday work"},
	{ID: "gpt-6.2-astra", Label: "GPT-6.2-Astra", Description: "Most capable, for complex coding"},
	{ID: "gpt-6.1-terra", Label: "GPT-6.1 Terra", Description: "Efficient, with visual understanding"},
	{ID: "gpt-6.1-sol", Label: "GPT-6.1-Sol", Description: "Previous generation"},
	{ID: "gpt-6-astra", Label: "GPT-6-Astra", Description: "Previous generation"},
	{ID: "gpt-6-sol", Label: "GPT-6-Sol", Description: "Legacy"},
	{ID: "gpt-6-luna", Label: "GPT-6-Luna", Description: "Fast and affordable"},
	{ID: "gpt-5.6-sol", Label: "GPT-5.6-Sol", Description: "Legacy"},
	{ID: "gpt-5.6-terra", Label: "GPT-5.6-Terra", Description: "Legacy"},
	{ID: "gpt-5.6-luna", Label: "GPT-5.6-Luna", Description: "Legacy"},
	{ID: "gpt-5.5", Label: "GPT-5.5", Description: "Legacy coding model"},
}

// apiModels is the built-in list for an API key.
var apiModels = []Model{
	{ID: "gpt-5.5", Label: "GPT-5.5"},
	{ID: "gpt-5.4", Label: "GPT-5.4"},
	{ID: "gpt-5.4-mini", Label: "GPT-5.4 mini"},
	{ID: "gpt-5.1-codex-max", Label: "GPT-5.1 Codex Max"},
}

// toolLoopModel matches the API models that can run deckhand's tool loop
// (Responses API with function calling), and toolLoopExclude the variants
// that cannot.
var (
	toolLoopModel   = regexp.MustCompile(`^(gpt-5|gpt-6|gpt-4\.1|o3|o4-mini)`)
	toolLoopExclude = regexp.MustCompile(`(audio|realtime|image|tts|transcribe|search|chat-latest|instruct)`)
)

// Models lists the models of the current login's branch and its default.
func (e *Engine) Models(ctx context.Context) ([]Model, string, error) {
	l, err := e.ModelCatalog(ctx)
	return l.Models, l.Default, err
}

// ModelCatalog lists the models of the current login's branch: the live
// catalog when the upstream serves one (its visible entries, in its
// priority order), else a built-in list. On the ChatGPT branch the default
// is the first entry; on the API-key branch DefaultModel when listed.
func (e *Engine) ModelCatalog(ctx context.Context) (ModelList, error) {
	cred, err := e.credential(ctx)
	if err != nil {
		return ModelList{}, err
	}
	l, err := e.catalog(ctx, cred)
	if err != nil {
		return ModelList{}, err
	}
	e.mu.Lock()
	e.defaults[cred.Type] = l.Default
	e.mu.Unlock()
	return l, nil
}

// catalog asks the branch of cred for its models.
func (e *Engine) catalog(ctx context.Context, cred auth.Credential) (ModelList, error) {
	u, parse, builtIn := strings.TrimRight(e.cfg.APIBaseURL, "/")+"/models", parseAPICatalog, apiModels
	if cred.Type == "oauth" {
		u = strings.TrimRight(e.cfg.CodexBaseURL, "/") + "/models?client_version=" + url.QueryEscape(CatalogClientVersion)
		parse, builtIn = parseCodexCatalog, codexModels
	}
	body, err := e.get(ctx, cred, u)
	if ctx.Err() != nil {
		return ModelList{}, ctx.Err()
	}
	l := ModelList{Source: SourceLive}
	if err == nil {
		l.Models = parse(body)
		if cred.Type == "oauth" {
			e.windows.note(body) // the context windows it lists
		}
	}
	if len(l.Models) == 0 {
		l.Source = SourceBuiltin
		l.Models = make([]Model, len(builtIn))
		for i, m := range builtIn {
			m.ReasoningEfforts = chatEfforts
			l.Models[i] = m
		}
	}
	l.Default = l.Models[0].ID
	if cred.Type != "oauth" {
		for _, m := range l.Models {
			if m.ID == DefaultModel {
				l.Default = m.ID
			}
		}
	}
	for i := range l.Models {
		l.Models[i].Default = l.Models[i].ID == l.Default
	}
	return l, nil
}

// defaultModel is the model of a chat that names none: the default the
// last models answer gave for this branch; on the ChatGPT branch, before
// any, the first built-in entry; on the API-key branch DefaultModel.
func (e *Engine) defaultModel(cred auth.Credential) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m := e.defaults[cred.Type]; m != "" {
		return m
	}
	if cred.Type == "oauth" {
		return codexModels[0].ID
	}
	return DefaultModel
}

// catalogEntry is one model of the ChatGPT backend's catalog.
type catalogEntry struct {
	Slug                 string          `json:"slug"`
	ID                   string          `json:"id"`
	DisplayName          string          `json:"display_name"`
	Description          string          `json:"description"`
	Visibility           string          `json:"visibility"`
	Priority             json.Number     `json:"priority"`
	MinimalClientVersion string          `json:"minimal_client_version"`
	ReasoningLevels      json.RawMessage `json:"supported_reasoning_levels"`
}

// parseCodexCatalog reads {"models":[…]}: the entries a picker may show
// (visibility "list" or unset, and not asking for a newer client than
// deckhand says it is), by priority.
func parseCodexCatalog(body []byte) []Model {
	var cat struct {
		Models []catalogEntry `json:"models"`
	}
	if json.Unmarshal(body, &cat) != nil {
		return nil
	}
	type ranked struct {
		m    Model
		prio float64
	}
	var list []ranked
	for _, c := range cat.Models {
		id := firstNonEmpty(c.Slug, c.ID)
		if id == "" || (c.Visibility != "" && c.Visibility != "list") || newerThanUs(c.MinimalClientVersion) {
			continue
		}
		prio, err := c.Priority.Float64()
		if err != nil {
			prio = 1e9 // unranked entries after the ranked ones
		}
		list = append(list, ranked{Model{ID: id, Label: c.DisplayName, Description: c.Description,
			ReasoningEfforts: efforts(c.ReasoningLevels)}, prio})
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].prio < list[j].prio })
	out := make([]Model, len(list))
	for i, r := range list {
		out[i] = r.m
	}
	return out
}

// efforts reads supported_reasoning_levels, a list of {"effort": …} or of
// strings, and keeps those a chat may ask for. Unknown or absent: all.
func efforts(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return chatEfforts
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return chatEfforts
	}
	have := map[string]bool{}
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) != nil {
			var obj struct {
				Effort string `json:"effort"`
			}
			_ = json.Unmarshal(it, &obj)
			s = obj.Effort
		}
		have[s] = true
	}
	var out []string
	for _, e := range chatEfforts {
		if have[e] {
			out = append(out, e)
		}
	}
	return out
}

// newerThanUs reports whether a minimal_client_version is above
// CatalogClientVersion; an unreadable one is not.
func newerThanUs(v string) bool {
	want, ok := semver(v)
	have, _ := semver(CatalogClientVersion)
	if !ok {
		return false
	}
	for i := range want {
		if want[i] != have[i] {
			return want[i] > have[i]
		}
	}
	return false
}

func semver(v string) ([3]int, bool) {
	var out [3]int
	parts := strings.SplitN(v, ".", 3)
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
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
			out = append(out, Model{ID: m.ID, ReasoningEfforts: apiEfforts(m.ID)})
		}
	}
	return out
}

func apiEfforts(id string) []string {
	if reasoningModel(id) {
		return chatEfforts
	}
	return nil
}

// ModelNotServedError: the upstream does not serve the model for this
// login. Available lists what it does serve.
type ModelNotServedError struct {
	Model     string
	Available []string
	Detail    string // the upstream's words
}

func (e *ModelNotServedError) Error() string {
	msg := "The model " + strconv.Quote(e.Model) + " is not available with this login"
	if len(e.Available) > 0 {
		msg += "; it serves " + strings.Join(e.Available, ", ")
	}
	return msg + ": pick one of them in the model picker."
}

// explainModel fills in what a ModelNotServedError's login does serve.
func (e *Engine) explainModel(ctx context.Context, cred auth.Credential, err error) error {
	var mns *ModelNotServedError
	if !errors.As(err, &mns) || mns.Available != nil || ctx.Err() != nil {
		return err
	}
	l, lerr := e.catalog(ctx, cred)
	mns.Available = []string{}
	if lerr == nil {
		for _, m := range l.Models {
			if m.ID != mns.Model {
				mns.Available = append(mns.Available, m.ID)
			}
		}
	}
	return err
}
