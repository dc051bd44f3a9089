package codemode

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Namespace is the `functions` namespace of the request's additional_tools
// item, holding exec and wait.
type Namespace struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Tools       []any  `json:"tools"`
}

// CustomTool is a tool whose input is free text constrained by a grammar.
type CustomTool struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Format      Format `json:"format"`
}

// Format is a custom tool's grammar.
type Format struct {
	Type       string `json:"type"`
	Syntax     string `json:"syntax"`
	Definition string `json:"definition"`
}

// FunctionTool is a tool whose input is a JSON object.
type FunctionTool struct {
	Type        string         `json:"type"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Strict      bool           `json:"strict"`
	Parameters  map[string]any `json:"parameters"`
}

// Tool names the model calls.
const (
	ExecName = "exec"
	WaitName = "wait"
)

// Grammar is the Lark grammar of exec's input: any non-empty text, since
// the script is checked by the JavaScript parser, which reports a mistake
// far better than a grammar could.
const Grammar = `start: SOURCE
SOURCE: /(.|\n)+/
`

// Definitions returns the functions namespace with exec (its description
// listing the nested tools) and wait.
func Definitions(nested []Tool) Namespace {
	return Namespace{
		Type:        "namespace",
		Name:        "functions",
		Description: "",
		Tools:       []any{ExecTool(nested), WaitTool()},
	}
}

// ExecTool is the exec custom tool, its description listing nested.
func ExecTool(nested []Tool) CustomTool {
	return CustomTool{
		Type:        "custom",
		Name:        ExecName,
		Description: ExecDescription(nested),
		Format:      Format{Type: "grammar", Syntax: "lark", Definition: Grammar},
	}
}

// WaitTool is the wait function.
func WaitTool() FunctionTool {
	return FunctionTool{
		Type:        "function",
		Name:        WaitName,
		Description: waitDescription,
		Strict:      false,
		Parameters:  waitSchema(),
	}
}

const execIntro = `Runs JavaScript in a fresh, isolated interpreter (a "cell") and returns what it printed and returned. Use it for all work on the workspace: every tool you have is an async function on the global ` + "`tools`" + ` object, so one script can run several tools, in sequence or in parallel, and act on their results without a round trip through you.

How a script runs:
- The input is JavaScript source only (no Markdown fence). It runs as the body of an async function: use ` + "`await`" + ` at the top level, and ` + "`return`" + ` a value to have it shown after the output.
- Print with ` + "`console.log(...)`" + ` (a line) or ` + "`text(...)`" + ` (no newline). Strings print as they are, objects as JSON, errors with their stack.
- ` + "`await tools.<name>(args)`" + ` runs a tool and resolves to its text output. A tool that fails rejects with an Error whose message is the tool's error text; catch it with try/catch, or let it end the script.
- Run independent tools together: ` + "`const [a, b] = await Promise.all([tools.x(...), tools.y(...)])`" + `.
- ` + "`setTimeout`" + ` and ` + "`clearTimeout`" + ` are there; nothing else of the host is: no require, import, process, fetch, file system or environment. Reach files and commands only through the tools below.
- Every tool call goes through the same approvals as if you had called it directly.
- Each exec starts from a clean interpreter: variables do not survive from one exec to the next.
- A script still running after its yield time (10 s unless set) returns what it printed so far and a cell id; call ` + "`wait`" + ` with that id to get more output or to stop it. A first line ` + "`// @exec yield_time_ms=30000 max_tokens=4000`" + ` sets the yield time and the output budget of this call.
- Scripts are bounded in CPU time, memory and the size of strings and arrays.

Tools on the ` + "`tools`" + ` object:`

const waitDescription = `Continues an exec script that was still running when its exec call returned, named by the cell id that call gave. Returns the output printed since the last exec or wait on it, when the script ends or when yield_time_ms passes, whichever comes first; a script still running gives its cell id again. With terminate set, stops the script and returns its last output.`

func waitSchema() map[string]any {
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"cell_id": map[string]any{"type": "string",
				"description": "The cell id an exec or wait call returned for a script still running."},
			"yield_time_ms": map[string]any{"type": "number",
				"description": "How long to wait for the script before returning what it printed so far (default 10000)."},
			"max_tokens": map[string]any{"type": "number",
				"description": "The most output to return, in tokens (default 10000); the middle of longer output is cut."},
			"terminate": map[string]any{"type": "boolean",
				"description": "Stop the script instead of waiting for it."},
		},
		"required":             []any{"cell_id"},
		"additionalProperties": false,
	}
}

// nestable drops exec and wait from a list of nested tools: a script
// cannot start another script or wait on one.
func nestable(nested []Tool) []Tool {
	return slices.DeleteFunc(slices.Clone(nested), func(t Tool) bool {
		return t.Name == ExecName || t.Name == WaitName
	})
}

// ExecDescription is exec's description: how scripts run, then each nested
// tool with its signature (generated from its schema) and its own
// description.
func ExecDescription(nested []Tool) string {
	var b strings.Builder
	b.WriteString(execIntro)
	for _, t := range nestable(nested) {
		b.WriteString("\n\n### ")
		if t.Freeform {
			fmt.Fprintf(&b, "%s(input: string): Promise<string>\n", member(t.Name))
		} else {
			fmt.Fprintf(&b, "%s(args: %s): Promise<string>\n", member(t.Name), typeOf(t.Parameters, 0))
		}
		b.WriteString(strings.TrimSpace(t.Description))
		if !t.Freeform {
			if params := paramLines(t.Parameters); params != "" {
				b.WriteString("\nArguments:\n")
				b.WriteString(params)
			}
		}
	}
	return b.String()
}

// member is how a script names a tool: tools.name, or tools["a-b"] when the
// name is not an identifier (an MCP server's name may hold a dash).
func member(name string) string {
	if identifier().MatchString(name) {
		return "tools." + name
	}
	return fmt.Sprintf("tools[%q]", name)
}

// identifier matches a JavaScript identifier; compiled on first use, not at
// every start of deckhand.
var identifier = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`) })

