package tools

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGlob(t *testing.T) {
	env := ignoreFixture(t)
	for _, f := range []string{"src/a.go", "src/b.go", "src/deep/c.go", "src/deep/c_test.go", "main.go", "web/app.ts", "web/view.tsx", ".hidden/h.go"} {
		writeTestFile(t, filepath.Join(env.Root, f), "package x\n")
	}
	// Newest first: give each file its own time.
	base := time.Now().Add(-time.Hour)
	for i, f := range []string{"main.go", "src/a.go", "src/deep/c.go", "src/b.go", "src/deep/c_test.go", ".hidden/h.go"} {
		ts := base.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(filepath.Join(env.Root, f), ts, ts); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		args    map[string]any
		isError bool
		want    string // the exact output, or a part of it for errors
	}{
		{"recursive, newest first", map[string]any{"pattern": "**/*.go"}, false,
			".hidden/h.go\nsrc/deep/c_test.go\nsrc/b.go\nsrc/deep/c.go\nsrc/a.go\nmain.go"},
		{"star stays in one directory", map[string]any{"pattern": "*.go"}, false, "main.go"},
		{"from a path", map[string]any{"pattern": "*.go", "path": "src"}, false, "src/b.go\nsrc/a.go"},
		{"pattern with a directory", map[string]any{"pattern": "src/deep/*_test.go"}, false, "src/deep/c_test.go"},
		{"alternatives", map[string]any{"pattern": "web/*.{ts,tsx}"}, false, "web/app.ts\nweb/view.tsx"},
		{"absolute pattern inside", map[string]any{"pattern": env.Root + "/src/*.go"}, false, "src/b.go\nsrc/a.go"},
		{"ignored files are skipped", map[string]any{"pattern": "**/*.log"}, false, "keep.log\nsub/inner/b.log"},
		{"only files", map[string]any{"pattern": "**/deep"}, false, "No files match"},
		{"no match", map[string]any{"pattern": "**/*.rs"}, false, `No files match "**/*.rs" in the workspace root.`},
		{"bad pattern", map[string]any{"pattern": "src/[a"}, true, "invalid glob pattern"},
		{"empty pattern", map[string]any{"pattern": ""}, true, "pattern must not be empty"},
		{"missing path", map[string]any{"pattern": "*", "path": "nope"}, true, "not found"},
		{"path is a file", map[string]any{"pattern": "*", "path": "main.go"}, true, "is not a directory"},
		{"pattern escaping", map[string]any{"pattern": "../**/*"}, true, "is outside the workspace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runTool(t, globTool{}, env, tt.args)
			if res.IsError != tt.isError {
				t.Fatalf("IsError = %v:\n%s", res.IsError, res.Output)
			}
			if tt.isError || strings.HasPrefix(tt.want, "No files") {
				check(t, res, tt.isError, []string{tt.want})
				return
			}
			// Files written together may share a time; the test above gave
			// the ones it orders distinct times.
			got := res.Output
			if tt.name == "ignored files are skipped" || tt.name == "alternatives" {
				got = sortedLines(got)
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func sortedLines(s string) string {
	lines := strings.Split(s, "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func TestGlobCap(t *testing.T) {
	files := map[string]string{}
	for i := range 12 {
		files[fmt.Sprintf("d/f%02d.txt", i)] = ""
	}
	env := newTestEnv(t, files)
	res := runTool(t, globTool{maxResults: 5}, env, map[string]any{"pattern": "**/*.txt"})
	check(t, res, false, []string{"showing the 5 newest of 12 matching files"})
	if n := strings.Count(res.Output, ".txt\n"); n != 5 {
		t.Errorf("%d paths shown, want 5:\n%s", n, res.Output)
	}
}

func TestGlobPruner(t *testing.T) {
	tests := []struct {
		pattern string
		depth   int
		name    string
		want    bool
	}{
		{"*.go", 1, "src", false},
		{"src/*.go", 1, "src", true},
		{"src/*.go", 1, "lib", false},
		{"src/*.go", 2, "x", false},
		{"src/**/*.go", 1, "lib", false},
		{"src/**/*.go", 5, "x", true},
		{"**/*.go", 1, "anything", true},
		{"{src,lib}/*.go", 1, "lib", true},
		{"s*/*/x.go", 2, "any", true},
		{"s*/*/x.go", 3, "any", false},
	}
	for _, tt := range tests {
		if got := newGlobPruner(tt.pattern).mayEnter(tt.depth, tt.name); got != tt.want {
			t.Errorf("%q: mayEnter(%d, %q) = %v, want %v", tt.pattern, tt.depth, tt.name, got, tt.want)
		}
	}
}

func TestGlobListsLinksToFilesOnly(t *testing.T) {
	env := newTestEnv(t, map[string]string{"real/a.txt": "", "b.txt": ""})
	symlink(t, "b.txt", filepath.Join(env.Root, "to-file.txt"))
	symlink(t, "real", filepath.Join(env.Root, "to-dir.txt"))
	res := runTool(t, globTool{}, env, map[string]any{"pattern": "*.txt"})
	if got := sortedLines(res.Output); got != "b.txt\nto-file.txt" {
		t.Errorf("got %q", got)
	}
}
