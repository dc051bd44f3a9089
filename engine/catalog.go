package engine

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/auth"
)

// The ChatGPT backend's model catalog decides how each model is asked: the
// request's shape (Responses Lite or standard), its base prompt, its
// reasoning effort and verbosity, whether calls may run in parallel, its
// context window. The last live catalog is kept on disk with its ETag, so
// that a restart without network still knows every entry; the built-in
// entries stand in only when no catalog was ever had.

// WireVersion is the Codex wire version deckhand implements: the official
// CLI release whose requests deckhand's were matched against. It goes out as
// the catalog's client_version, the `version` header of every ChatGPT
// request and the User-Agent's version. Config.WireVersion overrides it for
// when the service moves on.
const WireVersion = "0.171.0"

// CatalogClientVersion is WireVersion under its older name.
const CatalogClientVersion = WireVersion

// TruncationPolicy is how much of a tool's output the model is given.
type TruncationPolicy struct {
	Mode  string `json:"mode"` // "tokens" or "bytes"
	Limit int64  `json:"limit"`
}

// CatalogEntry is one model of the ChatGPT backend's catalog: every field
// that shapes a request to it.
type CatalogEntry struct {
	Slug                 string   `json:"slug"`
	DisplayName          string   `json:"display_name"`
	Description          string   `json:"description"`
	Visibility           string   `json:"visibility"` // "list" or "hide"
	Priority             float64  `json:"priority"`   // 1 = first
	MinimalClientVersion string   `json:"minimal_client_version"`
	UseResponsesLite     bool     `json:"use_responses_lite"`
	ToolMode             string   `json:"tool_mode"`             // "code_mode_only", or "" for tools as they are
	ShellType            string   `json:"shell_type"`            // "unified_exec", ...
	ApplyPatchToolType   string   `json:"apply_patch_tool_type"` // "freeform", "function" or ""
	WebSearchToolType    string   `json:"web_search_tool_type"`
	DefaultReasoning     string   `json:"default_reasoning_level"`
	ReasoningLevels      []string `json:"supported_reasoning_levels"`
	DefaultVerbosity     string   `json:"default_verbosity"`
	// ParallelToolCalls is supports_parallel_tool_calls; nil when the
	// entry does not say.
	ParallelToolCalls    *bool            `json:"supports_parallel_tool_calls,omitempty"`
	ContextWindow        int64            `json:"context_window"`
	Truncation           TruncationPolicy `json:"truncation_policy"`
	InputModalities      []string         `json:"input_modalities"`
	InstructionsTemplate string           `json:"instructions_template"` // model_messages.instructions_template
}

// rawEntry is an entry as the catalog sends it.
type rawEntry struct {
	CatalogEntry
	ID              string          `json:"id"`
	Priority        json.Number     `json:"priority"`
	ReasoningLevels json.RawMessage `json:"supported_reasoning_levels"`
	ModelMessages   *struct {
		InstructionsTemplate string `json:"instructions_template"`
	} `json:"model_messages"`
}

