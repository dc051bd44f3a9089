package tools

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestAllToolsMatchProtocol(t *testing.T) {
	want := []struct {
		name     string
		args     []string
		required []string
		readOnly bool
	}{
		{"read", []string{"limit", "offset", "path"}, []string{"path"}, true},
		{"list", []string{"path"}, nil, true},
		{"glob", []string{"path", "pattern"}, []string{"pattern"}, true},
		{"grep", []string{"include", "path", "pattern"}, []string{"pattern"}, true},
		{"write", []string{"content", "path"}, []string{"path", "content"}, false},
		{"edit", []string{"newString", "oldString", "path", "replaceAll"}, []string{"path", "oldString", "newString"}, false},
		{"bash", []string{"command", "justification", "sandbox_permissions", "timeoutMs"}, []string{"command"}, false},
	}
	all := All()
	if len(all) != len(want) {
		t.Fatalf("All() has %d tools, want %d", len(all), len(want))
	}
	for i, w := range want {
		tool := all[i]
		if tool.Name() != w.name {
			t.Errorf("tool %d is %q, want %q", i, tool.Name(), w.name)
			continue
		}
		if tool.ReadOnly() != w.readOnly {
			t.Errorf("%s: ReadOnly = %v", w.name, tool.ReadOnly())
		}
		if len(tool.Description()) < 100 {
			t.Errorf("%s: description too thin: %q", w.name, tool.Description())
		}
		s := tool.Schema()
		if s["type"] != "object" || s["additionalProperties"] != false {
			t.Errorf("%s: schema head %v", w.name, s)
		}
		props := s["properties"].(map[string]any)
		var names []string
		for name, p := range props {
			names = append(names, name)
			prop := p.(map[string]any)
			if prop["description"] == "" || prop["description"] == nil {
				t.Errorf("%s.%s has no description", w.name, name)
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, w.args) {
			t.Errorf("%s: properties %v, want %v", w.name, names, w.args)
		}
		req, _ := s["required"].([]string)
		if !slices.Equal(req, w.required) {
			t.Errorf("%s: required %v, want %v", w.name, req, w.required)
		}
		// The schema must survive JSON, as it is sent to the model.
		if _, err := json.Marshal(s); err != nil {
			t.Errorf("%s: %v", w.name, err)
		}
		if got, ok := Lookup(w.name); !ok || got.Name() != w.name {
			t.Errorf("Lookup(%q) = %v, %v", w.name, got, ok)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup found an unknown tool")
	}
}

func TestSchemaTypes(t *testing.T) {
	type params struct {
		S      string  `json:"s" desc:"a string"`
		I      int     `json:"i,omitempty"`
		B      *bool   `json:"b,omitempty"`
		F      float64 `json:"f"`
		Skip   string  `json:"-"`
		hidden int
	}
	_ = params{}.hidden
	s := schemaOf(params{})
	props := s["properties"].(map[string]any)
	types := map[string]string{"s": "string", "i": "integer", "b": "boolean", "f": "number"}
	if len(props) != len(types) {
		t.Fatalf("properties %v", props)
	}
	for name, typ := range types {
		if got := props[name].(map[string]any)["type"]; got != typ {
			t.Errorf("%s: type %v, want %s", name, got, typ)
		}
	}
	if d := props["s"].(map[string]any)["description"]; d != "a string" {
		t.Errorf("description %v", d)
	}
	if req := s["required"].([]string); !slices.Equal(req, []string{"s", "f"}) {
		t.Errorf("required %v", req)
	}
}

func TestSchemaRejectsUnsupportedTypes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a map field")
		}
	}()
	schemaOf(struct {
		M map[string]string `json:"m"`
	}{})
}

func TestSchemaRejectsNestedSlices(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a slice of slices")
		}
	}()
	schemaOf(struct {
		L [][]string `json:"l"`
	}{})
}

func TestSchemaArraysAndEnums(t *testing.T) {
	s := schemaOf(struct {
		L []string `json:"l,omitempty" desc:"words"`
		E string   `json:"e,omitempty" enum:"one,two"`
	}{})
	props := s["properties"].(map[string]any)
	l := props["l"].(map[string]any)
	if l["type"] != "array" || l["items"].(map[string]any)["type"] != "string" || l["description"] != "words" {
		t.Errorf("array property %v", l)
	}
	if e := props["e"].(map[string]any)["enum"]; !slices.Equal(e.([]string), []string{"one", "two"}) {
		t.Errorf("enum %v", e)
	}
}

func TestDecodeArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		ok      bool
		message string
	}{
		{"all fields", `{"path":"a","offset":3,"limit":2}`, true, ""},
		{"unknown field is ignored", `{"path":"a","color":"red"}`, true, ""},
		{"missing required", `{"offset":3}`, false, `missing required argument "path"`},
		{"null required", `{"path":null}`, false, `missing required argument "path"`},
		{"empty arguments", ``, false, `missing required argument "path"`},
		{"wrong type", `{"path":"a","offset":"3"}`, false, `"offset" must be of type integer, not string`},
		{"fraction for integer", `{"path":"a","limit":1.5}`, false, `"limit" must be of type integer`},
		{"not an object", `["a"]`, false, "must be one JSON object"},
		{"broken JSON", `{"path":`, false, "invalid arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p readParams
			res, ok := decodeArgs(json.RawMessage(tt.args), &p)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%s)", ok, tt.ok, res.Output)
			}
			if !ok && (!res.IsError || !strings.Contains(res.Output, tt.message)) {
				t.Errorf("result %+v, want error with %q", res, tt.message)
			}
		})
	}
}
