package protocol_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/deckhand-dev/deckhand/protocol/schema"
)

// docs/protocol.md against the schema: every frame it shows (the → and ←
// lines of its code blocks, and the params:/result: blocks) validates, and
// the methods it names are the schema's.

const docsPath = "../docs/protocol.md"

// illustrative lists the example lines that are not JSON on purpose: they
// show the choice of values with a bar, mark an optional field with "?" or
// leave fields out with "…".
var illustrative = []string{
	`"decision": "allow" | "allowAlways" | "deny"`,
	`"sessionId"?: "ses_..."`,
	`"stopReason": "end_turn" | "cancelled" | "max_steps"`,
	`{…,"capabilities":{"sessions":true,…,"diagnostics":true}}`,
}

// notMethods are names in headings and bold code spans that are neither
// methods nor the schema's types or fields: tools the model sees, a tool
// parameter, a command.
var notMethods = []string{"exec", "wait", "apply_patch", "exec_command", "write_stdin", "view_image", "sandbox_permissions", "fakeupstream", "deckhand"}

// docExample is one frame or params/result block of the docs.
type docExample struct {
	line    int    // 1-based, where it starts
	dir     string // "→" (to deckhand), "←" (from deckhand), "params", "result", "block" (a whole JSON block)
	text    string
	heading string
	// methods are the methods the section names before the example, in
	// order: what a bare params or result object belongs to.
	methods []string
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

// readDocs splits docs/protocol.md into its examples and the code spans of
// its headings, bold text and prose.
func readDocs(t *testing.T, s *schema.Schema) (examples []docExample, headingNames, boldNames, spans []string) {
	t.Helper()
	raw, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	isMethod := map[string]bool{}
	for _, m := range s.Methods {
		isMethod[m.Name] = true
	}
	lines := strings.Split(string(raw), "\n")
	inCode := false
	heading := ""
	var sectionMethods []string
	var cur *docExample
	depth := 0
	blockStart, blockLang, blockFrames := 0, "", 0
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if cur != nil {
				examples = append(examples, *cur) // unbalanced: reported when parsed
				cur = nil
			}
			if !inCode {
				blockStart, blockLang, blockFrames = i+1, strings.TrimPrefix(trimmed, "```"), len(examples)
			} else if blockLang == "json" && blockFrames == len(examples) && !strings.Contains(heading, "fakeupstream") {
				// A JSON block without frames that is one object: a
				// message or a bare params or result (fakeupstream's own
				// files are not the protocol).
				text := strings.Join(lines[blockStart:i], "\n")
				var obj map[string]any
				if json.Unmarshal([]byte(text), &obj) == nil {
					examples = append(examples, docExample{line: blockStart + 1, dir: "block", text: text, heading: heading, methods: slices.Clone(sectionMethods)})
				}
			}
			inCode = !inCode
			continue
		}
		if !inCode {
			if strings.HasPrefix(line, "#") {
				heading = trimmed
				sectionMethods = nil
				for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
					headingNames = append(headingNames, m[1])
				}
			}
			for _, m := range regexp.MustCompile("\\*\\*`([^`]+)`\\*\\*").FindAllStringSubmatch(line, -1) {
				boldNames = append(boldNames, m[1])
			}
			for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
				spans = append(spans, m[1])
				name, _, _ := strings.Cut(m[1], " ")
				if isMethod[name] {
					sectionMethods = append(sectionMethods, name)
				}
			}
			continue
		}
		if cur != nil {
			cur.text += "\n" + line
			depth += braceDepth(line)
			if depth <= 0 {
				examples = append(examples, *cur)
				cur = nil
			}
			continue
		}
		var dir, rest string
		switch {
		case strings.HasPrefix(trimmed, "→"), strings.HasPrefix(trimmed, "←"):
			dir = trimmed[:len("→")]
			rest = strings.TrimSpace(trimmed[len("→"):])
		case strings.HasPrefix(trimmed, "params:"), strings.HasPrefix(trimmed, "result:"):
			dir, rest, _ = strings.Cut(trimmed, ":")
			rest = strings.TrimSpace(rest)
		default:
			continue
		}
		cur = &docExample{line: i + 1, dir: dir, text: rest, heading: heading, methods: slices.Clone(sectionMethods)}
		depth = braceDepth(rest)
		if depth <= 0 {
			examples = append(examples, *cur)
			cur = nil
		}
	}
	return examples, headingNames, boldNames, spans
}

// braceDepth is the change in nesting of {} and [] over a line of JSON,
// outside strings.
func braceDepth(s string) int {
	d, inStr, esc := 0, false, false
	for _, r := range s {
		switch {
		case esc:
			esc = false
		case inStr && r == '\\':
			esc = true
		case r == '"':
			inStr = !inStr
		case inStr:
		case r == '{' || r == '[':
			d++
		case r == '}' || r == ']':
			d--
		}
	}
	return d
}

// lspBody strips an LSP header written as in the docs
// (`Content-Length: N\r\n\r\n{...}`) and checks that N is the body's length.
func lspBody(text string) (string, error) {
	rest, ok := strings.CutPrefix(text, "Content-Length: ")
	if !ok {
		return text, nil
	}
	n, body, ok := strings.Cut(rest, `\r\n\r\n`)
	if !ok {
		return "", fmt.Errorf("an LSP header without its blank line")
	}
	want, err := strconv.Atoi(n)
	if err != nil {
		return "", fmt.Errorf("Content-Length %q: %v", n, err)
	}
	if len(body) != want {
		return "", fmt.Errorf("Content-Length says %d, the body has %d bytes", want, len(body))
	}
	return body, nil
}

