package deckhand_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/deckhand-dev/deckhand"

// allowed lists, for each package, the project packages it may import
// directly: cmd -> {rpc, acp} -> {engine, jsonrpc}, rpc -> protocol,
// engine -> {auth, tools}; rpc and acp never import each other; jsonrpc,
// protocol, auth, tools and upstreamtest import nothing of the project but
// tools' own leaf packages (tools/patch, which imports nothing).
var allowed = map[string][]string{
	"protocol":         {},
	"auth":             {},
	"tools":            {"tools/patch"},
	"tools/patch":      {},
	"tools/codemode":   {},
	"upstreamtest":     {},
	"tools/sandbox":    {},
	"engine":           {"auth", "tools", "tools/codemode", "tools/sandbox", "tools/mcp"},
	"jsonrpc":          {},
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

	// Test kits: the editor's end of a JSON-RPC connection, and an engine
	// logged in to the fake with a recording client.
	"jsonrpc/jsonrpctest": {},
	"engine/enginetest":   {"engine", "auth", "upstreamtest"},

	// The protocol's JSON Schema and the generator of the editors' types.
	"protocol/schema":     {},
	"protocol/schema/gen": {"protocol/schema"},

	// make test's check that every release target compiles.
	"scripts/platforms": {},
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

// Test kits are for tests: no package of the serving path, nor cmd, reaches
// one.
func TestNoTestKitInProduction(t *testing.T) {
	for _, pkg := range append(serving, "cmd/deckhand") {
		for _, dep := range goList(t, "-deps", "./"+pkg) {
			if dep == module+"/jsonrpc/jsonrpctest" || dep == module+"/engine/enginetest" {
				t.Errorf("%s reaches %s, a test kit", pkg, strings.TrimPrefix(dep, module+"/"))
			}
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

// Third-party imports. Each module outside the standard library is listed
// with the packages that may import it (non-test files): a package not
// listed may not, and a module not listed may not be imported at all. The
// wire types stay stdlib only; only the engine talks to OpenAI's client, only
// auth (and the fake that mints tokens) handles JWTs, only the faces and cmd
// reach their protocol libraries. Model: tailscale's tstest/deptest.
var thirdParty = map[string][]string{
	"github.com/openai/openai-go/v3":         {"engine"},
	"github.com/golang-jwt/jwt/v5":           {"auth", "upstreamtest"},
	"github.com/sourcegraph/jsonrpc2":        {"jsonrpc"},
	"github.com/coder/acp-go-sdk":            {"acp"},
	"github.com/aymanbagabas/go-udiff":       {"tools", "tools/patch"},
	"github.com/bmatcuk/doublestar/v4":       {"tools"},
	"github.com/creack/pty":                  {"tools"},
	"github.com/dop251/goja":                 {"tools/codemode"},
	"github.com/modelcontextprotocol/go-sdk": {"tools/mcp", "tools/mcp/mcptest"},
	"github.com/landlock-lsm/go-landlock":    {"tools/sandbox"},
	"github.com/pkg/browser":                 {"cmd/deckhand"}, // its output is a package variable: only cmd sets it
	"golang.org/x/term":                      {"cmd/deckhand"},
	"golang.org/x/sys":                       {"cmd/deckhand", "engine", "tools", "tools/sandbox"},
	"go.uber.org/zap":                        {"cmd/deckhand", "engine", "auth", "jsonrpc", "rpc", "acp"},
	// Validates docs/protocol.md's examples against the protocol's schema:
	// protocol's tests only, never a package.
	"github.com/santhosh-tekuri/jsonschema/v6": {},
	// Type-checks the release targets from source (make platforms).
	"golang.org/x/tools": {"scripts/platforms"},
}

// heavy lists packages no production code may import, though their module
// is allowed: openai-go's root package registers the types of every OpenAI
// API at init, a millisecond of startup and half the binary, and the engine
// needs only its responses package (responses.Error is openai.Error).
var heavy = []string{"github.com/openai/openai-go/v3"}

// moduleOf returns the listed module that holds import path imp.
func moduleOf(imp string) (string, bool) {
	for mod := range thirdParty {
		if imp == mod || strings.HasPrefix(imp, mod+"/") {
			return mod, true
		}
	}
	return "", false
}

// isStd reports whether imp is in the standard library: its first element
// has no dot.
func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func TestThirdPartyImports(t *testing.T) {
	for _, line := range goList(t, "-f", "{{.ImportPath}}|{{join .Imports \" \"}}", "./...") {
		path, imports, _ := strings.Cut(line, "|")
		rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
		for _, imp := range strings.Fields(imports) {
			if isStd(imp) || strings.HasPrefix(imp, module+"/") || imp == module {
				continue
			}
			if slices.Contains(heavy, imp) {
				t.Errorf("%s imports %s: too heavy for startup (see heavy in deps_test.go)", rel, imp)
			}
			mod, known := moduleOf(imp)
			if !known {
				t.Errorf("%s imports %s: a module with no entry in the third-party rules (add one, naming the packages that may import it)", rel, imp)
				continue
			}
			if !slices.Contains(thirdParty[mod], rel) {
				t.Errorf("%s imports %s: only %v may import %s", rel, imp, thirdParty[mod], mod)
			}
		}
	}
}

// The transport knows no face and the engine knows no transport, even
// through another package.
func TestLayersNeverReachUp(t *testing.T) {
	above := map[string][]string{
		"jsonrpc":  {"protocol", "engine", "rpc", "acp"},
		"engine":   {"jsonrpc", "rpc", "acp", "protocol"},
		"protocol": {"jsonrpc", "engine", "rpc", "acp", "auth", "tools"},
	}
	for pkg, banned := range above {
		for _, dep := range goList(t, "-deps", "./"+pkg) {
			for _, b := range banned {
				if dep == module+"/"+b {
					t.Errorf("%s reaches %s: it must not, even indirectly", pkg, b)
				}
			}
		}
	}
}
