package protocol_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/deckhand-dev/deckhand/protocol"
	"github.com/deckhand-dev/deckhand/protocol/schema"
)

// The protocol's JSON Schema (protocol/schema/deckhand.schema.json) is
// checked three ways here: against the Go wire types of this package (the
// same fields, of the same kinds), against the method names this package
// declares, and, in docs_test.go, against docs/protocol.md.

// goTypes maps each $defs entry to the Go type that carries it on the wire.
var goTypes = map[string]reflect.Type{
	"Error":                reflect.TypeFor[protocol.Error](),
	"AuthRequiredData":     reflect.TypeFor[protocol.AuthRequiredData](),
	"SessionBusyData":      reflect.TypeFor[protocol.SessionBusyData](),
	"UsageNotIncludedData": reflect.TypeFor[protocol.UsageNotIncludedData](),
	"RateLimitData":        reflect.TypeFor[protocol.RateLimitData](),
	"UpstreamFailedData":   reflect.TypeFor[protocol.UpstreamFailedData](),
	"ModelNotServedData":   reflect.TypeFor[protocol.ModelNotServedData](),
	"MCPFailedData":        reflect.TypeFor[protocol.MCPFailedData](),

	"ClientInfo":          reflect.TypeFor[protocol.ClientInfo](),
	"ClientCapabilities":  reflect.TypeFor[protocol.ClientCapabilities](),
	"Approvals":           reflect.TypeFor[protocol.Approvals](),
	"InitializeParams":    reflect.TypeFor[protocol.InitializeParams](),
	"ServerInfo":          reflect.TypeFor[protocol.ServerInfo](),
	"ServerCapabilities":  reflect.TypeFor[protocol.ServerCapabilities](),
	"SandboxCapability":   reflect.TypeFor[protocol.SandboxCapability](),
	"InitializeResult":    reflect.TypeFor[protocol.InitializeResult](),
	"CancelRequestParams": reflect.TypeFor[protocol.CancelRequestParams](),

	"AuthStatus":          reflect.TypeFor[protocol.AuthStatus](),
	"Method":              reflect.TypeFor[protocol.Method](),
	"ConnectParams":       reflect.TypeFor[protocol.ConnectParams](),
	"ConnectResult":       reflect.TypeFor[protocol.ConnectResult](),
	"StartOAuthParams":    reflect.TypeFor[protocol.StartOAuthParams](),
	"StartOAuthResult":    reflect.TypeFor[protocol.StartOAuthResult](),
	"CompleteOAuthParams": reflect.TypeFor[protocol.CompleteOAuthParams](),
	"PollDeviceParams":    reflect.TypeFor[protocol.PollDeviceParams](),
	"PollDeviceResult":    reflect.TypeFor[protocol.PollDeviceResult](),
	"AuthCompletedParams": reflect.TypeFor[protocol.AuthCompletedParams](),
	"LogoutParams":        reflect.TypeFor[protocol.LogoutParams](),
	"Model":               reflect.TypeFor[protocol.Model](),
	"ModelsResult":        reflect.TypeFor[protocol.ModelsResult](),

	"LineRange":            reflect.TypeFor[protocol.LineRange](),
	"Attachment":           reflect.TypeFor[protocol.Attachment](),
	"ChatParams":           reflect.TypeFor[protocol.ChatParams](),
	"Usage":                reflect.TypeFor[protocol.Usage](),
	"ChatResult":           reflect.TypeFor[protocol.ChatResult](),
	"TurnRef":              reflect.TypeFor[protocol.TurnRef](),
	"ChatStartedParams":    reflect.TypeFor[protocol.ChatStartedParams](),
	"ChatTextParams":       reflect.TypeFor[protocol.ChatTextParams](),
	"ChatToolCallParams":   reflect.TypeFor[protocol.ChatToolCallParams](),
	"ChatToolResultParams": reflect.TypeFor[protocol.ChatToolResultParams](),
	"ChatToolOutputParams": reflect.TypeFor[protocol.ChatToolOutputParams](),
	"ChatCompactedParams":  reflect.TypeFor[protocol.ChatCompactedParams](),
	"ChatNotSavedParams":   reflect.TypeFor[protocol.ChatNotSavedParams](),
	"ChatUsageParams":      reflect.TypeFor[protocol.ChatUsageParams](),
	"CancelParams":         reflect.TypeFor[protocol.CancelParams](),
	"CancelResult":         reflect.TypeFor[protocol.CancelResult](),

	"PermissionRequestParams": reflect.TypeFor[protocol.PermissionRequestParams](),
	"Preview":                 reflect.TypeFor[protocol.Preview](),
	"PreviewFile":             reflect.TypeFor[protocol.PreviewFile](),
	"PermissionResult":        reflect.TypeFor[protocol.PermissionResult](),

	"SessionsListParams":   reflect.TypeFor[protocol.SessionsListParams](),
	"SessionInfo":          reflect.TypeFor[protocol.SessionInfo](),
	"SessionsListResult":   reflect.TypeFor[protocol.SessionsListResult](),
	"SessionParams":        reflect.TypeFor[protocol.SessionParams](),
	"SessionsLoadResult":   reflect.TypeFor[protocol.SessionsLoadResult](),
	"TranscriptTurn":       reflect.TypeFor[protocol.TranscriptTurn](),
	"TranscriptStep":       reflect.TypeFor[protocol.TranscriptStep](),
	"TranscriptTool":       reflect.TypeFor[protocol.TranscriptTool](),
	"TranscriptPermission": reflect.TypeFor[protocol.TranscriptPermission](),
	"TranscriptAttachment": reflect.TypeFor[protocol.Attachment](),
	"SessionsDeleteResult": reflect.TypeFor[protocol.SessionsDeleteResult](),
	"SessionsCloseResult":  reflect.TypeFor[protocol.SessionsCloseResult](),
	"UndoParams":           reflect.TypeFor[protocol.UndoParams](),
	"UndoResult":           reflect.TypeFor[protocol.UndoResult](),
	"UndoSkipped":          reflect.TypeFor[protocol.UndoSkipped](),

	"LimitWindow":   reflect.TypeFor[protocol.LimitWindow](),
	"LimitCredits":  reflect.TypeFor[protocol.LimitCredits](),
	"AccountLimits": reflect.TypeFor[protocol.AccountLimits](),

	"MCPServerConfig":  reflect.TypeFor[protocol.MCPServerConfig](),
	"MCPServerPreview": reflect.TypeFor[protocol.MCPServerPreview](),
	"MCPListParams":    reflect.TypeFor[protocol.MCPListParams](),
	"MCPServerStatus":  reflect.TypeFor[protocol.MCPServerStatus](),
	"MCPListResult":    reflect.TypeFor[protocol.MCPListResult](),

	"DiagnosticsRequestParams": reflect.TypeFor[protocol.DiagnosticsRequestParams](),
	"DiagnosticsResult":        reflect.TypeFor[protocol.DiagnosticsResult](),
	"Diagnostic":               reflect.TypeFor[protocol.Diagnostic](),
}

