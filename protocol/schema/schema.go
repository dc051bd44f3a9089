// Package schema holds the JSON Schema of deckhand's protocol
// (deckhand.schema.json, written by hand) and turns it into the editors'
// types: TypeScript interfaces for the VS Code extension and LuaLS
// annotations for the Neovim plugin. Tests in package protocol check the
// schema against docs/protocol.md and the Go wire types; the generated files
// are checked against it here. Run `go generate ./protocol/schema` after
// changing the schema.
package schema

//go:generate go run ./gen

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

//go:embed deckhand.schema.json
var source []byte

// Source returns the schema document as written.
func Source() []byte { return slices.Clone(source) }

// Schema is the parsed document: the methods of x-methods and the types of
// $defs, both in the order the file gives them.
type Schema struct {
	Description string
	Methods     []Method
	Errors      []ErrorCode
	Defs        []Def
	defs        map[string]*Object
}

// ErrorCode is one entry of x-errors.
type ErrorCode struct {
	Code        int
	Name        string // as in ErrorCodes.Name and Go's CodeName
	Standard    bool   // JSON-RPC's or LSP's, not deckhand's own
	Since       string
	Description string
	Data        *Object // the schema of its data; nil: none
}

// Method is one entry of x-methods.
type Method struct {
	Name        string
	From        string // "client", "server" or "both"
	Kind        string // "request" or "notification"
	Since       string // "1.0", "1.1", "1.2"
	Extension   bool   // deckhand's own, beyond the contract
	Description string
	// Params and Result are schemas (nil: none). A notification has no Result.
	Params, Result *Object
}

// Def is one entry of $defs.
type Def struct {
	Name   string
	Schema *Object
}

// Object is a JSON object that keeps its keys in the order written; values
// are *Object, []any, string, float64 (json.Number), bool or nil.
type Object struct {
	Keys   []string
	Values map[string]any
}

// Get returns the value of key k.
func (o *Object) Get(k string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.Values[k]
	return v, ok
}

// String returns the string value of key k, or "".
func (o *Object) String(k string) string {
	v, _ := o.Get(k)
	s, _ := v.(string)
	return s
}

// Obj returns the object value of key k, or nil.
func (o *Object) Obj(k string) *Object {
	v, _ := o.Get(k)
	m, _ := v.(*Object)
	return m
}

// List returns the array value of key k, or nil.
func (o *Object) List(k string) []any {
	v, _ := o.Get(k)
	l, _ := v.([]any)
	return l
}

// Load parses the embedded schema.
func Load() (*Schema, error) { return Parse(source) }

// Parse parses a schema document of this shape.
func Parse(doc []byte) (*Schema, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, fmt.Errorf("parse schema: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("parse schema: data after the document")
	}
	root, ok := v.(*Object)
	if !ok {
		return nil, fmt.Errorf("parse schema: the document is not an object")
	}
	s := &Schema{Description: root.String("description"), defs: map[string]*Object{}}
	defs := root.Obj("$defs")
	if defs == nil {
		return nil, fmt.Errorf("parse schema: no $defs")
	}
	for _, name := range defs.Keys {
		d := defs.Obj(name)
		if d == nil {
			return nil, fmt.Errorf("parse schema: $defs/%s is not an object", name)
		}
		s.Defs = append(s.Defs, Def{Name: name, Schema: d})
		s.defs[name] = d
	}
	methods := root.Obj("x-methods")
	if methods == nil {
		return nil, fmt.Errorf("parse schema: no x-methods")
	}
	for _, name := range methods.Keys {
		m := methods.Obj(name)
		if m == nil {
			return nil, fmt.Errorf("parse schema: x-methods/%s is not an object", name)
		}
		ext, _ := m.Values["extension"].(bool)
		method := Method{
			Name: name, From: m.String("from"), Kind: m.String("kind"), Since: m.String("since"),
			Extension: ext, Description: m.String("description"),
			Params: m.Obj("params"), Result: m.Obj("result"),
		}
		if err := s.checkMethod(method); err != nil {
			return nil, fmt.Errorf("parse schema: x-methods/%s: %w", name, err)
		}
		s.Methods = append(s.Methods, method)
	}
	errs := root.Obj("x-errors")
	if errs == nil {
		errs = &Object{}
	}
	for _, key := range errs.Keys {
		e := errs.Obj(key)
		code, err := strconv.Atoi(key)
		if err != nil || e == nil || e.String("name") == "" {
			return nil, fmt.Errorf("parse schema: x-errors/%s is not a code with a name", key)
		}
		std, _ := e.Values["standard"].(bool)
		ec := ErrorCode{Code: code, Name: e.String("name"), Standard: std, Since: e.String("since"),
			Description: e.String("description"), Data: e.Obj("data")}
		if ref := ec.Data.String("$ref"); ec.Data != nil {
			if _, ok := s.Ref(ref); !ok {
				return nil, fmt.Errorf("parse schema: x-errors/%s: data must name an entry of $defs", key)
			}
		}
		s.Errors = append(s.Errors, ec)
	}
	return s, nil
}

