package deckhand_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/deckhand-dev/deckhand"

// allowed lists, for each package, the project packages it may import
// directly: cmd -> {rpc, acp} -> engine, {rpc, acp} -> jsonrpc -> protocol,
// engine -> {auth, tools}; rpc and acp never import each other; protocol,
// auth, tools and upstreamtest import nothing of the project but tools' own
// leaf packages (tools/patch, which imports nothing).
var allowed = map[string][]string{
	"protocol":         {},
	"auth":             {},
	"tools":            {"tools/patch"},
	"tools/patch":      {},
	"tools/codemode":   {},
	"upstreamtest":     {},
	"tools/sandbox":    {},
	"engine":           {"auth", "tools", "tools/codemode", "tools/sandbox", "tools/mcp"},
	"jsonrpc":          {"protocol"},
	"rpc":              {"engine", "jsonrpc", "protocol"},
	"acp":              {"engine", "jsonrpc"},
	"cmd/deckhand":     {"rpc", "acp", "engine", "protocol", "upstreamtest", "tools/sandbox", "cmd/deckhand/internal/nodump"},
	"e2e":              {}, // test files only
	"cmd/fakeupstream": {"upstreamtest"},

	// MCP: the client over the official SDK, and its test server.
	"tools/mcp":         {},
	"tools/mcp/mcptest": {},

	// Made non-dumpable before anything else initialises: imports nothing.
	"cmd/deckhand/internal/nodump": {},
}

// serving lists the packages of the serving path: none may reach the fake
// upstream, even indirectly.
var serving = []string{"protocol", "auth", "tools", "tools/codemode", "tools/sandbox", "engine", "jsonrpc", "rpc", "acp"}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func TestDependencyDirection(t *testing.T) {
	seen := map[string]bool{}
	for _, line := range goList(t, "-f", "{{.ImportPath}}|{{join .Imports \" \"}}", "./...") {
		path, imports, _ := strings.Cut(line, "|")
		rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
		if rel == "" {
			continue
		}
		ok, known := allowed[rel]
		if !known {
			t.Errorf("package %s has no entry in the dependency rules: add one (STYLE.md)", rel)
			continue
		}
		seen[rel] = true
		for _, imp := range strings.Fields(imports) {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if !slices.Contains(ok, dep) {
				t.Errorf("%s imports %s: not allowed (allowed: %v)", rel, dep, ok)
			}
		}
	}
	for pkg := range allowed {
		if !seen[pkg] {
			t.Errorf("package %s is in the rules but was not listed by go list", pkg)
		}
	}
}

func TestServingPathNeverImportsTheFake(t *testing.T) {
	for _, pkg := range serving {
		for _, dep := range goList(t, "-deps", "./"+pkg) {
			if dep == module+"/upstreamtest" {
				t.Errorf("%s reaches upstreamtest: the serving path must not import the fake", pkg)
			}
		}
	}
}