// schemaOnly lists the object types of the schema that have no Go type of
// their own, and why.
var schemaOnly = map[string]string{
	"ResponseError":       "the JSON-RPC error object, which package jsonrpc writes",
	"FileAttachment":      "one shape of Attachment, a single Go struct",
	"SelectionAttachment": "one shape of Attachment, a single Go struct",
	"TextAttachment":      "one shape of Attachment, a single Go struct",
	"ImageFileAttachment": "one shape of Attachment, a single Go struct",
	"ImageDataAttachment": "one shape of Attachment, a single Go struct",
	"EmptyParams":         "params a method ignores",
	"JSONObject":          "json.RawMessage",
	"Provider":            "a string enum",
	"ApprovalPolicy":      "a string enum",
	"SandboxMode":         "a string enum",
	"OAuthMethod":         "a string enum",
	"FlowState":           "a string enum",
	"ReasoningEffort":     "a string enum",
	"StopReason":          "a string enum",
	"Decision":            "a string enum",
	"TranscriptSelection": "one shape of TranscriptAttachment, Go's Attachment",
	"TranscriptText":      "one shape of TranscriptAttachment, Go's Attachment",
	"TranscriptImageData": "one shape of TranscriptAttachment, Go's Attachment",
}

// pending lists what the schema has and the Go types or the docs do not
// have yet ("Type.field", "method name", "docs name"). Each entry must
// still be missing: once it lands, take it out here so that the check
// covers it.
var pending = map[string]bool{}

