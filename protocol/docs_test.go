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
