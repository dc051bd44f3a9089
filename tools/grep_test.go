package tools

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestGrep(t *testing.T) {
	env := ignoreFixture(t)
	files := map[string]string{
		"src/a.go":      "package src\n\nfunc NewThing() {}\nfunc newThing() {}\n",
		"src/b.go":      "package src\n// TODO: more\nfunc NewOther(x int) {}\n",
		"src/deep/c.ts": "export function NewTs() {}\n",
		"web/v.tsx":     "const todo = 1\n",
		"crlf.txt":      "alpha end\r\nbeta end\r\n",
		"bin.dat":       "NewThing\x00binary",
		"long.txt":      strings.Repeat("z", 500) + " needle " + strings.Repeat("z", 500) + "\n",
		"sub/a.log":     "NewThing in an ignored file\n",
		"build/gen.go":  "func NewGenerated() {}\n",
	}
	for name, content := range files {
		writeTestFile(t, filepath.Join(env.Root, name), content)
	}
	tests := []struct {
		name     string
		args     map[string]any
		isError  bool
		want     string // exact output unless isError
		contains []string
	}{
		{"regexp, sorted by path and line", map[string]any{"pattern": `func New[A-Z]\w*\(`}, false,
			"src/a.go:3:func NewThing() {}\nsrc/b.go:3:func NewOther(x int) {}", nil},
		{"case-insensitive", map[string]any{"pattern": `(?i)todo`}, false,
			"src/b.go:2:// TODO: more\nweb/v.tsx:1:const todo = 1", nil},
		{"include on the name", map[string]any{"pattern": "New", "include": "*.{ts,tsx}"}, false,
			"src/deep/c.ts:1:export function NewTs() {}", nil},
		{"include on the path", map[string]any{"pattern": "New", "include": "src/**/*.ts"}, false,
			"src/deep/c.ts:1:export function NewTs() {}", nil},
		{"path narrows", map[string]any{"pattern": "New", "path": "src/deep"}, false,
			"src/deep/c.ts:1:export function NewTs() {}", nil},
		{"a single file", map[string]any{"pattern": "Thing", "path": "src/a.go"}, false,
			"src/a.go:3:func NewThing() {}\nsrc/a.go:4:func newThing() {}", nil},
		{"ignored directory named explicitly", map[string]any{"pattern": "New", "path": "build"}, false,
			"build/gen.go:1:func NewGenerated() {}", nil},
		{"dollar before CRLF", map[string]any{"pattern": `end$`}, false,
			"crlf.txt:1:alpha end\ncrlf.txt:2:beta end", nil},
		{"anchors", map[string]any{"pattern": `^package \w+$`, "include": "*.go"}, false,
			"src/a.go:1:package src\nsrc/b.go:1:package src", nil},
		{"long line cut", map[string]any{"pattern": "needle"}, true, "", []string{"long.txt:1:" + strings.Repeat("z", 300) + " ..."}},
		{"no match", map[string]any{"pattern": "absent-text"}, false, `No matches for "absent-text" in the workspace root.`, nil},
		{"binary file named", map[string]any{"pattern": "x", "path": "bin.dat"}, true, "", []string{"binary file, not searched"}},
		{"bad regexp", map[string]any{"pattern": "func("}, true, "", []string{"invalid regular expression", "missing closing )"}},
		{"bad include", map[string]any{"pattern": "x", "include": "[a"}, true, "", []string{"invalid include glob"}},
		{"missing path", map[string]any{"pattern": "x", "path": "nope"}, true, "", []string{`path "nope" not found`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runTool(t, grepTool{}, env, tt.args)
			if tt.name == "long line cut" {
				// Not an error: the check is on the content.
				check(t, res, false, tt.contains, strings.Repeat("z", 301))
				return
			}
			if tt.isError {
				check(t, res, true, tt.contains)
				return
			}
			if res.IsError || res.Output != tt.want {
				t.Errorf("got (error %v):\n%s\nwant:\n%s", res.IsError, res.Output, tt.want)
			}
		})
	}
}

