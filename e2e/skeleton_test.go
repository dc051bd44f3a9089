package e2e

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// skeleton is what testdata/codex_requests.json holds of one request the
// official CLI sent: names and types, no values.
type skeleton struct {
	Headers   []string `json:"headers"`
	Body      []string `json:"body"`
	Reasoning []string `json:"reasoning"`
	Text      []string `json:"text"`
	Items     []string `json:"items"`
	ToolTypes []string `json:"toolTypes"`
}

func loadSkeletons(t *testing.T) map[string]skeleton {
	t.Helper()
	b, err := os.ReadFile("testdata/codex_requests.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Requests map[string]skeleton `json:"requests"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Requests
}

// The differences from the official requests that remain, each with its
// reason in README.md ("Differences from the official CLI"). Anything else
// that differs fails the comparison.
var (
	// Headers net/http sets or leaves out of the recorded map.
	transportHeaders = []string{"accept-encoding", "content-length", "host"}
	// Headers the official client sends and deckhand does not.
	notSentHeaders = []string{"content-encoding", "x-codex-window-id", "x-codex-turn-metadata", "x-codex-routing-hint"}
	// Body fields the official client sends and deckhand does not.
	notSentFields = []string{"client_metadata"}
)

// skeletonOf makes the skeleton of a request deckhand sent.
func skeletonOf(t *testing.T, r upstreamtest.Request) skeleton {
	t.Helper()
	var sk skeleton
	for k := range r.Header {
		sk.Headers = append(sk.Headers, strings.ToLower(k))
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	for k := range body {
		sk.Body = append(sk.Body, k)
	}
	keys := func(raw json.RawMessage) []string {
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	sk.Reasoning, sk.Text = keys(body["reasoning"]), keys(body["text"])
	var items []map[string]any
	_ = json.Unmarshal(body["input"], &items)
	for _, it := range items {
		kind, _ := it["type"].(string)
		if role, _ := it["role"].(string); kind == "message" && role != "" {
			kind += ":" + role
		}
		sk.Items = append(sk.Items, kind)
	}
	var tools []map[string]any
	_ = json.Unmarshal(body["tools"], &tools)
	for _, tool := range tools {
		if typ, _ := tool["type"].(string); !slices.Contains(sk.ToolTypes, typ) {
			sk.ToolTypes = append(sk.ToolTypes, typ)
		}
	}
	sort.Strings(sk.Headers)
	sort.Strings(sk.Body)
	sort.Strings(sk.ToolTypes)
	return sk
}

// without is names minus drop.
func without(names []string, drop ...[]string) []string {
	var out []string
	for _, n := range names {
		skip := false
		for _, d := range drop {
			skip = skip || slices.Contains(d, n)
		}
		if !skip {
			out = append(out, n)
		}
	}
	return out
}

// runs collapses repeated neighbours: how many developer messages open a
// request, or how many user messages carry the context, is deckhand's own.
func runs(items []string) []string {
	var out []string
	for _, it := range items {
		if len(out) == 0 || out[len(out)-1] != it {
			out = append(out, it)
		}
	}
	return out
}

// compareSkeleton holds a request deckhand sent against the official one:
// the same header names, body fields, reasoning and text keys, and item
// types in the same order (unless want has none), but for the differences listed above (and
// extraReasoning, keys deckhand adds to reasoning).
func compareSkeleton(t *testing.T, what string, want skeleton, r upstreamtest.Request, extraReasoning ...string) {
	t.Helper()
	got := skeletonOf(t, r)
	if w, g := without(want.Headers, transportHeaders, notSentHeaders), without(got.Headers, transportHeaders); !slices.Equal(w, g) {
		t.Errorf("%s: headers %v, the official client's %v", what, g, w)
	}
	if w := without(want.Body, notSentFields); !slices.Equal(w, got.Body) {
		t.Errorf("%s: body fields %v, the official client's %v", what, got.Body, w)
	}
	if g := without(got.Reasoning, extraReasoning); !slices.Equal(want.Reasoning, g) {
		t.Errorf("%s: reasoning keys %v, the official client's %v", what, got.Reasoning, want.Reasoning)
	}
	if !slices.Equal(want.Text, got.Text) {
		t.Errorf("%s: text keys %v, the official client's %v", what, got.Text, want.Text)
	}
	if w, g := runs(want.Items), runs(got.Items); want.Items != nil && !slices.Equal(w, g) {
		t.Errorf("%s: input items %v, the official client's %v", what, g, w)
	}
	if len(want.ToolTypes) > 0 != (len(got.ToolTypes) > 0) || len(without(got.ToolTypes, want.ToolTypes)) > 0 {
		t.Errorf("%s: top-level tool types %v, the official client's %v", what, got.ToolTypes, want.ToolTypes)
	}
}
