package protocol_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/protocol/schema"
)

// The names docs/protocol.md uses (methods, error codes, the fields of its
// shorthand shapes and tables) against the schema.

// TestDocsMethodsMatchSchema: every method the docs name in a heading, a
// bold code span or an example is in the schema, and every method of the
// schema is named in the docs.
func TestDocsMethodsMatchSchema(t *testing.T) {
	s := loadSchema(t)
	examples, headingNames, boldNames, spans := readDocs(t, s)
	inSchema := map[string]bool{}
	for _, m := range s.Methods {
		inSchema[m.Name] = true
	}
	// Names the schema uses for something else: its types and fields.
	other := map[string]bool{}
	for _, d := range s.Defs {
		other[d.Name] = true
		for _, p := range s.Properties(d.Name) {
			other[p.Name] = true
		}
	}
	methodLike := regexp.MustCompile(`^\$?[A-Za-z_]+(/[A-Za-z_]+)*$`)
	for _, name := range append(headingNames, boldNames...) {
		name, _, _ = strings.Cut(name, " ")
		if !methodLike.MatchString(name) || inSchema[name] || other[name] || slices.Contains(notMethods, name) {
			continue
		}
		t.Errorf("%s names %q in a heading or in bold, which is not a method of the schema (nor one of its types or fields)", docsPath, name)
	}
	// Any code span in the prose that names a method of one of the
	// schema's namespaces (chat/..., sessions/..., $/...) is a method.
	namespaces := map[string]bool{}
	for _, m := range s.Methods {
		if ns, _, ok := strings.Cut(m.Name, "/"); ok {
			namespaces[ns] = true
		}
	}
	for _, span := range spans {
		name, _, _ := strings.Cut(span, " ")
		ns, rest, ok := strings.Cut(name, "/")
		if ok && namespaces[ns] && methodLike.MatchString(name) && rest != "" && !inSchema[name] {
			t.Errorf("%s names %q, which is not a method of the schema", docsPath, name)
		}
	}
	named := map[string]bool{}
	for _, span := range spans {
		name, _, _ := strings.Cut(span, " ")
		named[name] = true
	}
	for _, ex := range examples {
		var frame struct{ Method string }
		if json.Unmarshal([]byte(ex.text), &frame) == nil && frame.Method != "" {
			named[frame.Method] = true
		}
	}
	for _, m := range s.Methods {
		switch {
		case !named[m.Name] && !pending["docs "+m.Name]:
			t.Errorf("the schema has method %s, which %s never names", m.Name, docsPath)
		case named[m.Name] && pending["docs "+m.Name]:
			t.Errorf("%s names %s now: take it out of pending", docsPath, m.Name)
		}
	}
}

// TestDocsErrorCodesMatchSchema: every code of the docs' error tables is
// in x-errors, and every code of x-errors is in the docs.
func TestDocsErrorCodesMatchSchema(t *testing.T) {
	s := loadSchema(t)
	raw, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	inSchema := map[int]bool{}
	for _, e := range s.Errors {
		inSchema[e.Code] = true
		if !bytes.Contains(raw, []byte(strconv.Itoa(e.Code))) {
			t.Errorf("x-errors has %d (%s), which %s never names", e.Code, e.Name, docsPath)
		}
	}
	rows := regexp.MustCompile(`(?m)^\| (-3\d{4}) \|`).FindAllSubmatch(raw, -1)
	if len(rows) < 10 {
		t.Fatalf("found %d rows of error tables in %s: the reader is broken", len(rows), docsPath)
	}
	for _, row := range rows {
		code, _ := strconv.Atoi(string(row[1]))
		if !inSchema[code] {
			t.Errorf("%s lists error %d, which x-errors lacks", docsPath, code)
		}
	}
}

// proseShape finds a method named in prose with the params and result it
// is shown with: "`chat/toolOutput {callId, text}`", or "**`mcp/list`**
// `{sessionId?}` → `{servers: [...]}`".
var proseShape = regexp.MustCompile("`(\\$?[A-Za-z]+(?:/[A-Za-z]+)*)( \\{[^`]*\\})?`(?:\\*\\*)?(?: `(\\{[^`]*\\})`)?(?: → `(\\{[^`]*\\})`)?")

