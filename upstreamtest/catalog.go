package upstreamtest

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// CatalogModel is one entry of the backend's model catalog, as
// <codex>/models?client_version=… lists it.
type CatalogModel struct {
	Slug                 string
	DisplayName          string
	Description          string
	Visibility           string // "list" or "hide"
	Priority             int    // 1 = first
	MinimalClientVersion string
	ReasoningLevels      []string
	DefaultReasoning     string
	// Lite is use_responses_lite: the model takes only the Responses Lite
	// request (and refuses the standard one), and the others the reverse.
	Lite bool
	// ContextWindow is context_window (0: none listed, unless
	// SetContextWindow sets one for every entry).
	ContextWindow int
	// Template is model_messages.instructions_template ("" : none).
	Template string
	// Classic leaves out shell_type, apply_patch_tool_type and web search:
	// an entry that names no tools of the official client, so deckhand
	// offers its own (read, write, edit, bash ...). Not Lite.
	Classic bool
}

// ref is a reference entry: Lite unless it is gpt-5.5, as in 0.171.0.
func ref(slug, name, desc, vis string, prio int, min string, levels []string, def string, window int) CatalogModel {
	return CatalogModel{Slug: slug, DisplayName: name, Description: desc, Visibility: vis, Priority: prio,
		MinimalClientVersion: min, ReasoningLevels: levels, DefaultReasoning: def, Lite: slug != "gpt-5.5",
		ContextWindow: window, Template: "You are " + name + ", a coding model of the test backend."}
}

// ReferenceCatalog is the catalog bundled with the official CLI 0.171.0: its
// visible entries in priority order, and two hidden ones. The fake serves it
// unless a test sets another one. Every entry but gpt-5.5 takes the
// Responses Lite request.
var ReferenceCatalog = []CatalogModel{
	ref("gpt-6.2-sol", "GPT-6.2-Sol", "Fast, go-to model for coding and everyday work.", "list", 1, "0.160.0", []string{"low", "medium", "high"}, "low", 500000),
	ref("gpt-6.2-astra", "GPT-6.2-Astra", "Most capable, for complex coding.", "list", 2, "0.160.0", []string{"low", "medium", "high", "xhigh"}, "medium", 0),
	ref("gpt-6.1-terra", "GPT-6.1 Terra", "Efficient, with visual understanding.", "list", 3, "0.150.0", []string{"low", "medium", "high"}, "medium", 0),
	ref("gpt-6.1-sol", "GPT-6.1-Sol", "Previous generation.", "list", 4, "0.140.0", []string{"low", "medium", "high"}, "medium", 0),
	ref("gpt-6-astra", "GPT-6-Astra", "Previous generation.", "list", 5, "0.120.0", []string{"low", "medium", "high"}, "medium", 0),
	ref("gpt-6-sol", "GPT-6-Sol", "Legacy.", "list", 6, "0.120.0", []string{"low", "medium", "high"}, "medium", 0),
	ref("gpt-6-luna", "GPT-6-Luna", "Fast and affordable.", "list", 7, "0.120.0", []string{"minimal", "low", "medium"}, "low", 0),
	ref("gpt-5.6-sol", "GPT-5.6-Sol", "Legacy.", "list", 8, "0.110.0", []string{"low", "medium", "high"}, "medium", 0),
	ref("gpt-5.6-terra", "GPT-5.6-Terra", "Legacy.", "list", 9, "0.110.0", []string{"low", "medium", "high"}, "medium", 0),
	ref("gpt-5.6-luna", "GPT-5.6-Luna", "Legacy.", "list", 10, "0.110.0", []string{"low", "medium"}, "low", 0),
	ref("gpt-5.5", "GPT-5.5", "Legacy coding model.", "list", 13, "0.98.0", []string{"low", "medium", "high"}, "medium", 272000),
	ref("codex-auto-review", "Codex Auto Review", "Internal.", "hide", 20, "0.166.0", []string{"medium"}, "medium", 0),
	ref("gpt-daybreak-preview", "GPT Daybreak", "Internal.", "hide", 21, "0.166.0", []string{"medium"}, "medium", 0),
}

// WireVersion is the Codex wire version the fake's catalog and gates are
// written for (the reference catalog's release).
const WireVersion = "0.171.0"

// NotSupportedDetail is the ChatGPT backend's 400 detail for a model the
// plan does not serve.
func NotSupportedDetail(model string) string {
	return "The '" + model + "' model is not supported when using Codex with a ChatGPT account."
}

