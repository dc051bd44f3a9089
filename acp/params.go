package acp

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// paramsProblem says what is wrong with a request's params in the
// protocol's words, not Go's.
func paramsProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := kindName(te.Type.Kind())
		if te.Field == "" {
			return fmt.Sprintf("params must be %s, not %s", want, jsonKind(te.Value))
		}
		return fmt.Sprintf("%q must be %s, not %s", te.Field, want, jsonKind(te.Value))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "params are not valid JSON"
	}
	// The ACP types' own decoders (content blocks, unions) say what they
	// missed; keep their words, without Go's prefixes.
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return "params do not match the method: " + msg
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// jsonKind names what encoding/json found ("array", "number 1.5", ...).
func jsonKind(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	switch kind {
	case "array", "object":
		return "an " + kind
	case "":
		return "something else"
	}
	return "a " + kind
}
