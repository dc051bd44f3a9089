package engine

import (
	"context"
	"encoding/json"
	"errors"
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
	// DefaultEffort is the effort a chat that names none runs with (the
	// catalog entry's default); ContextWindow its window in tokens (0:
	// unknown); Tools the kind of tools deckhand gives it ("classic").
	DefaultEffort string
	ContextWindow int64
	Tools         string
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

// efforts deckhand's chat accepts, in order.
var chatEfforts = []string{"low", "medium", "high"}

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
	toolLoopModel   = lazyRegexp(`^(gpt-5|gpt-6|gpt-4\.1|o3|o4-mini)`)
	toolLoopExclude = lazyRegexp(`(audio|realtime|image|tts|transcribe|search|chat-latest|instruct)`)
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
	if cred.Type == "oauth" {
		return e.codexCatalog(ctx, cred)
	}
	body, err := e.get(ctx, cred, strings.TrimRight(e.cfg.APIBaseURL, "/")+"/models")
	if ctx.Err() != nil {
		return ModelList{}, ctx.Err()
	}
	l := ModelList{Source: SourceLive}
	if err == nil {
		l.Models = parseAPICatalog(body)
	}
	if len(l.Models) == 0 {
		l.Source = SourceBuiltin
		l.Models = make([]Model, len(apiModels))
		for i, m := range apiModels {
			m.ReasoningEfforts, m.DefaultEffort, m.ContextWindow, m.Tools = chatEfforts, "medium", builtinWindow(m.ID), "classic"
			l.Models[i] = m
		}
	}
	l.Default = l.Models[0].ID
	for _, m := range l.Models {
		if m.ID == DefaultModel {
			l.Default = m.ID
		}
	}
	for i := range l.Models {
		l.Models[i].Default = l.Models[i].ID == l.Default
	}
	return l, nil
}

// codexCatalog lists the ChatGPT branch's models: the catalog's entries a
// picker may show, in priority order, the first the default.
func (e *Engine) codexCatalog(ctx context.Context, cred auth.Credential) (ModelList, error) {
	entries, source, err := e.codexEntries(ctx, cred)
	if err != nil {
		return ModelList{}, err
	}
	l := ModelList{Source: source, Models: listedModels(entries, e.wireVersion())}
	if len(l.Models) == 0 {
		l.Source, l.Models = SourceBuiltin, listedModels(builtinEntries(), e.wireVersion())
	}
	l.Default = l.Models[0].ID
	l.Models[0].Default = true
	return l, nil
}

// listedModels are the entries a picker may show, as it shows them.
func listedModels(entries []CatalogEntry, wire string) []Model {
	var out []Model
	for _, c := range entries {
		if c.listed(wire) {
			out = append(out, c.model())
		}
	}
	return out
}

// defaultModel is the model of a chat that names none: the default the
// last models answer gave for this branch; on the ChatGPT branch, before
// any, the catalog's (asked now), on the API-key branch DefaultModel.
func (e *Engine) defaultModel(ctx context.Context, cred auth.Credential) string {
	e.mu.Lock()
	m := e.defaults[cred.Type]
	e.mu.Unlock()
	if m != "" {
		return m
	}
	if cred.Type != "oauth" {
		return DefaultModel
	}
	l, err := e.codexCatalog(ctx, cred)
	if err != nil || len(l.Models) == 0 {
		return builtinEntries()[0].Slug
	}
	e.mu.Lock()
	e.defaults[cred.Type] = l.Default
	e.mu.Unlock()
	return l.Default
}

// newerThan reports whether a minimal_client_version is above the wire
// version have; an unreadable one is not.
func newerThan(v, have string) bool {
	want, ok := semver(v)
	got, _ := semver(have)
	if !ok {
		return false
	}
	for i := range want {
		if want[i] != got[i] {
			return want[i] > got[i]
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
		if toolLoopModel().MatchString(m.ID) && !toolLoopExclude().MatchString(m.ID) {
			out = append(out, Model{ID: m.ID, ReasoningEfforts: apiEfforts(m.ID), DefaultEffort: apiDefaultEffort(m.ID),
				ContextWindow: builtinWindow(m.ID), Tools: "classic"})
		}
	}
	return out
}

func apiDefaultEffort(id string) string {
	if reasoningModel(id) {
		return "medium"
	}
	return ""
}

func apiEfforts(id string) []string {
	if reasoningModel(id) {
		return chatEfforts
	}
	return nil
}

// ModelNotServedError: the upstream does not serve the model for this
// login (or not to this client). Available lists what it does serve.
type ModelNotServedError struct {
	Model     string
	Available []string
	Detail    string // the upstream's words
	// NewerClient: the service asks for a newer client than the wire
	// version deckhand speaks (WireVersion, when known).
	NewerClient bool
	WireVersion string
}

func (e *ModelNotServedError) Error() string {
	msg := "The model " + strconv.Quote(e.Model) + " is not available with this login"
	if e.NewerClient {
		msg = "The model " + strconv.Quote(e.Model) + " asks for a newer Codex client than deckhand speaks"
		if e.WireVersion != "" {
			msg += " (" + e.WireVersion + "; DECKHAND_WIRE_VERSION raises it)"
		}
	}
	if len(e.Available) > 0 {
		return msg + "; pick one that works, such as " + strings.Join(e.Available, ", ") + "."
	}
	return msg + ": pick another one in the model picker."
}

// explainModel fills in what a ModelNotServedError's login does serve.
func (e *Engine) explainModel(ctx context.Context, cred auth.Credential, err error) error {
	var mns *ModelNotServedError
	if !errors.As(err, &mns) || mns.Available != nil || ctx.Err() != nil {
		return err
	}
	mns.WireVersion = e.wireVersion()
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
