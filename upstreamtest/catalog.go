package upstreamtest

import (
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
}

// ReferenceCatalog is the catalog bundled with the official CLI 0.171.0: its
// visible entries in priority order, and two hidden ones. The fake serves it
// unless a test sets another one.
var ReferenceCatalog = []CatalogModel{
	{"gpt-6.2-sol", "GPT-6.2-Sol", "Fast, go-to model for coding and everyday work.", "list", 1, "0.160.0", []string{"low", "medium", "high", "xhigh"}, "medium"},
	{"gpt-6.2-astra", "GPT-6.2-Astra", "Most capable, for complex coding.", "list", 2, "0.160.0", []string{"low", "medium", "high", "xhigh"}, "medium"},
	{"gpt-6.1-terra", "GPT-6.1 Terra", "Efficient, with visual understanding.", "list", 3, "0.150.0", []string{"low", "medium", "high"}, "medium"},
	{"gpt-6.1-sol", "GPT-6.1-Sol", "Previous generation.", "list", 4, "0.140.0", []string{"low", "medium", "high"}, "medium"},
	{"gpt-6-astra", "GPT-6-Astra", "Previous generation.", "list", 5, "0.120.0", []string{"low", "medium", "high"}, "medium"},
	{"gpt-6-sol", "GPT-6-Sol", "Legacy.", "list", 6, "0.120.0", []string{"low", "medium", "high"}, "medium"},
	{"gpt-6-luna", "GPT-6-Luna", "Fast and affordable.", "list", 7, "0.120.0", []string{"minimal", "low", "medium"}, "low"},
	{"gpt-5.6-sol", "GPT-5.6-Sol", "Legacy.", "list", 8, "0.110.0", []string{"low", "medium", "high"}, "medium"},
	{"gpt-5.6-terra", "GPT-5.6-Terra", "Legacy.", "list", 9, "0.110.0", []string{"low", "medium", "high"}, "medium"},
	{"gpt-5.6-luna", "GPT-5.6-Luna", "Legacy.", "list", 10, "0.110.0", []string{"low", "medium"}, "low"},
	{"gpt-5.5", "GPT-5.5", "Legacy coding model.", "list", 13, "0.98.0", []string{"low", "medium", "high"}, "medium"},
	{"codex-auto-review", "Codex Auto Review", "Internal.", "hide", 20, "0.166.0", []string{"medium"}, "medium"},
	{"gpt-daybreak-preview", "GPT Daybreak", "Internal.", "hide", 21, "0.166.0", []string{"medium"}, "medium"},
}

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
	cat, ok := s.catalogLocked()
	if !ok {
		cat = ReferenceCatalog
	}
	for _, m := range cat {
		if m.Slug == model {
			return true
		}
	}
	return false
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
		models = append(models, map[string]any{
			"slug": m.Slug, "display_name": m.DisplayName, "description": m.Description,
			"visibility": m.Visibility, "priority": m.Priority, "minimal_client_version": m.MinimalClientVersion,
			"supported_reasoning_levels": levels, "default_reasoning_level": m.DefaultReasoning,
			"default_verbosity": "low", "supported_in_api": true,
		})
		if w := s.catalogWindow(); w > 0 {
			models[len(models)-1].(map[string]any)["context_window"] = w
		}
	}
	w.Header().Set("ETag", `"upstreamtest-catalog"`)
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
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