func (s *Schema) checkMethod(m Method) error {
	if !slices.Contains([]string{"client", "server", "both"}, m.From) {
		return fmt.Errorf("from is %q, not client, server or both", m.From)
	}
	switch m.Kind {
	case "request":
		if m.Result == nil {
			return fmt.Errorf("a request needs a result")
		}
	case "notification":
		if m.Result != nil {
			return fmt.Errorf("a notification has no result")
		}
	default:
		return fmt.Errorf("kind is %q, not request or notification", m.Kind)
	}
	if !slices.Contains([]string{"1.0", "1.1", "1.2"}, m.Since) {
		return fmt.Errorf("since is %q, not 1.0, 1.1 or 1.2", m.Since)
	}
	for _, o := range []*Object{m.Params, m.Result} {
		if ref := o.String("$ref"); ref != "" {
			if _, ok := s.Ref(ref); !ok {
				return fmt.Errorf("%s names no entry of $defs", ref)
			}
		}
	}
	return nil
}

// Ref resolves a "#/$defs/Name" reference to its name and schema.
func (s *Schema) Ref(ref string) (string, bool) {
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return "", false
	}
	_, ok = s.defs[name]
	return name, ok
}

// Def returns the schema of $defs/name.
func (s *Schema) Def(name string) *Object { return s.defs[name] }

// Property is one property of an object type.
type Property struct {
	Name     string
	Schema   *Object
	Required bool
	// Forbidden: the schema is false, the property must not be there (a
	// field of the Go struct that this shape never carries).
	Forbidden bool
}

// Properties lists the properties an object of type def may have: its own,
// those of the types it extends (allOf references: required if any
// requires it), and, for a union (oneOf or anyOf references), those of
// every member (required only if every member requires it), in order,
// each once.
func (s *Schema) Properties(def string) []Property { return s.properties(s.defs[def]) }

func (s *Schema) properties(o *Object) []Property {
	if o == nil {
		return nil
	}
	if name, ok := s.Ref(o.String("$ref")); ok {
		return s.properties(s.defs[name])
	}
	var out []Property
	index := map[string]int{}
	add := func(p Property, union bool) {
		i, ok := index[p.Name]
		if !ok {
			index[p.Name] = len(out)
			out = append(out, p)
			return
		}
		if union {
			out[i].Required = out[i].Required && p.Required
		} else {
			out[i].Required = out[i].Required || p.Required
		}
		if out[i].Forbidden && !p.Forbidden {
			out[i].Schema, out[i].Forbidden = p.Schema, false
		}
	}
	for _, m := range o.List("allOf") {
		if mo, ok := m.(*Object); ok && mo.String("$ref") != "" {
			for _, p := range s.properties(mo) {
				add(p, false)
			}
		}
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		var members [][]Property
		for _, m := range o.List(key) {
			if mo, ok := m.(*Object); ok && mo.String("$ref") != "" {
				members = append(members, s.properties(mo))
			}
		}
		for _, props := range members {
			for _, p := range props {
				// Required only where every member requires it.
				for _, other := range members {
					if !slices.ContainsFunc(other, func(q Property) bool { return q.Name == p.Name && q.Required }) {
						p.Required = false
					}
				}
				add(p, true)
			}
		}
	}
	for _, p := range ownProperties(o) {
		add(p, false)
	}
	return out
}

// decodeValue reads one JSON value, keeping the order of object keys.
func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &Object{Values: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				if _, dup := o.Values[k]; dup {
					return nil, fmt.Errorf("key %q twice in one object", k)
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.Keys = append(o.Keys, k)
				o.Values[k] = v
			}
			_, err := dec.Token() // '}'
			return o, err
		case '[':
			l := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := dec.Token() // ']'
			return l, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil
	}
}

// File is one generated file: its path from the repository root and content.
type File struct {
	Path    string
	Content []byte
}

// Files returns every file generated from the schema.
func (s *Schema) Files() ([]File, error) {
	ts, err := s.TypeScript()
	if err != nil {
		return nil, fmt.Errorf("typescript: %w", err)
	}
	lua, err := s.Lua()
	if err != nil {
		return nil, fmt.Errorf("lua: %w", err)
	}
	return []File{
		{Path: "editors/vscode/src/protocol.gen.ts", Content: ts},
		{Path: "editors/nvim/lua/deckhand/protocol_types.lua", Content: lua},
	}, nil
}
