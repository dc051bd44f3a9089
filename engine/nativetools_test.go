package engine

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/tools"
)

// shape drops the words of a tool definition (descriptions, the grammar's
// text), keeping what the model's training fixes: names, types, parameters.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if k == "description" || k == "definition" {
				continue
			}
			out[k] = shape(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = shape(x)
		}
		return out
	}
	return v
}

// The tools a gpt-5.5 entry gets are declared as the official client
// declares them: the same names, types and parameters, in the same order
// (testdata holds the captured request's tools, words left out).
func TestNativeToolsMatchTheCapture(t *testing.T) {
	data, err := os.ReadFile("testdata/codex_tools_gpt55.json")
	if err != nil {
		t.Fatal(err)
	}
	var captured struct {
		Tools []any `json:"tools"`
	}
	if err := json.Unmarshal(data, &captured); err != nil {
		t.Fatal(err)
	}
	set := tools.ToolSet{ShellType: "unified_exec", ApplyPatchToolType: "freeform", Images: true}
	b, err := json.Marshal(declareTools(set.For(), WebSearch{Type: "text_and_image"}))
	if err != nil {
		t.Fatal(err)
	}
	var ours []any
	if err := json.Unmarshal(b, &ours); err != nil {
		t.Fatal(err)
	}
	if len(ours) != len(captured.Tools) {
		t.Fatalf("%d tools, the capture has %d:\n%s", len(ours), len(captured.Tools), b)
	}
	for i := range ours {
		got, want := shape(ours[i]), shape(captured.Tools[i])
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(want, "", " ")
			t.Errorf("tool %d:\n%s\nthe capture:\n%s", i, g, w)
		}
	}
	// The words are ours, and present.
	var raw []map[string]any
	_ = json.Unmarshal(b, &raw)
	for _, d := range raw {
		if d["type"] == "web_search" {
			continue
		}
		if desc, _ := d["description"].(string); strings.TrimSpace(desc) == "" {
			t.Errorf("%v has no description", d["name"])
		}
	}
	if f := raw[2]["format"].(map[string]any); f["definition"] != tools.ApplyPatchTool().Description() && !strings.HasPrefix(f["definition"].(string), "start:") {
		t.Errorf("apply_patch grammar %v", f["definition"])
	}
}

func TestWebSearchIsCachedUnlessLive(t *testing.T) {
	for _, live := range []bool{false, true} {
		b, _ := json.Marshal(declareTools(nil, WebSearch{Type: "text", Live: live}))
		want := `[{"external_web_access":false,"type":"web_search"}]`
		if live {
			want = `[{"external_web_access":true,"type":"web_search"}]`
		}
		if string(b) != want {
			t.Errorf("live=%v: %s", live, b)
		}
	}
	if b, _ := json.Marshal(declareTools(nil, WebSearch{})); string(b) != "[]" {
		t.Errorf("web search off: %s", b)
	}
}