func loadSchema(t *testing.T) *schema.Schema {
	t.Helper()
	s, err := schema.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

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
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, typ := range goTypes {
		known[typ.Name()] = true
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if _, isStruct := ts.Type.(*ast.StructType); isStruct && ts.Name.IsExported() && !known[ts.Name.Name] {
					t.Errorf("%s: protocol.%s is not in the schema: add it to protocol/schema/deckhand.schema.json and to goTypes", file, ts.Name.Name)
				}
			}
		}
	}
}

// goMethodNames reads this package's method constants: the string
// constants named Method*, Notify* and Request* (not the login method ids,
// MethodID*).
func goMethodNames(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					n := name.Name
					if !(strings.HasPrefix(n, "Method") || strings.HasPrefix(n, "Notify") || strings.HasPrefix(n, "Request")) || strings.HasPrefix(n, "MethodID") {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					out[v] = n
				}
			}
		}
	}
	return out
}

// TestSchemaMethodsMatchGoConstants: the methods of the schema are the
// methods this package names, both ways.
func TestSchemaMethodsMatchGoConstants(t *testing.T) {
	s := loadSchema(t)
	goNames := goMethodNames(t)
	if len(goNames) < 20 {
		t.Fatalf("found only %d method constants: the reader is broken", len(goNames))
	}
	inSchema := map[string]bool{}
	for _, m := range s.Methods {
		inSchema[m.Name] = true
		_, ok := goNames[m.Name]
		switch {
		case !ok && !pending["method "+m.Name]:
			t.Errorf("the schema has method %s, which package protocol does not name", m.Name)
		case ok && pending["method "+m.Name]:
			t.Errorf("method %s is marked pending in this test, but package protocol names it now: take it out of pending", m.Name)
		}
	}
	for name, constant := range goNames {
		if !inSchema[name] {
			t.Errorf("protocol.%s = %q is not a method of the schema: add it to x-methods", constant, name)
		}
	}
}

// TestSchemaIsValid: the document is a valid 2020-12 schema and every
// method's params and result compile.
func TestSchemaIsValid(t *testing.T) {
	v := newValidator(t)
	s := loadSchema(t)
	for _, m := range s.Methods {
		if m.Params != nil {
			v.params(t, m.Name)
		}
		if m.Result != nil {
			v.result(t, m.Name)
		}
	}
	v.compile(t, "#/$defs/ResponseError")
}

// validator compiles parts of the schema by JSON pointer.
type validator struct {
	c     *jsonschema.Compiler
	cache map[string]*jsonschema.Schema
}

const schemaURL = "https://github.com/deckhand-dev/deckhand/protocol/schema/deckhand.schema.json"

func newValidator(t *testing.T) *validator {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.Source()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(schemaURL, doc); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compile(schemaURL); err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return &validator{c: c, cache: map[string]*jsonschema.Schema{}}
}

func (v *validator) compile(t *testing.T, pointer string) *jsonschema.Schema {
	t.Helper()
	if sch, ok := v.cache[pointer]; ok {
		return sch
	}
	sch, err := v.c.Compile(schemaURL + pointer)
	if err != nil {
		t.Fatalf("compile %s: %v", pointer, err)
	}
	v.cache[pointer] = sch
	return sch
}

func pointerTo(method, part string) string {
	esc := strings.NewReplacer("~", "~0", "/", "~1").Replace(method)
	return "#/x-methods/" + esc + "/" + part
}

func (v *validator) params(t *testing.T, method string) *jsonschema.Schema {
	return v.compile(t, pointerTo(method, "params"))
}

