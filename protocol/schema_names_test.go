package protocol_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/protocol/schema"
)

// The schema's methods and error codes against the constants of package
// protocol (and package jsonrpc's standard codes).

// goMethodNames reads this package's method constants: the string
// constants named Method*, Notify* and Request* (not the login method ids,
// MethodID*).
func goMethodNames(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	packageDecls(t, token.CONST, func(_ string, spec ast.Spec) {
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
	})
	return out
}

// packageDecls calls fn with each spec of the declarations of kind tok
// (token.CONST, token.TYPE) in this package's files, tests left out.
func packageDecls(t *testing.T, tok token.Token, fn func(file string, spec ast.Spec)) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
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
			if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == tok {
				for _, spec := range gd.Specs {
					fn(file, spec)
				}
			}
		}
	}
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
