package schema

import (
	"encoding/json"
	"fmt"
	"strings"
)

// dialect is how one target language spells the types the schema uses.
type dialect struct {
	name    func(def string) string // a $defs entry's type name
	str     string                  // string
	integer string                  // integer
	number  string                  // number
	boolean string                  // boolean
	null    string                  // null
	any     string                  // any JSON value
	object  string                  // any JSON object
	empty   string                  // the empty object
	mapOf   func(elem string) string
	literal func(v any) (string, error) // a const or enum member
}

// typeExpr spells schema o as a type expression. Objects with properties
// must be $defs entries of their own (named types), so that each has one
// name in every language.
func (s *Schema) typeExpr(d dialect, o *Object) (string, error) {
	if o == nil {
		return d.any, nil
	}
	if ref := o.String("$ref"); ref != "" {
		name, ok := s.Ref(ref)
		if !ok {
			return "", fmt.Errorf("%s names no entry of $defs", ref)
		}
		return d.name(name), nil
	}
	if c, ok := o.Get("const"); ok {
		return d.literal(c)
	}
	if enum := o.List("enum"); enum != nil {
		var parts []string
		for _, v := range enum {
			lit, err := d.literal(v)
			if err != nil {
				return "", err
			}
			parts = append(parts, lit)
		}
		return strings.Join(parts, " | "), nil
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		if members := o.List(key); members != nil && o.Obj("properties") == nil {
			var parts []string
			for _, m := range members {
				mo, _ := m.(*Object)
				t, err := s.typeExpr(d, mo)
				if err != nil {
					return "", err
				}
				parts = append(parts, t)
			}
			return strings.Join(parts, " | "), nil
		}
	}
	v, ok := o.Get("type")
	if !ok {
		if len(o.Keys) == 0 || onlyAnnotations(o) {
			return d.any, nil
		}
		return "", fmt.Errorf("a schema with neither type, $ref, const, enum nor oneOf: %v", o.Keys)
	}
	var types []string
	switch t := v.(type) {
	case string:
		types = []string{t}
	case []any:
		for _, e := range t {
			s, _ := e.(string)
			types = append(types, s)
		}
	}
	var parts []string
	for _, t := range types {
		switch t {
		case "string":
			parts = append(parts, d.str)
		case "integer":
			parts = append(parts, d.integer)
		case "number":
			parts = append(parts, d.number)
		case "boolean":
			parts = append(parts, d.boolean)
		case "null":
			parts = append(parts, d.null)
		case "array":
			elem, err := s.typeExpr(d, o.Obj("items"))
			if err != nil {
				return "", err
			}
			if strings.Contains(elem, "|") {
				elem = "(" + elem + ")"
			}
			parts = append(parts, elem+"[]")
		case "object":
			if o.Obj("properties") != nil || o.List("allOf") != nil {
				return "", fmt.Errorf("an object with properties must be a $defs entry of its own")
			}
			if ap, _ := o.Get("additionalProperties"); ap == false {
				parts = append(parts, d.empty)
			} else if ap := o.Obj("additionalProperties"); ap != nil {
				elem, err := s.typeExpr(d, ap)
				if err != nil {
					return "", err
				}
				parts = append(parts, d.mapOf(elem))
			} else {
				parts = append(parts, d.object)
			}
		default:
			return "", fmt.Errorf("unknown type %q", t)
		}
	}
	return strings.Join(parts, " | "), nil
}

// onlyAnnotations reports whether o says nothing of the value's type.
func onlyAnnotations(o *Object) bool {
	for _, k := range o.Keys {
		switch k {
		case "description", "title", "format", "contentEncoding", "examples":
		default:
			return false
		}
	}
	return true
}

// isRecord reports whether def is an object type with named properties
// (an interface, a class), rather than an alias of another type.
func (s *Schema) isRecord(def *Object) bool {
	if def.Obj("properties") != nil {
		return true
	}
	for _, m := range def.List("allOf") {
		if mo, ok := m.(*Object); ok && mo.String("$ref") != "" {
			return true
		}
	}
	return false
}

// extends lists the types def extends: its allOf references.
func (s *Schema) extends(def *Object) []string {
	var out []string
	for _, m := range def.List("allOf") {
		if mo, ok := m.(*Object); ok {
			if name, ok := s.Ref(mo.String("$ref")); ok {
				out = append(out, name)
			}
		}
	}
	return out
}

// ownProperties lists def's own properties, in order.
func ownProperties(def *Object) []Property {
	props := def.Obj("properties")
	if props == nil {
		return nil
	}
	required := def.List("required")
	var out []Property
	for _, name := range props.Keys {
		req := false
		for _, r := range required {
			if r == name {
				req = true
			}
		}
		out = append(out, Property{Name: name, Schema: props.Obj(name), Required: req, Forbidden: props.Values[name] == false})
	}
	return out
}

// jsonLiteral spells a const or enum member as JSON (a string quoted, a
// number as written).
func jsonLiteral(v any) (string, error) {
	switch t := v.(type) {
	case string:
		b, err := json.Marshal(t)
		return string(b), err
	case json.Number:
		return t.String(), nil
	case bool:
		if t {
			return "true", nil
		}
		return "false", nil
	}
	return "", fmt.Errorf("a literal of type %T", v)
}

// oneLine folds a description into one line of words.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
