package protocol_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/token"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/protocol/schema"
)

// The schema against the Go wire types: the same fields, of the same
// kinds, and required exactly where deckhand always writes them.

// goField is one JSON field of a Go struct, embedded structs flattened as
// encoding/json does.
type goField struct {
	name      string
	omitempty bool
	typ       reflect.Type
}

func jsonFields(t reflect.Type) []goField {
	var out []goField
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, goField{name: name, omitempty: slices.Contains(strings.Split(opts, ","), "omitempty"), typ: f.Type})
	}
	return out
}

// TestSchemaMatchesGoTypes: every Go wire type has the schema's properties,
// no more and no fewer, each of a kind that encodes as the schema says,
// nested types included.
func TestSchemaMatchesGoTypes(t *testing.T) {
	s := loadSchema(t)
	for _, def := range s.Defs {
		typ, ok := goTypes[def.Name]
		if !ok {
			if _, ok := schemaOnly[def.Name]; !ok {
				t.Errorf("$defs/%s has no Go type: add it to goTypes (or, with a reason, to schemaOnly)", def.Name)
			}
			continue
		}
		props := map[string]schema.Property{}
		for _, p := range s.Properties(def.Name) {
			props[p.Name] = p
		}
		fields := map[string]goField{}
		for _, f := range jsonFields(typ) {
			fields[f.name] = f
			p, ok := props[f.name]
			if !ok {
				t.Errorf("%s has JSON field %q, which $defs/%s lacks: add it to protocol/schema/deckhand.schema.json", typ, f.name, def.Name)
				continue
			}
			if pending[def.Name+"."+f.name] {
				t.Errorf("%s.%s is marked pending in this test, but the Go type has it now: take it out of pending", def.Name, f.name)
			}
			if p.Forbidden {
				continue // this shape never carries it
			}
			if err := sameKind(s, f.typ, p.Schema); err != nil {
				t.Errorf("%s field %q: %v", typ, f.name, err)
			}
		}
		for name := range props {
			if _, ok := fields[name]; !ok && !pending[def.Name+"."+name] {
				t.Errorf("$defs/%s has property %q, which %s lacks", def.Name, name, typ)
			}
		}
	}
	for name := range goTypes {
		if s.Def(name) == nil {
			t.Errorf("goTypes names $defs/%s, which the schema lacks", name)
		}
	}
}

// sameKind reports whether values of Go type typ encode as schema o asks.
func sameKind(s *schema.Schema, typ reflect.Type, o *schema.Object) error {
	if typ == reflect.TypeFor[json.RawMessage]() {
		if ref := o.String("$ref"); ref != "#/$defs/JSONObject" && len(o.Keys) != 0 {
			return fmt.Errorf("a json.RawMessage is any JSON object (JSONObject), not %v", o.Keys)
		}
		return nil
	}
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if ref := o.String("$ref"); ref != "" {
		name, ok := s.Ref(ref)
		if !ok {
			return fmt.Errorf("%s names no entry of $defs", ref)
		}
		if want, ok := goTypes[name]; ok {
			if typ != want {
				return fmt.Errorf("the schema says %s (Go %s), the Go type is %s", name, want, typ)
			}
			return nil
		}
		return sameKind(s, typ, s.Def(name))
	}
	kinds := schemaTypes(o)
	want := ""
	switch typ.Kind() {
	case reflect.String:
		want = "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "integer"
	case reflect.Float32, reflect.Float64:
		want = "number"
	case reflect.Bool:
		want = "boolean"
	case reflect.Slice:
		if !slices.Contains(kinds, "array") {
			return fmt.Errorf("a Go slice, the schema says %v", kinds)
		}
		return sameKind(s, typ.Elem(), o.Obj("items"))
	case reflect.Map:
		if !slices.Contains(kinds, "object") || o.Obj("additionalProperties") == nil {
			return fmt.Errorf("a Go map, the schema says %v without additionalProperties", kinds)
		}
		return sameKind(s, typ.Elem(), o.Obj("additionalProperties"))
	case reflect.Interface:
		return nil // any value
	default:
		return fmt.Errorf("a Go %s where the schema says %v: name a $defs entry", typ, kinds)
	}
	if !slices.Contains(kinds, want) {
		return fmt.Errorf("Go %s encodes as %s, the schema says %v", typ, want, kinds)
	}
	return nil
}