func (v *validator) result(t *testing.T, method string) *jsonschema.Schema {
	return v.compile(t, pointerTo(method, "result"))
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

// goCode is an integer constant named Code*, with the type its doc comment
// names for its data ("Data is X").
type goCode struct {
	name, data string
}

var dataIs = regexp.MustCompile(`Data is (\w+)`)

// goCodes reads the Code* constants of the given Go files, by value.
func goCodes(t *testing.T, files ...string) map[int]goCode {
	t.Helper()
	fset := token.NewFileSet()
	out := map[int]goCode{}
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				doc := vs.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
						continue
					}
					u, ok := vs.Values[i].(*ast.UnaryExpr)
					if !ok || u.Op != token.SUB {
						continue
					}
					lit, ok := u.X.(*ast.BasicLit)
					if !ok || lit.Kind != token.INT {
						continue
					}
					n, _ := strconv.Atoi(lit.Value)
					c := goCode{name: name.Name}
					if m := dataIs.FindStringSubmatch(doc.Text()); m != nil {
						c.data = m[1]
					}
					out[-n] = c
				}
			}
		}
	}
	return out
}

// TestSchemaErrorsMatchGo: x-errors holds deckhand's codes (package
// protocol) and the standard ones (package jsonrpc), under the same names,
// with the data types the Go comments name.
func TestSchemaErrorsMatchGo(t *testing.T) {
	s := loadSchema(t)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
	own := goCodes(t, files...)
	standard := goCodes(t, "../jsonrpc/codes.go")
	if len(own) < 8 || len(standard) < 6 {
		t.Fatalf("found %d and %d codes: the reader is broken", len(own), len(standard))
	}
	inSchema := map[int]bool{}
	for _, e := range s.Errors {
		inSchema[e.Code] = true
		codes, where := own, "protocol"
		if e.Standard {
			codes, where = standard, "jsonrpc"
		}
		c, ok := codes[e.Code]
		if !ok {
			t.Errorf("x-errors has %d (%s), which package %s does not declare", e.Code, e.Name, where)
			continue
		}
		if c.name != "Code"+e.Name {
			t.Errorf("x-errors calls %d %s, package %s %s", e.Code, e.Name, where, c.name)
		}
		data, _ := s.Ref(e.Data.String("$ref"))
		if data != c.data {
			t.Errorf("x-errors gives %d (%s) data %q, the Go comment of %s says %q", e.Code, e.Name, data, c.name, c.data)
		}
	}
	for code, c := range own {
		if !inSchema[code] {
			t.Errorf("protocol.%s = %d is not in x-errors", c.name, code)
		}
	}
	for code, c := range standard {
		if !inSchema[code] {
			t.Errorf("jsonrpc.%s = %d is not in x-errors", c.name, code)
		}
	}
}

// TestResponseErrorFollowsErrorTable: the data ResponseError requires of
// each code (its if/then pairs) is the data x-errors gives it.
func TestResponseErrorFollowsErrorTable(t *testing.T) {
	s := loadSchema(t)
	checked := map[int]string{}
	for _, m := range s.Def("ResponseError").List("allOf") {
		mo := m.(*schema.Object)
		c, ok := mo.Obj("if").Obj("properties").Obj("code").Get("const")
		if !ok {
			t.Fatalf("ResponseError: an allOf member without if code const: %v", mo.Keys)
		}
		n, _ := strconv.Atoi(c.(json.Number).String())
		data, _ := s.Ref(mo.Obj("then").Obj("properties").Obj("data").String("$ref"))
		checked[n] = data
	}
	for _, e := range s.Errors {
		want, _ := s.Ref(e.Data.String("$ref"))
		if got := checked[e.Code]; got != want {
			t.Errorf("ResponseError checks the data of %d (%s) as %q, x-errors says %q", e.Code, e.Name, got, want)
		}
		delete(checked, e.Code)
	}
	for code := range checked {
		t.Errorf("ResponseError checks code %d, which x-errors lacks", code)
	}
}
