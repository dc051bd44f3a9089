package engine

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/responses"

	"github.com/deckhand-dev/deckhand/tools"
)

// The code-mode tools, placed as a Lite request places them, have the shape
// of the captured additional_tools item (codex-cli 0.171.0, gpt-6.2-sol):
// a "functions" namespace with an empty description holding the custom
// exec tool (a Lark grammar) and the wait function, with the captured keys,
// parameter names, types and required list. The texts are deckhand's own.
func TestCodeModeToolsMatchTheCapture(t *testing.T) {
	var p responses.ResponseNewParams
	first := placeTools(&p, true, codeModeDefs(tools.All(), nil))
	if len(first) != 1 || p.Tools != nil {
		t.Fatalf("placed %d items, top-level tools %v", len(first), p.Tools)
	}
	var item struct {
		Type, Role string
		Tools      []struct {
			Type, Name  string
			Description *string
			Tools       []map[string]any
		}
	}
	if err := json.Unmarshal(first[0].wire, &item); err != nil {
		t.Fatal(err)
	}
	if item.Type != "additional_tools" || item.Role != "developer" || len(item.Tools) != 1 {
		t.Fatalf("item %s", first[0].wire)
	}
	ns := item.Tools[0]
	if ns.Type != "namespace" || ns.Name != "functions" || ns.Description == nil || *ns.Description != "" || len(ns.Tools) != 2 {
		t.Fatalf("namespace %s", first[0].wire)
	}
	keys := func(m map[string]any) string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return strings.Join(ks, ",")
	}
	exec, wait := ns.Tools[0], ns.Tools[1]
	if keys(exec) != "description,format,name,type" || exec["type"] != "custom" || exec["name"] != "exec" {
		t.Errorf("exec %v", exec)
	}
	format, _ := exec["format"].(map[string]any)
	if keys(format) != "definition,syntax,type" || format["type"] != "grammar" || format["syntax"] != "lark" {
		t.Errorf("exec's format %v", format)
	}
	if desc, _ := exec["description"].(string); !strings.Contains(desc, "tools.read(args: {") || !strings.Contains(desc, "tools.bash(") {
		t.Errorf("exec's description does not list the nested tools")
	}
	if keys(wait) != "description,name,parameters,strict,type" || wait["type"] != "function" || wait["name"] != "wait" || wait["strict"] != false {
		t.Errorf("wait %v", wait)
	}
	params, _ := wait["parameters"].(map[string]any)
	props, _ := params["properties"].(map[string]any)
	want := map[string]string{"cell_id": "string", "max_tokens": "number", "terminate": "boolean", "yield_time_ms": "number"}
	if keys(params) != "additionalProperties,properties,required,type" || params["additionalProperties"] != false || len(props) != len(want) {
		t.Errorf("wait's parameters %v", params)
	}
	for name, typ := range want {
		if prop, _ := props[name].(map[string]any); prop["type"] != typ || keys(prop) != "description,type" {
			t.Errorf("wait.%s = %v, want a %s with a description", name, props[name], typ)
		}
	}
	if req, _ := json.Marshal(params["required"]); string(req) != `["cell_id"]` {
		t.Errorf("wait's required %s", req)
	}
}