// schemaTypes lists the JSON types a schema allows: its type keyword, or
// those of its const or enum values.
func schemaTypes(o *schema.Object) []string {
	if v, ok := o.Get("type"); ok {
		switch t := v.(type) {
		case string:
			return []string{t}
		case []any:
			var out []string
			for _, e := range t {
				out = append(out, e.(string))
			}
			return out
		}
	}
	var values []any
	if c, ok := o.Get("const"); ok {
		values = append(values, c)
	}
	values = append(values, o.List("enum")...)
	var out []string
	for _, v := range values {
		switch v.(type) {
		case string:
			out = append(out, "string")
		case json.Number:
			out = append(out, "integer", "number")
		case bool:
			out = append(out, "boolean")
		}
	}
	return out
}

// TestEveryGoWireTypeIsInTheSchema: a struct added to this package is a
// new wire type, so the schema (and the editors) must learn it.
func TestEveryGoWireTypeIsInTheSchema(t *testing.T) {
	known := map[string]bool{}
	for _, typ := range goTypes {
		known[typ.Name()] = true
	}
	packageDecls(t, token.TYPE, func(file string, spec ast.Spec) {
		ts := spec.(*ast.TypeSpec)
		if _, isStruct := ts.Type.(*ast.StructType); isStruct && ts.Name.IsExported() && !known[ts.Name.Name] {
			t.Errorf("%s: protocol.%s is not in the schema: add it to protocol/schema/deckhand.schema.json and to goTypes", file, ts.Name.Name)
		}
	})
}

// serverSent lists the $defs entries deckhand writes: the results of the
// client's requests, the params of its own requests and notifications, the
// error data, and every type they reach.
func serverSent(s *schema.Schema) map[string]bool {
	out := map[string]bool{}
	var visit func(v any)
	visit = func(v any) {
		switch t := v.(type) {
		case *schema.Object:
			if name, ok := s.Ref(t.String("$ref")); ok && !out[name] {
				out[name] = true
				visit(s.Def(name))
			}
			for _, k := range t.Keys {
				visit(t.Values[k])
			}
		case []any:
			for _, e := range t {
				visit(e)
			}
		}
	}
	for _, m := range s.Methods {
		if m.From != "client" && m.Params != nil {
			visit(m.Params)
		}
		if m.From != "server" && m.Result != nil {
			visit(m.Result)
		}
	}
	visit(s.Def("ResponseError"))
	return out
}

// TestRequiredMeansAlwaysSent: in what deckhand writes, a property the
// schema requires is one the Go type always encodes (no omitempty), and
// one it may leave out is optional in the schema, so the editors' types
// say exactly what they can rely on.
func TestRequiredMeansAlwaysSent(t *testing.T) {
	s := loadSchema(t)
	sent := serverSent(s)
	if !sent["AuthStatus"] || !sent["RateLimitData"] || sent["ChatParams"] {
		t.Fatalf("serverSent is wrong: %v", sent)
	}
	for name := range sent {
		typ, ok := goTypes[name]
		if !ok {
			continue
		}
		props := map[string]schema.Property{}
		for _, p := range s.Properties(name) {
			props[p.Name] = p
		}
		for _, f := range jsonFields(typ) {
			p, ok := props[f.name]
			if !ok {
				continue // TestSchemaMatchesGoTypes reports it
			}
			switch {
			case p.Required && f.omitempty:
				t.Errorf("$defs/%s requires %q, but %s leaves it out when empty (omitempty): make it optional in the schema", name, f.name, typ)
			case !p.Required && !f.omitempty:
				t.Errorf("$defs/%s has %q optional, but %s always writes it: add it to required", name, f.name, typ)
			}
		}
	}
}
