package codemode

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// The namespace has the shape of the captured additional_tools entry: a
// `functions` namespace with the custom exec tool (a Lark grammar) and the
// wait function with the captured parameter names, types and required list.
func TestDefinitionsShape(t *testing.T) {
	raw, err := json.Marshal(Definitions(nestedTools))
	if err != nil {
		t.Fatal(err)
	}
	var ns struct {
		Type        string            `json:"type"`
		Name        string            `json:"name"`
		Description *string           `json:"description"`
		Tools       []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(raw, &ns); err != nil {
		t.Fatal(err)
	}
	if ns.Type != "namespace" || ns.Name != "functions" || ns.Description == nil || *ns.Description != "" || len(ns.Tools) != 2 {
		t.Fatalf("namespace: %s", raw)
	}
	var exec map[string]any
	_ = json.Unmarshal(ns.Tools[0], &exec)
	format, _ := exec["format"].(map[string]any)
	if exec["type"] != "custom" || exec["name"] != "exec" || format["type"] != "grammar" || format["syntax"] != "lark" || format["definition"] == "" {
		t.Errorf("exec: %s", ns.Tools[0])
	}
	if keys := sortedKeys(exec); strings.Join(keys, ",") != "description,format,name,type" {
		t.Errorf("exec keys %v", keys)
	}
	var wait struct {
		Type       string `json:"type"`
		Name       string `json:"name"`
		Strict     *bool  `json:"strict"`
		Parameters struct {
			Type       string                       `json:"type"`
			Properties map[string]map[string]string `json:"properties"`
			Required   []string                     `json:"required"`
			Additional *bool                        `json:"additionalProperties"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(ns.Tools[1], &wait); err != nil {
		t.Fatal(err)
	}
	if wait.Type != "function" || wait.Name != "wait" || wait.Strict == nil || *wait.Strict {
		t.Errorf("wait: %s", ns.Tools[1])
	}
	p := wait.Parameters
	want := map[string]string{"cell_id": "string", "max_tokens": "number", "terminate": "boolean", "yield_time_ms": "number"}
	if p.Type != "object" || len(p.Properties) != len(want) || strings.Join(p.Required, ",") != "cell_id" || p.Additional == nil || *p.Additional {
		t.Errorf("wait parameters: %s", ns.Tools[1])
	}
	for name, kind := range want {
		if p.Properties[name]["type"] != kind || p.Properties[name]["description"] == "" {
			t.Errorf("wait.%s: %v", name, p.Properties[name])
		}
	}
}

// The description lists each nested tool with a signature and arguments
// generated from the schema it is given.
func TestExecDescriptionFromSchemas(t *testing.T) {
	desc := ExecDescription(nestedTools)
	mustContain(t, desc,
		"tools.exec_command(args: {cmd: string, workdir?: string}): Promise<string>\nRuns a shell command.",
		"- cmd (string, required): The command line.",
		"- workdir (string)\n",
		"tools.apply_patch(input: string): Promise<string>\nApplies a patch.",
	)
	other := ExecDescription([]Tool{{Name: "view_image", Description: "Shows an image.", Parameters: map[string]any{
		"type": "object",
		"properties": map[string]any{
			"path":   map[string]any{"type": "string", "description": "Where the image is."},
			"detail": map[string]any{"type": "string", "enum": []any{"low", "high"}},
			"crop":   map[string]any{"type": "array", "items": map[string]any{"type": "integer"}},
			"opts":   map[string]any{"type": "object", "properties": map[string]any{"x": map[string]any{"type": []any{"number", "null"}}}},
		},
		"required": []string{"path"},
	}}})
	mustContain(t, other, `tools.view_image(args: {crop?: number[], detail?: "low" | "high", opts?: {x?: number | null}, path: string})`,
		"- path (string, required): Where the image is.")
	if dashed := ExecDescription([]Tool{{Name: "mcp__my-docs__find"}}); !strings.Contains(dashed, `tools["mcp__my-docs__find"](args: {}): Promise<string>`) {
		t.Errorf("a name that is not an identifier: %s", dashed[len(execIntro):])
	}
	if strings.Contains(other, "exec_command") || strings.Contains(other, "apply_patch") {
		t.Error("the description names tools it was not given")
	}
}

// The grammar accepts any non-empty script, as the parser is the judge.
func TestGrammarAcceptsScripts(t *testing.T) {
	if !strings.HasPrefix(Grammar, "start: ") {
		t.Fatalf("grammar %q", Grammar)
	}
	m := regexp.MustCompile(`SOURCE: /(.*)/\n`).FindStringSubmatch(Grammar)
	if m == nil {
		t.Fatalf("no SOURCE terminal in %q", Grammar)
	}
	re := regexp.MustCompile("^" + m[1] + "$")
	for _, src := range []string{"return 1", "const a = await tools.exec_command({cmd: \"ls\"});\nconsole.log(a)\n", "// @exec yield_time_ms=1\nfor(;;){}"} {
		if !re.MatchString(src) {
			t.Errorf("grammar rejects %q", src)
		}
	}
	if re.MatchString("") {
		t.Error("grammar accepts an empty script")
	}
}