// parseEntries reads {"models":[…]}: every entry, hidden ones too, in
// priority order (unranked ones last).
func parseEntries(body []byte) []CatalogEntry {
	var cat struct {
		Models []json.RawMessage `json:"models"`
	}
	if json.Unmarshal(body, &cat) != nil {
		return nil
	}
	out := make([]CatalogEntry, 0, len(cat.Models))
	for _, raw := range cat.Models {
		var r rawEntry
		if json.Unmarshal(raw, &r) != nil {
			continue
		}
		c := r.CatalogEntry
		c.Slug = firstNonEmpty(c.Slug, r.ID)
		if c.Slug == "" {
			continue
		}
		c.Priority = 1e9
		if p, err := r.Priority.Float64(); err == nil {
			c.Priority = p
		}
		c.ReasoningLevels = levels(r.ReasoningLevels)
		if r.ModelMessages != nil {
			c.InstructionsTemplate = r.ModelMessages.InstructionsTemplate
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
	return out
}

// levels reads supported_reasoning_levels, a list of {"effort": …} or of
// strings; nil when absent or unreadable.
func levels(raw json.RawMessage) []string {
	var items []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []string
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) != nil {
			var obj struct {
				Effort string `json:"effort"`
			}
			_ = json.Unmarshal(it, &obj)
			s = obj.Effort
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// listed says whether a picker may show the entry: visible, and not asking
// for a newer client than deckhand's wire version.
func (c CatalogEntry) listed(wire string) bool {
	return (c.Visibility == "" || c.Visibility == "list") && !newerThan(c.MinimalClientVersion, wire)
}

// model is the entry as a picker shows it.
func (c CatalogEntry) model() Model {
	m := Model{ID: c.Slug, Label: c.DisplayName, Description: c.Description,
		ReasoningEfforts: chatEffortsOf(c.ReasoningLevels), DefaultEffort: c.defaultEffort(),
		ContextWindow: c.ContextWindow, Tools: toolKind(c)}
	return m
}

// defaultEffort is the entry's default effort when a chat may ask for it,
// else medium.
func (c CatalogEntry) defaultEffort() string {
	for _, e := range chatEfforts {
		if e == c.DefaultReasoning {
			return e
		}
	}
	return "medium"
}

// chatEffortsOf keeps the levels a chat may ask for (low, medium, high), in
// that order; all of them when the entry names none.
func chatEffortsOf(levels []string) []string {
	if len(levels) == 0 {
		return chatEfforts
	}
	have := map[string]bool{}
	for _, l := range levels {
		have[l] = true
	}
	var out []string
	for _, e := range chatEfforts {
		if have[e] {
			out = append(out, e)
		}
	}
	return out
}

// builtinEntries stand in for the catalog when none was ever had: the
// visible entries of the catalog bundled with the official CLI 0.171.0, in
// its priority order, with the fields that shape a request. Their base
// prompts are not known here: deckhand's own prompt goes with them. Built
// on first use, not at every start.
var builtinEntries = sync.OnceValue(func() []CatalogEntry {
	lite := func(slug, label, desc string, prio float64, min, effort string, window int64) CatalogEntry {
		return CatalogEntry{Slug: slug, DisplayName: label, Description: desc, Visibility: "list", Priority: prio,
			MinimalClientVersion: min, UseResponsesLite: true, ToolMode: "code_mode_only", ShellType: "unified_exec",
			ApplyPatchToolType: "freeform", WebSearchToolType: "text_and_image", DefaultReasoning: effort,
			ReasoningLevels: []string{"low", "medium", "high"}, DefaultVerbosity: "low", ContextWindow: window,
			Truncation: TruncationPolicy{Mode: "tokens", Limit: 10000}, InputModalities: []string{"text", "image"}}
	}
	gpt55 := lite("gpt-5.5", "GPT-5.5", "Legacy coding model", 13, "0.98.0", "medium", 272000)
	gpt55.UseResponsesLite, gpt55.ToolMode = false, ""
	return []CatalogEntry{
		lite("gpt-6.2-sol", "GPT-6.2-Sol", "Fast, go-to model for coding and everyday work", 1, "0.160.0", "low", 500000),
		lite("gpt-6.2-astra", "GPT-6.2-Astra", "Most capable, for complex coding", 2, "0.160.0", "medium", 0),
		lite("gpt-6.1-terra", "GPT-6.1 Terra", "Efficient, with visual understanding", 3, "0.150.0", "medium", 0),
		lite("gpt-6.1-sol", "GPT-6.1-Sol", "Previous generation", 4, "0.140.0", "medium", 0),
		lite("gpt-6-astra", "GPT-6-Astra", "Previous generation", 5, "0.120.0", "medium", 0),
		lite("gpt-6-sol", "GPT-6-Sol", "Legacy", 6, "0.120.0", "medium", 0),
		lite("gpt-6-luna", "GPT-6-Luna", "Fast and affordable", 7, "0.120.0", "low", 0),
		lite("gpt-5.6-sol", "GPT-5.6-Sol", "Legacy", 8, "0.110.0", "medium", 0),
		lite("gpt-5.6-terra", "GPT-5.6-Terra", "Legacy", 9, "0.110.0", "medium", 0),
		lite("gpt-5.6-luna", "GPT-5.6-Luna", "Legacy", 10, "0.110.0", "low", 0),
		gpt55,
	}
})

// catalogFile is where the last live catalog is kept, in DECKHAND_HOME.
const catalogFile = "models_cache.json"

// savedCatalog is catalogFile's content.
type savedCatalog struct {
	WireVersion string          `json:"wireVersion"`
	ETag        string          `json:"etag,omitempty"`
	FetchedAt   time.Time       `json:"fetchedAt"`
	Catalog     json.RawMessage `json:"catalog"`
}

// catalogCache is the last ChatGPT catalog: in memory, and on disk.
type catalogCache struct {
	mu      sync.Mutex
	loaded  bool // the disk copy was read
	asked   bool // the live catalog was asked since the engine started
	etag    string
	entries []CatalogEntry // nil: none known
}

func (e *Engine) catalogPath() string {
	if e.cfg.Home == "" {
		return ""
	}
	return filepath.Join(e.cfg.Home, catalogFile)
}

// loadLocked reads the disk copy once. The caller holds c.mu.
func (e *Engine) loadCatalogLocked(c *catalogCache) {
	if c.loaded {
		return
	}
	c.loaded = true
	path := e.catalogPath()
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var s savedCatalog
	if json.Unmarshal(b, &s) != nil || s.WireVersion != e.wireVersion() {
		return // another wire version's catalog may list other entries
	}
	if entries := parseEntries(s.Catalog); len(entries) > 0 {
		c.entries, c.etag = entries, s.ETag
	}
}

// saveCatalog writes body as the last live catalog, atomically.
func (e *Engine) saveCatalog(body []byte, etag string) {
	path := e.catalogPath()
	if path == "" || !json.Valid(body) {
		return
	}
	b, err := json.Marshal(savedCatalog{WireVersion: e.wireVersion(), ETag: etag, FetchedAt: time.Now().UTC(), Catalog: body})
	if err != nil {
		return
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		e.log.Warn("the model catalog could not be kept on disk", zap.Error(err))
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		e.log.Warn("the model catalog could not be kept on disk", zap.Error(err))
	}
}

// codexCatalogURL is the catalog's address for deckhand's wire version.
func (e *Engine) codexCatalogURL() string {
	return strings.TrimRight(e.cfg.CodexBaseURL, "/") + "/models?client_version=" + url.QueryEscape(e.wireVersion())
}

// codexEntries asks the ChatGPT backend for its catalog (with the ETag of
// the last one: a 304 keeps it) and returns every entry and where they came
// from: the live catalog or its copy on disk (SourceLive), or the built-in
// entries when neither can be had (SourceBuiltin).
func (e *Engine) codexEntries(ctx context.Context, cred auth.Credential) ([]CatalogEntry, string, error) {
	c := &e.catalogs
	c.mu.Lock()
	e.loadCatalogLocked(c)
	etag := c.etag
	if c.entries == nil {
		etag = ""
	}
	c.mu.Unlock()

	body, newTag, status, err := e.getCatalog(ctx, cred, etag)
	if ctx.Err() != nil {
		return nil, "", ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = true
	switch {
	case err == nil && status == http.StatusOK:
		if entries := parseEntries(body); len(entries) > 0 {
			c.entries, c.etag = entries, newTag
			e.saveCatalog(body, newTag)
		}
	case err == nil && status == http.StatusNotModified:
		// The copy held is the live one.
	default:
		if c.entries != nil {
			e.log.Info("the model catalog could not be had; using the last one kept", zap.Error(err), zap.Int("status", status))
		}
	}
	if c.entries == nil {
		return builtinEntries(), SourceBuiltin, nil
	}
	return c.entries, SourceLive, nil
}

// getCatalog GETs the catalog, conditionally when etag is set.
func (e *Engine) getCatalog(ctx context.Context, cred auth.Credential, etag string) (body []byte, newTag string, status int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.codexCatalogURL(), nil)
	if err != nil {
		return nil, "", 0, err
	}
	e.setIdentity(req.Header, cred)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, "", 0, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, "", resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotModified {
		return nil, "", resp.StatusCode, &UpstreamError{Status: resp.StatusCode, Detail: http.StatusText(resp.StatusCode)}
	}
	return body, resp.Header.Get("ETag"), resp.StatusCode, nil
}

// entryFor is the catalog entry of model on cred's branch: the live
// catalog's (asked once per engine), else the built-in
// one; false when no catalog describes it (and always on the API-key
// branch, which has no catalog of this kind).
func (e *Engine) entryFor(ctx context.Context, cred auth.Credential, model string) (CatalogEntry, bool) {
	if cred.Type != "oauth" {
		return CatalogEntry{}, false
	}
	c := &e.catalogs
	c.mu.Lock()
	e.loadCatalogLocked(c)
	entries, asked := c.entries, c.asked
	c.mu.Unlock()
	if !asked {
		// Once per engine: a copy kept on disk may be stale, and a 304
		// costs little.
		entries, _, _ = e.codexEntries(ctx, cred)
	}
	for _, list := range [][]CatalogEntry{entries, builtinEntries()} {
		for _, en := range list {
			if en.Slug == model {
				return en, true
			}
		}
	}
	return CatalogEntry{}, false
}

// wireVersion is the Codex wire version deckhand speaks.
func (e *Engine) wireVersion() string {
	if e.cfg.WireVersion != "" {
		return e.cfg.WireVersion
	}
	return WireVersion
}

// toolKind names the tools deckhand gives a model, as models reports them:
// "native" where the entry names the Codex tools, "classic" (the seven
// tools of protocol 1.0) elsewhere.
func toolKind(c CatalogEntry) string {
	if toolSetOf(c).Native() {
		return "native"
	}
	return "classic"
}
