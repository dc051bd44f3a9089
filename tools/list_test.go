package tools

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	env := ignoreFixture(t)
	symlink(t, "docs", filepath.Join(env.Root, "docs-link"))
	writeTestFile(t, filepath.Join(env.Root, "empty")+"/", "")
	tests := []struct {
		name     string
		args     map[string]any
		isError  bool
		want     []string
		unwanted []string
	}{
		{"root tree", map[string]any{}, false, []string{
			"./\n",
			"  docs/\n    readme.md\n",
			"  docs-link -> docs\n",
			"  empty/\n",
			"  keep.log\n",
			"  sub/\n    .gitignore\n    build\n    important.tmp\n    inner/\n      .gitignore\n      b.log\n    nested/\n      other.txt\n",
		}, []string{".git/", "a.log", "rootonly.txt\n  sub", "build/", "secret.key", "excluded-by-info", "x.tmp\n    ", "capped"}},
		{"subdirectory", map[string]any{"path": "sub/nested"}, false,
			[]string{"sub/nested/\n  other.txt"}, []string{"deep.txt"}},
		{"ignored directory named explicitly", map[string]any{"path": "build"}, false,
			[]string{"build/\n  out.txt"}, nil},
		{"empty directory", map[string]any{"path": "empty"}, false, []string{"empty/\n  (empty)"}, nil},
		{"file", map[string]any{"path": "keep.log"}, true, []string{"is a file", "use read"}, nil},
		{"missing", map[string]any{"path": "nope"}, true, []string{`directory "nope" not found`}, nil},
		{"wrong type", map[string]any{"path": 3}, true, []string{`"path" must be of type string`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, runTool(t, listTool{}, env, tt.args), tt.isError, tt.want, tt.unwanted...)
		})
	}
}

func TestListCapIsBreadthFirst(t *testing.T) {
	files := map[string]string{}
	for i := range 30 {
		files[fmt.Sprintf("deep/d%02d/f.txt", i)] = ""
	}
	for i := range 5 {
		files[fmt.Sprintf("top%d.txt", i)] = ""
	}
	env := newTestEnv(t, files)
	res := runTool(t, listTool{maxEntries: 20}, env, map[string]any{})
	// The top level is whole; the deep directory is cut, and says so.
	check(t, res, false, []string{"  top4.txt", "  deep/\n", "    d00/ ...", "\n    ...\n", "listing capped at 20 entries"},
		"f.txt", "d19/")
	if got := strings.Count(res.Output, "\n  "); got < 20 {
		t.Errorf("%d entries shown, want 20:\n%s", got, res.Output)
	}
}
