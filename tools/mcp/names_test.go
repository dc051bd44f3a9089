package mcp

import (
	"regexp"
	"strings"
	"testing"
)

var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func TestUniqueNamesStayValidAndDistinct(t *testing.T) {
	long := strings.Repeat("t", 70)
	pairs := [][2]string{
		{"my server", "do.it"}, {"my_server", "do_it"}, {"my-server", "do it"},
		{"s", long + "1"}, {"s", long + "2"}, {"s", long + "1"}, // the same pair twice still gets two names
		{"ünï", "cödé"},
	}
	names := uniqueNames(pairs)
	seen := map[string]bool{}
	for i, n := range names {
		if !validName.MatchString(n) {
			t.Errorf("%v -> %q: not a valid function name", pairs[i], n)
		}
		if seen[n] {
			t.Errorf("%v -> %q: taken twice", pairs[i], n)
		}
		seen[n] = true
	}
	if names[1] != "mcp__my_server__do_it" && names[0] != "mcp__my_server__do_it" {
		t.Errorf("the first of a colliding pair keeps the plain name: %v", names[:2])
	}
	again := uniqueNames(pairs)
	for i := range names {
		if names[i] != again[i] {
			t.Errorf("names are not stable: %q then %q", names[i], again[i])
		}
	}
}

func TestMergeLaterSourceWins(t *testing.T) {
	a := []Server{{Name: "x", Command: "a", Source: "config", Trusted: true}, {Name: "y", Command: "y"}}
	b := []Server{{Name: "x", Command: "b", Source: "workspace"}}
	got := Merge(a, b)
	if len(got) != 2 || got[0].Name != "x" || got[0].Command != "b" || got[0].Trusted || got[1].Name != "y" {
		t.Errorf("Merge = %+v", got)
	}
}

func TestParseChecksEachServer(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{`{"mcpServers": {"a": {"command": "x"}}}`, ""},
		{`{"mcpServers": {"a": {"url": "https://h/mcp", "type": "sse"}}}`, ""},
		{`{"other": 1}`, ""},
		{`{"mcpServers": {"a": {}}}`, "needs a command"},
		{`{"mcpServers": {"a": {"url": "ftp://h"}}}`, "http"},
		{`{"mcpServers": {"a": {"command": "x", "url": "https://h"}}}`, "not both"},
		{`{"mcpServers": {"a": {"command": "x", "type": "ws"}}}`, "type must be"},
		{`[1]`, "not a JSON object"},
	} {
		_, err := Parse([]byte(tc.in), "config")
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Parse(%s) = %v, want %q", tc.in, err, tc.err)
		}
	}
}
