package schema

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFilesAreCurrent fails when the editors' types no longer
// match the schema: someone changed one without the other.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	files, err := s.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./protocol/schema)", f.Path, err)
			continue
		}
		if !bytes.Equal(got, f.Content) {
			t.Errorf("%s is stale: it does not match protocol/schema/deckhand.schema.json; run go generate ./protocol/schema (first difference at line %d)", f.Path, firstDiffLine(got, f.Content))
		}
	}
}

func firstDiffLine(a, b []byte) int {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}

// The generators spell each construct of the schema; these pin how.
func TestTypeSpelling(t *testing.T) {
	doc := `{"x-errors": {"-32099": {"name": "Gone", "since": "1.1", "description": "Gone.", "data": {"$ref": "#/$defs/Base"}}},
	"x-methods": {
	  "ping": {"from": "client", "kind": "request", "since": "1.0", "params": {"$ref": "#/$defs/P"}, "result": {"type": "null"}},
	  "note": {"from": "both", "kind": "notification", "since": "1.2", "extension": true}
	},
	"$defs": {
	  "Base": {"type": "object", "properties": {"id": {"type": ["integer", "string"]}}, "required": ["id"]},
	  "P": {"description": "A ping.", "allOf": [{"$ref": "#/$defs/Base"}],
	        "properties": {"kind": {"enum": ["a", "b"]}, "tags": {"type": "array", "items": {"enum": ["x", "y"]}},
	                       "env": {"type": "object", "additionalProperties": {"type": "string"}}, "any": {},
	                       "arg": {"type": "object"}, "none": {"type": "object", "additionalProperties": false}},
	        "required": ["kind"]},
	  "U": {"oneOf": [{"$ref": "#/$defs/Base"}, {"$ref": "#/$defs/P"}]},
	  "E": {"allOf": [{"$ref": "#/$defs/Base"}], "unevaluatedProperties": false},
	  "F": {"type": "object", "properties": {"kept": {"type": "boolean"}, "gone": false}, "additionalProperties": false}
	}}`
	s, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := s.TypeScript()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"export interface Base {\n  id: number | string;\n}",
		"/** A ping. */\nexport interface P extends Base {\n  kind: \"a\" | \"b\";\n  tags?: (\"x\" | \"y\")[];\n  env?: Record<string, string>;\n  any?: unknown;\n  arg?: Record<string, unknown>;\n  none?: Record<string, never>;\n}",
		"export type U = Base | P;",
		"export type E = Base;",
		"export interface F {\n  kept?: boolean;\n}",
		"\"ping\": { params: P; result: null };",
		"export interface ClientNotifications {\n  /** (1.2, an extension) */\n  \"note\": undefined;\n}",
		"export interface ServerNotifications {\n  /** (1.2, an extension) */\n  \"note\": undefined;\n}",
		"export const ErrorCodes = {\n  /** Gone. data: Base. (1.1) */\n  Gone: -32099,\n} as const;",
	} {
		if !strings.Contains(string(ts), want) {
			t.Errorf("TypeScript lacks\n%s\nin\n%s", want, ts)
		}
	}
	lua, err := s.Lua()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"---@class deckhand.protocol.Base\n---@field id integer|string\n",
		"---A ping.\n---@class deckhand.protocol.P: deckhand.protocol.Base\n---@field kind \"a\"|\"b\"\n---@field tags? (\"x\"|\"y\")[]\n---@field env? table<string, string>\n---@field any? any\n---@field arg? table<string, any>\n---@field none? table\n",
		"---@alias deckhand.protocol.U deckhand.protocol.Base|deckhand.protocol.P\n",
		"---@class deckhand.protocol.E: deckhand.protocol.Base\n\n",
		"---@class deckhand.protocol.F\n---@field kept? boolean\n\n",
		"--- - `ping`: deckhand.protocol.P -> nil. (1.0)\n---@alias deckhand.protocol.ClientRequest \"ping\"\n",
		"--- - -32099 Gone: Gone. data: Base. (1.1)\n---@alias deckhand.protocol.ErrorCode integer\n",
	} {
		if !strings.Contains(string(lua), want) {
			t.Errorf("Lua lacks\n%s\nin\n%s", want, lua)
		}
	}
}

// A schema the generators cannot spell faithfully is refused, not guessed.
func TestRefusesWhatItCannotSpell(t *testing.T) {
	for name, doc := range map[string]string{
		"inline object": `{"x-methods": {}, "$defs": {"A": {"type": "object", "properties": {"b": {"type": "object", "properties": {"c": {"type": "string"}}}}}}}`,
		"dangling ref":  `{"x-methods": {}, "$defs": {"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/Nope"}}}}}`,
		"unknown type":  `{"x-methods": {}, "$defs": {"A": {"type": "object", "properties": {"b": {"type": "decimal"}}}}}`,
	} {
		s, err := Parse([]byte(doc))
		if err != nil {
			t.Errorf("%s: Parse: %v", name, err)
			continue
		}
		if _, err := s.TypeScript(); err == nil {
			t.Errorf("%s: TypeScript took it", name)
		}
		if _, err := s.Lua(); err == nil {
			t.Errorf("%s: Lua took it", name)
		}
	}
	for name, doc := range map[string]string{
		"request without result":   `{"x-methods": {"a": {"from": "client", "kind": "request", "since": "1.0"}}, "$defs": {}}`,
		"notification with result": `{"x-methods": {"a": {"from": "server", "kind": "notification", "since": "1.0", "result": {"type": "null"}}}, "$defs": {}}`,
		"bad direction":            `{"x-methods": {"a": {"from": "editor", "kind": "notification", "since": "1.0"}}, "$defs": {}}`,
		"bad version":              `{"x-methods": {"a": {"from": "client", "kind": "notification", "since": "2"}}, "$defs": {}}`,
		"dangling params":          `{"x-methods": {"a": {"from": "client", "kind": "notification", "since": "1.0", "params": {"$ref": "#/$defs/X"}}}, "$defs": {}}`,
		"duplicate key":            `{"x-methods": {}, "$defs": {"A": {"type": "string"}, "A": {"type": "integer"}}}`,
		"error code not a number":  `{"x-errors": {"E": {"name": "E"}}, "x-methods": {}, "$defs": {}}`,
		"error without a name":     `{"x-errors": {"-1": {}}, "x-methods": {}, "$defs": {}}`,
		"error data dangling":      `{"x-errors": {"-1": {"name": "E", "data": {"$ref": "#/$defs/X"}}}, "x-methods": {}, "$defs": {}}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse took it", name)
		}
	}
}