// TestDocsExamplesMatchSchema validates every example of docs/protocol.md.
func TestDocsExamplesMatchSchema(t *testing.T) {
	s := loadSchema(t)
	v := newValidator(t)
	methods := map[string]schema.Method{}
	for _, m := range s.Methods {
		methods[m.Name] = m
	}
	examples, _, _, _ := readDocs(t, s)
	if len(examples) < 60 {
		t.Fatalf("found only %d examples in %s: the reader is broken", len(examples), docsPath)
	}
	// The requests shown so far, by direction and id: what a response
	// answers.
	asked := map[string]map[string]string{"→": {}, "←": {}}
	checked := 0
	for _, ex := range examples {
		where := fmt.Sprintf("%s:%d (%s)", docsPath, ex.line, ex.heading)
		body, err := lspBody(ex.text)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		var frame map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &frame); err != nil {
			if !slices.ContainsFunc(illustrative, func(s string) bool { return strings.Contains(body, s) }) {
				t.Errorf("%s: the example is not JSON (%v):\n%s", where, err, body)
			}
			continue
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if ex.dir == "block" {
			// A message without its envelope, or a bare params object.
			if raw, ok := frame["method"]; ok {
				var method string
				_ = json.Unmarshal(raw, &method)
				if _, ok := methods[method]; !ok {
					t.Errorf("%s: method %s is not in the schema", where, raw)
					continue
				}
				validate(t, v.params(t, method), inst.(map[string]any)["params"], where, method+" params")
				continue
			}
			checkBare(t, v, methods, ex, where, "params", inst)
			continue
		}
		if _, ok := frame["jsonrpc"]; !ok {
			// A bare object, after params:, result: or an arrow: the
			// params (→) or result (←) of a method the section names.
			part := map[string]string{"→": "params", "←": "result"}[ex.dir]
			if part == "" {
				part = ex.dir
			}
			checkBare(t, v, methods, ex, where, part, inst)
			continue
		}
		if got := string(frame["jsonrpc"]); got != `"2.0"` {
			t.Errorf(`%s: "jsonrpc" is %s, not "2.0"`, where, got)
		}
		id := string(frame["id"])
		var method string
		if raw, ok := frame["method"]; ok {
			if err := json.Unmarshal(raw, &method); err != nil {
				t.Errorf("%s: method %s is not a string", where, raw)
				continue
			}
			m, ok := methods[method]
			if !ok {
				t.Errorf("%s: method %q is not in the schema", where, method)
				continue
			}
			from := map[string]string{"→": "client", "←": "server"}[ex.dir]
			if m.From != from && m.From != "both" {
				t.Errorf("%s: %s is sent by the %s, but the example has it %s", where, method, m.From, ex.dir)
			}
			kind := "notification"
			if id != "" {
				kind = "request"
				asked[ex.dir][id] = method
			}
			if m.Kind != kind {
				t.Errorf("%s: %s is a %s, but the example is a %s", where, method, m.Kind, kind)
			}
			params, has := frame["params"]
			switch {
			case m.Params == nil && has && string(params) != "null":
				t.Errorf("%s: %s takes no params", where, method)
			case m.Params != nil && !has:
				if p := s.Properties(defName(s, m.Params)); slices.ContainsFunc(p, func(p schema.Property) bool { return p.Required }) {
					t.Errorf("%s: %s without params", where, method)
				}
			case m.Params != nil:
				validate(t, v.params(t, method), inst.(map[string]any)["params"], where, method+" params")
			}
			continue
		}
		// A response: it answers the last request with its id that went
		// the other way.
		if e, ok := inst.(map[string]any)["error"]; ok {
			validate(t, v.compile(t, "#/$defs/ResponseError"), e, where, "error")
			continue
		}
		result, ok := inst.(map[string]any)["result"]
		if !ok {
			t.Errorf("%s: neither a request, a notification nor a response", where)
			continue
		}
		other := map[string]string{"→": "←", "←": "→"}[ex.dir]
		method, ok = asked[other][id]
		if !ok {
			t.Errorf("%s: a result for id %s, but no request with that id was shown before it", where, id)
			continue
		}
		validate(t, v.result(t, method), result, where, method+" result")
	}
	t.Logf("%d examples of %s checked against the schema", checked, docsPath)
}

// checkBare validates a params or result object shown without its frame
// against the methods its section names: one of them must take it.
func checkBare(t *testing.T, v *validator, methods map[string]schema.Method, ex docExample, where, part string, inst any) {
	t.Helper()
	var tried []string
	for _, name := range slices.Backward(ex.methods) {
		m := methods[name]
		sch := m.Params
		if part == "result" {
			sch = m.Result
		}
		if sch == nil {
			continue
		}
		var c *jsonschema.Schema
		if part == "params" {
			c = v.params(t, name)
		} else {
			c = v.result(t, name)
		}
		err := c.Validate(inst)
		if err == nil {
			return
		}
		tried = append(tried, fmt.Sprintf("%s %s: %v", name, part, err))
	}
	if len(tried) == 0 {
		t.Errorf("%s: a bare %s, and the section names no method that has one", where, part)
		return
	}
	t.Errorf("%s: the %s fits none of the methods its section names:\n%s", where, part, strings.Join(tried, "\n"))
}

func validate(t *testing.T, sch *jsonschema.Schema, inst any, where, what string) {
	t.Helper()
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s: the %s does not match the schema: %v", where, what, err)
	}
}

// defName is the $defs entry a method's params or result names.
func defName(s *schema.Schema, o *schema.Object) string {
	name, _ := s.Ref(o.String("$ref"))
	return name
}

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