// SetCodexCatalog replaces the catalog <codex>/models serves (nil: 404, as
// when the backend has none for the client). The models a turn may use are
// its entries, hidden ones included.
func (s *Server) SetCodexCatalog(models []CatalogModel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model.catalog = append([]CatalogModel(nil), models...)
	s.model.catalogSet = true
}

// SetCodexModels sets a catalog of visible entries named slugs, in that
// priority; with no slugs <codex>/models answers 404 and turns may use the
// reference catalog's models.
func (s *Server) SetCodexModels(slugs ...string) {
	var models []CatalogModel
	for i, slug := range slugs {
		models = append(models, CatalogModel{Slug: slug, DisplayName: displayName(slug), Visibility: "list",
			Priority: i + 1, MinimalClientVersion: "0.1.0", ReasoningLevels: []string{"low", "medium", "high"}, DefaultReasoning: "medium"})
	}
	s.SetCodexCatalog(models)
}

// catalogLocked is the catalog served and whether there is one. The caller
// holds s.mu.
func (s *Server) catalogLocked() ([]CatalogModel, bool) {
	if !s.model.catalogSet {
		return ReferenceCatalog, true
	}
	return s.model.catalog, len(s.model.catalog) > 0
}

// servedLocked reports whether a turn may use model: an entry of the
// catalog, or of the reference catalog when none is served. The caller
// holds s.mu.
func (s *Server) servedLocked(model string) bool {
	_, ok := s.entryLocked(model)
	return ok
}

// entryLocked is model's entry in the catalog served (the reference
// catalog when none is). The caller holds s.mu.
func (s *Server) entryLocked(model string) (CatalogModel, bool) {
	cat, ok := s.catalogLocked()
	if !ok {
		cat = ReferenceCatalog
	}
	for _, m := range cat {
		if m.Slug == model {
			return m, true
		}
	}
	return CatalogModel{}, false
}

// handleCodexModels is the backend's model catalog. Entries whose
// minimal_client_version is above the client_version asked with are left
// out.
func (s *Server) handleCodexModels(w http.ResponseWriter, r *http.Request) {
	if !s.codexAuthorized(r) {
		writeCodexUnauthorized(w)
		return
	}
	s.mu.Lock()
	cat, ok := s.catalogLocked()
	cat = append([]CatalogModel(nil), cat...)
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
		return
	}
	client := r.URL.Query().Get("client_version")
	if _, ok := parseVersion(client); !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "client_version is required"})
		return
	}
	models := []any{}
	for _, m := range cat {
		if versionLess(client, m.MinimalClientVersion) {
			continue
		}
		levels := make([]any, len(m.ReasoningLevels))
		for i, l := range m.ReasoningLevels {
			levels[i] = map[string]any{"effort": l, "description": l}
		}
		entry := map[string]any{
			"slug": m.Slug, "display_name": m.DisplayName, "description": m.Description,
			"visibility": m.Visibility, "priority": m.Priority, "minimal_client_version": m.MinimalClientVersion,
			"supported_reasoning_levels": levels, "default_reasoning_level": m.DefaultReasoning,
			"default_verbosity": "low", "supported_in_api": true,
			"use_responses_lite": m.Lite, "shell_type": "unified_exec", "apply_patch_tool_type": "freeform",
			"web_search_tool_type": "text_and_image", "truncation_policy": map[string]any{"mode": "tokens", "limit": 10000},
			"input_modalities": []string{"text", "image"},
			"model_messages":   map[string]any{"instructions_template": nilIfEmpty(m.Template)},
		}
		if m.Lite {
			entry["tool_mode"] = "code_mode_only"
		}
		if m.Classic {
			delete(entry, "shell_type")
			delete(entry, "apply_patch_tool_type")
			delete(entry, "web_search_tool_type")
		}
		if m.ContextWindow > 0 {
			entry["context_window"] = m.ContextWindow
		}
		if w := s.catalogWindow(); w > 0 {
			entry["context_window"] = w
		}
		models = append(models, entry)
	}
	body, _ := json.Marshal(map[string]any{"models": models})
	etag := fmt.Sprintf(`"upstreamtest-%x"`, sha256.Sum256(body))
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// versionLess reports a < b; an unreadable b is never above a.
func versionLess(a, b string) bool {
	va, _ := parseVersion(a)
	vb, ok := parseVersion(b)
	if !ok {
		return false
	}
	for i := range va {
		if va[i] != vb[i] {
			return va[i] < vb[i]
		}
	}
	return false
}
