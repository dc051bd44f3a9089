package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// A hosted web search on gpt-5.5: the editor is told of it as a web_search
// tool call listing the pages it read, and the pages the answer cites come
// with the turn's result, each once, with their titles.
func TestWebSearchSourcesInResult(t *testing.T) {
	fake, p := permissionServer(t)
	fake.PushCodex(upstreamtest.Step().
		WebSearch("deckhand release notes", "https://example.com/releases", "https://example.org/blog").
		Text("Version 2 shipped in May.").Cite("https://example.com/releases", "Releases").
		Text(" It added ACP.").Cite("https://example.org/blog", "The blog").Cite("https://example.com/releases", "Releases").
		Reply())
	var r struct {
		StopReason string `json:"stopReason"`
		Text       string `json:"text"`
		Sources    []struct {
			URL   string `json:"url"`
			Title string `json:"title"`
		} `json:"sources"`
	}
	p.ok("chat", map[string]any{"message": "what shipped?", "model": "gpt-5.5"}, &r)
	if r.StopReason != "end_turn" || !strings.Contains(r.Text, "Version 2 shipped") {
		t.Fatalf("result %+v", r)
	}
	want := []struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	}{{"https://example.com/releases", "Releases"}, {"https://example.org/blog", "The blog"}}
	if !reflect.DeepEqual(r.Sources, want) {
		t.Errorf("sources %+v, want %+v", r.Sources, want)
	}
	var called, listed bool
	for _, n := range p.notifications("chat/toolCall") {
		var c struct {
			Tool      string          `json:"tool"`
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		}
		json.Unmarshal(n.Params, &c)
		called = called || strings.Contains(string(c.Arguments), `"query":"deckhand release notes"`)
	}
	for _, n := range p.notifications("chat/toolResult") {
		listed = listed || strings.Contains(string(n.Params), `https://example.org/blog`)
	}
	if !called || !listed {
		t.Errorf("the editor was told of the search: call %v, its sources %v", called, listed)
	}
}