func TestGrepStopsAtCap(t *testing.T) {
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("f%02d.txt", i)] = strings.Repeat("hit\n", 10)
	}
	env := newTestEnv(t, files)
	res := runTool(t, grepTool{maxMatches: 25}, env, map[string]any{"pattern": "hit"})
	check(t, res, false, []string{"stopped at 25 matches"})
	if n := strings.Count(res.Output, ":hit"); n != 25 {
		t.Errorf("%d matches shown, want 25", n)
	}
	// What is shown is sorted.
	var lines []string
	for l := range strings.SplitSeq(res.Output, "\n") {
		if strings.HasSuffix(l, ":hit") {
			lines = append(lines, l)
		}
	}
	if !slices.IsSortedFunc(lines, func(a, b string) int {
		var fa, fb string
		var la, lb int
		fmt.Sscanf(strings.ReplaceAll(a, ":", " "), "%s %d", &fa, &la)
		fmt.Sscanf(strings.ReplaceAll(b, ":", " "), "%s %d", &fb, &lb)
		if c := strings.Compare(fa, fb); c != 0 {
			return c
		}
		return la - lb
	}) {
		t.Errorf("not sorted:\n%s", res.Output)
	}
}

func TestGrepCancelled(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.txt": "x\n"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := runToolErr(t, ctx, grepTool{}, env, map[string]any{"pattern": "x"}); err != context.Canceled {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// The matcher's shortcuts (literal search, whole-file search) must find
// exactly the lines a plain per-line match finds.
func TestLineMatcherAgreesWithPerLineMatch(t *testing.T) {
	texts := []string{
		"",
		"\n",
		"one line no newline",
		"foo\nbar\nfoobar\n\nbaz foo\n",
		"foo\r\nbar\r\nfoo bar\r\n",
		"abc\nab\nc\nabc",
		"a\n\n\nb\n",
		"func New(x)\nfunc NewT(y)\n  func NewAbc(z)\nfuncNew\n",
		"tab\there\nend.\n",
		"Foo\nfOO bar\nxfoo\nFO O\n",
		"\u212Aelvin\nKELVIN\nkelvin\nmaſk\nMASK\nnothing\n",
		"Deprecated: use X\ndeprecated:\nDEPRECATED\n",
	}
	patterns := []string{
		"foo", "bar$", "^foo", "^$", "^", "$", "x*", "a\\nb", `\s+`, `a\s*b`, "(?i)FOO", "foo|baz",
		`func New[A-Z]\w*\(`, `\bfoo\b`, `\Afoo`, `b\z`, "ab+c", "(ab)+", "c$", `\.`, "[^a]", "(?s)a.b",
		"(?i)kelvin", "(?i)k", "(?i)mask", "(?i)sk", "(?i)deprecated:", "(?i)fo+", "x(?i:oo)", "(?i)f.o",
		"foo|bar", "(?i)foo|BAR", "(?i)(kelvin|deprecated)", "e(?i)LV", "ſ", "(?i)ſ",
	}
	for _, pattern := range patterns {
		m, err := newLineMatcher(pattern)
		if err != nil {
			t.Fatalf("%q: %v", pattern, err)
		}
		plain := regexp.MustCompile(pattern)
		for _, text := range texts {
			data := []byte(text)
			var want, got []int
			n := 0
			for start := 0; start < len(data); {
				end := lineEnd(data, start)
				n++
				if plain.Match(trimCR(data[start:end])) {
					want = append(want, n)
				}
				start = end + 1
			}
			var scratch []byte
			m.each(data, &scratch, func(start, end int) bool {
				got = append(got, bytes.Count(data[:start], []byte{'\n'})+1)
				return true
			})
			if !slices.Equal(got, want) {
				t.Errorf("pattern %q on %q: lines %v, want %v", pattern, text, got, want)
			}
		}
	}
}

func TestRequiredNeedles(t *testing.T) {
	tests := map[string]string{
		`func New[A-Z]\w*\(`:  "func New",
		`\w+Error\(`:          "Error(",
		`(abc)+x`:             "abc",
		`a?bcd`:               "bcd",
		`x{2,}`:               "x",
		`foo|bar`:             "foo bar",
		`(?i)todo`:            "todo/i",
		`(?i)TODO:`:           "todo:/i",
		`(?i)kelvin`:          "elvin/i",
		`(?i)mask`:            "ma/i",
		`(?i)sk`:              "",
		`(?i)x+Y`:             "x/i",
		`Foo(?i:bar)`:         "Foo",
		`(?i)deprecated|TODO`: "deprecated/i todo/i",
		`a|b|c|d|e|f|g|h|i`:   "",
		`a|\w+`:               "",
		`\d+`:                 "",
		"a\nb":                "",
	}
	for pattern, want := range tests {
		m, err := newLineMatcher(pattern)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range m.needles {
			s := string(n.text)
			if n.fold {
				s += "/i"
			}
			got = append(got, s)
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%q: needles %q, want %q", pattern, g, want)
		}
	}
}
