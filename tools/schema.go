package tools

import (
	"fmt"
	"reflect"
	"strings"
)

// schemaOf generates the JSON schema of a parameter struct (or a pointer to
// one). A field's `json` tag gives the property name, a field without
// `omitempty` is required, and a `desc` tag gives the property description.
// Only the kinds a tool argument needs are supported: string, integer,
// boolean and number. Anything else is a programming error and panics, which
// the schema tests catch.
func schemaOf(params any) map[string]any {
	properties := map[string]any{}
	var required []string
	for _, f := range paramFields(params) {
		prop := map[string]any{"type": jsonKind(f.kind)}
		if f.kind == reflect.Slice {
			prop["items"] = map[string]any{"type": jsonKind(f.elem)}
		}
		if f.desc != "" {
			prop["description"] = f.desc
		}
		if len(f.enum) > 0 {
			prop["enum"] = f.enum
		}
		properties[f.name] = prop
		if f.required {
			required = append(required, f.name)
		}
	}
	schema := map[string]any{
		"type":                 "object",
		"properties":           properties,
		"additionalProperties": false,
	}
	if len(required) > 0 {
		schema["required"] = required
	}
	return schema
}

// requiredFields lists the JSON names of the required fields of params.
func requiredFields(params any) []string {
	var names []string
	for _, f := range paramFields(params) {
		if f.required {
			names = append(names, f.name)
		}
	}
	return names
}

type paramField struct {
	name     string
	desc     string
	kind     reflect.Kind
	elem     reflect.Kind // of a slice
	enum     []string     // the values a string may take, from an `enum` tag
	required bool
}

func paramFields(params any) []paramField {
	t := reflect.TypeOf(params)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("tools: parameters must be a struct, not %v", t))
	}
	var fields []paramField
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		ft := sf.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		var elem reflect.Kind
		if ft.Kind() == reflect.Slice {
			elem = ft.Elem().Kind()
			if jsonKind(elem) == "" || elem == reflect.Slice {
				panic(fmt.Sprintf("tools: field %s has unsupported type %v", sf.Name, sf.Type))
			}
		}
		if jsonKind(ft.Kind()) == "" {
			panic(fmt.Sprintf("tools: field %s has unsupported type %v", sf.Name, sf.Type))
		}
		var enum []string
		if e := sf.Tag.Get("enum"); e != "" {
			enum = strings.Split(e, ",")
		}
		fields = append(fields, paramField{
			name:     name,
			desc:     sf.Tag.Get("desc"),
			kind:     ft.Kind(),
			elem:     elem,
			enum:     enum,
			required: !hasOption(opts, "omitempty"),
		})
	}
	return fields
}

func hasOption(opts, want string) bool {
	for opt := range strings.SplitSeq(opts, ",") {
		if opt == want {
			return true
		}
	}
	return false
}

// jsonKind names the JSON schema type of a Go kind, or "" when there is none.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "array"
	default:
		return ""
	}
}