// typeOf renders a JSON schema as a TypeScript-like type.
func typeOf(schema map[string]any, depth int) string {
	if schema == nil {
		return "{}"
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		parts := make([]string, len(enum))
		for i, v := range enum {
			parts[i] = fmt.Sprintf("%q", fmt.Sprint(v))
		}
		return strings.Join(parts, " | ")
	}
	switch kind := schema["type"].(type) {
	case []any:
		parts := make([]string, 0, len(kind))
		for _, k := range kind {
			parts = append(parts, typeOf(map[string]any{"type": k}, depth))
		}
		return strings.Join(parts, " | ")
	case string:
		switch kind {
		case "string", "boolean", "null":
			return kind
		case "integer", "number":
			return "number"
		case "array":
			items, _ := schema["items"].(map[string]any)
			inner := typeOf(items, depth+1)
			if strings.ContainsAny(inner, " |") && !strings.HasPrefix(inner, "{") {
				inner = "(" + inner + ")"
			}
			return inner + "[]"
		case "object":
			props, _ := schema["properties"].(map[string]any)
			if len(props) == 0 {
				return "object"
			}
			if depth > 2 {
				return "object"
			}
			req := required(schema)
			names := sortedKeys(props)
			parts := make([]string, len(names))
			for i, name := range names {
				p, _ := props[name].(map[string]any)
				opt := "?"
				if slices.Contains(req, name) {
					opt = ""
				}
				parts[i] = name + opt + ": " + typeOf(p, depth+1)
			}
			return "{" + strings.Join(parts, ", ") + "}"
		}
	}
	return "any"
}

// paramLines lists the top-level properties with their descriptions.
func paramLines(schema map[string]any) string {
	props, _ := schema["properties"].(map[string]any)
	req := required(schema)
	var b strings.Builder
	for _, name := range sortedKeys(props) {
		p, _ := props[name].(map[string]any)
		fmt.Fprintf(&b, "- %s (%s", name, typeOf(p, 1))
		if slices.Contains(req, name) {
			b.WriteString(", required")
		}
		b.WriteString(")")
		if desc, _ := p["description"].(string); desc != "" {
			b.WriteString(": " + strings.TrimSpace(desc))
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func required(schema map[string]any) []string {
	switch r := schema["required"].(type) {
	case []string:
		return r
	case []any:
		out := make([]string, 0, len(r))
		for _, v := range r {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// sortedKeys sorts property names: a Go map has lost the schema's order,
// and a stable description keeps the prompt cache warm.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
