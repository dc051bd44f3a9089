package tools

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func ignoreFixture(t *testing.T) *Env {
	t.Helper()
	return newTestEnv(t, map[string]string{
		".git/HEAD":            "ref: refs/heads/main\n",
		".git/info/exclude":    "# local excludes\nexcluded-by-info.txt\n",
		".gitignore":           "*.log\n!keep.log\n/rootonly.txt\nbuild/\n# a comment\n\nsecret*\r\n",
		"a.log":                "",
		"keep.log":             "",
		"rootonly.txt":         "",
		"build/out.txt":        "",
		"docs/readme.md":       "",
		"docs/build/x.txt":     "", // build/ is not anchored: ignored at any depth
		"excluded-by-info.txt": "",
		"secret.key":           "",
		"nested/deep.txt":      "",
		"other/x.tmp":          "",
		"sub/.gitignore":       "*.tmp\n!important.tmp\nnested/deep.txt\n",
		"sub/rootonly.txt":     "",
		"sub/build":            "", // a file: build/ matches directories only
		"sub/x.tmp":            "",
		"sub/important.tmp":    "",
		"sub/a.log":            "",
		"sub/nested/deep.txt":  "",
		"sub/nested/other.txt": "",
		"sub/inner/.gitignore": "!*.log\n",
		"sub/inner/b.log":      "", // re-included by a deeper file
	})
}

func walkFiles(t *testing.T, env *Env, start string) []string {
	t.Helper()
	var files []string
	err := walkTree(context.Background(), env.Home, env.Root, filepath.Join(env.Root, start), func(e walkEntry) error {
		if !e.entry.IsDir() {
			files = append(files, e.rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestWalkHonoursIgnoreFiles(t *testing.T) {
	env := ignoreFixture(t)
	want := []string{
		".gitignore",
		"docs/readme.md",
		"keep.log",
		"nested/deep.txt",
		"other/x.tmp",
		"sub/.gitignore",
		"sub/build",
		"sub/important.tmp",
		"sub/inner/.gitignore",
		"sub/inner/b.log",
		"sub/nested/other.txt",
		"sub/rootonly.txt",
	}
	if got := walkFiles(t, env, "."); !slices.Equal(got, want) {
		t.Errorf("walk from root:\n got %q\nwant %q", got, want)
	}
	// Starting below the root, the ignore files above still apply.
	wantSub := []string{
		"sub/.gitignore",
		"sub/build",
		"sub/important.tmp",
		"sub/inner/.gitignore",
		"sub/inner/b.log",
		"sub/nested/other.txt",
		"sub/rootonly.txt",
	}
	if got := walkFiles(t, env, "sub"); !slices.Equal(got, wantSub) {
		t.Errorf("walk from sub:\n got %q\nwant %q", got, wantSub)
	}
	// An ignored directory named explicitly is searched.
	if got := walkFiles(t, env, "build"); !slices.Equal(got, []string{"build/out.txt"}) {
		t.Errorf("walk from build: %q", got)
	}
}

func TestWalkDoesNotFollowLinks(t *testing.T) {
	outside := t.TempDir()
	writeTestFile(t, filepath.Join(outside, "o.txt"), "")
	env := newTestEnv(t, map[string]string{"a/f.txt": ""})
	symlink(t, outside, filepath.Join(env.Root, "link"))
	symlink(t, "..", filepath.Join(env.Root, "a/up")) // a cycle if followed
	got := walkFiles(t, env, ".")
	want := []string{"a/f.txt", "a/up", "link"} // the links themselves, as entries
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWalkStopsOnCancel(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a/b/c.txt": ""})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := walkTree(ctx, env.Home, env.Root, env.Root, func(walkEntry) error { return nil })
	if err != context.Canceled {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestIgnorePatterns(t *testing.T) {
	tests := []struct {
		line, domain, rel string
		isDir, want       bool
	}{
		{"*.log", "", "a/b/x.log", false, true},
		{"*.log", "", "a/log", false, false},
		{"/root.txt", "", "root.txt", false, true},
		{"/root.txt", "", "sub/root.txt", false, false},
		{"doc/frotz", "", "doc/frotz", true, true},
		{"doc/frotz", "", "a/doc/frotz", true, false},
		{"build/", "", "x/build", true, true},
		{"build/", "", "x/build", false, false},
		{"**/foo", "", "foo", false, true},
		{"**/foo", "", "a/b/foo", false, true},
		{"a/**/b", "", "a/b", false, true},
		{"a/**/b", "", "a/x/y/b", false, true},
		{"foo/**", "", "foo/x/y", false, true},
		{"nested/deep.txt", "sub", "sub/nested/deep.txt", false, true},
		{"nested/deep.txt", "sub", "nested/deep.txt", false, false},
		{"*.tmp", "sub", "other/x.tmp", false, true}, // the walk only asks below the domain
		{`\#file`, "", "#file", false, true},
		{"trailing   ", "", "trailing", false, true},
		{`name\ `, "", "name ", false, true},
		{"{a,b}", "", "{a,b}", false, true},
		{"{a,b}", "", "a", false, false},
		{"[abc].txt", "", "b.txt", false, true},
		{"[abc].txt", "", "d.txt", false, false},
		{"?.go", "", "x/a.go", false, true},
		{"*", "", "anything/at/all", false, true},
	}
	for _, tt := range tests {
		p, ok := parseIgnoreLine(tt.line, tt.domain)
		if !ok {
			t.Errorf("%q did not parse", tt.line)
			continue
		}
		name := tt.rel[strings.LastIndex(tt.rel, "/")+1:]
		if got := p.matches(tt.rel, name, tt.isDir); got != tt.want {
			t.Errorf("%q (in %q) on %q dir=%v: %v, want %v", tt.line, tt.domain, tt.rel, tt.isDir, got, tt.want)
		}
	}
	for _, line := range []string{"", "# comment", "   ", "/", "!"} {
		if _, ok := parseIgnoreLine(line, ""); ok {
			t.Errorf("%q parsed as a pattern", line)
		}
	}
	if p, _ := parseIgnoreLine("!keep.log", ""); !p.negate || !p.matches("keep.log", "keep.log", false) {
		t.Errorf("negation: %+v", p)
	}
}
