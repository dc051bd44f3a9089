package jsonrpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// ParamsProblem words a params decoding error in a client's terms, not Go's
// ("\"limit\" must be a number, not a string"). ok is false for an error
// that is neither a type mismatch nor broken JSON; each face words those.
func ParamsProblem(err error) (msg string, ok bool) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := kindName(te.Type.Kind())
		if te.Field == "" {
			return fmt.Sprintf("params must be %s, not %s", want, jsonKind(te.Value)), true
		}
		return fmt.Sprintf("%q must be %s, not %s", te.Field, want, jsonKind(te.Value)), true
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "params are not valid JSON", true
	}
	return "", false
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
	default:
		return "an object"
	}
}

// jsonKind names what encoding/json found ("array", "number 1.5", ...).
func jsonKind(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	switch kind {
	case "array", "object":
		return "an " + kind
	case "":
		return "something else"
	default:
		return "a " + kind
	}
}