var identifier = regexp.MustCompile(`^[A-Za-z_]+$`)

// topKeys lists the keys of the outer object of a shape written in the
// docs' shorthand ({a, b?, "c": 1, d: [{e}]}); ok is false when it is not
// that shorthand.
func topKeys(shape string) (keys []string, ok bool) {
	shape = strings.TrimSpace(shape)
	if !strings.HasPrefix(shape, "{") || !strings.HasSuffix(shape, "}") {
		return nil, false
	}
	depth, start, inStr := 0, 1, false
	entry := func(end int) bool {
		e := strings.TrimSpace(shape[start:end])
		if e == "" {
			return true
		}
		k, _, _ := strings.Cut(e, ":")
		k = strings.TrimSuffix(strings.Trim(strings.TrimSpace(k), `"`), "?")
		k = strings.TrimSuffix(strings.Trim(k, `"`), "?")
		if !identifier.MatchString(k) {
			return false
		}
		keys = append(keys, k)
		return true
	}
	for i, r := range shape {
		switch {
		case r == '"':
			inStr = !inStr
		case inStr:
		case r == '{' || r == '[':
			depth++
		case r == '}' || r == ']':
			depth--
			if depth == 0 && !entry(i) {
				return nil, false
			}
		case r == ',' && depth == 1:
			if !entry(i) {
				return nil, false
			}
			start = i + 1
		}
	}
	return keys, true
}

// TestDocsProseShapesMatchSchema: where the prose shows a method with its
// params or result in shorthand, each field it names is one the schema
// gives that method.
func TestDocsProseShapesMatchSchema(t *testing.T) {
	s := loadSchema(t)
	raw, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]schema.Method{}
	for _, m := range s.Methods {
		methods[m.Name] = m
	}
	// Paragraphs of prose, code blocks left out, lines joined.
	var paras []string
	var cur []string
	inCode := false
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		if inCode || strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				paras = append(paras, strings.Join(cur, " "))
				cur = nil
			}
			continue
		}
		cur = append(cur, strings.TrimSpace(line))
	}
	checked := 0
	for _, p := range paras {
		for _, m := range proseShape.FindAllStringSubmatch(p, -1) {
			method, ok := methods[m[1]]
			if !ok {
				continue
			}
			params := m[2]
			if params == "" {
				params = m[3]
			}
			for _, part := range []struct{ name, shape string }{{"params", params}, {"result", m[4]}} {
				keys, ok := topKeys(part.shape)
				if !ok {
					continue
				}
				o := method.Params
				if part.name == "result" {
					o = method.Result
				}
				def, _ := s.Ref(o.String("$ref"))
				props := map[string]bool{}
				for _, p := range s.Properties(def) {
					props[p.Name] = true
				}
				for _, k := range keys {
					checked++
					if !props[k] {
						t.Errorf("%s shows %s %s with %q, which the schema's %s lacks: %s", docsPath, m[1], part.name, k, def, m[0])
					}
				}
			}
		}
	}
	// Tables whose rows are a notification and its params (§6.2).
	for _, row := range regexp.MustCompile("(?m)^\\| `([a-z]+/[A-Za-z]+)` \\| ([^|]*) \\|").FindAllSubmatch(raw, -1) {
		method, ok := methods[string(row[1])]
		if !ok || method.Kind != "notification" || method.Params == nil {
			continue
		}
		def, _ := s.Ref(method.Params.String("$ref"))
		props := map[string]bool{}
		for _, p := range s.Properties(def) {
			props[p.Name] = true
		}
		for _, f := range codeSpan.FindAllSubmatch(row[2], -1) {
			checked++
			if !props[string(f[1])] {
				t.Errorf("%s's table gives %s the param %q, which the schema's %s lacks", docsPath, row[1], f[1], def)
			}
		}
	}
	if checked < 30 {
		t.Fatalf("checked only %d fields: the reader is broken", checked)
	}
	t.Logf("%d fields of prose shapes and tables checked", checked)
}
