package tools

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func numbered(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func TestRead(t *testing.T) {
	long := strings.Repeat("é", 2500)
	wide := strings.Repeat(strings.Repeat("x", 1000)+"\n", 400) // 400 KB in 400 lines
	env := newTestEnv(t, map[string]string{
		"small.txt":   "alpha\nbeta\ngamma\n",
		"nofinal.txt": "one\ntwo",
		"empty.txt":   "",
		"crlf.txt":    "first\r\nsecond\r\n",
		"many.txt":    numbered(1, 2500),
		"long.txt":    "short\n" + long + "\nafter\n",
		"wide.txt":    wide,
		"nul.bin":     "text\x00more text",
		"latin1.txt":  strings.Repeat("caf\xe9 na\xefve \xff\xfe", 50),
		"utf8.txt":    "grüße, 日本語\n",
		"sub/":        "",
	})
	tests := []struct {
		name     string
		args     map[string]any
		isError  bool
		want     []string
		unwanted []string
	}{
		{"numbered lines", map[string]any{"path": "small.txt"}, false,
			[]string{"     1\talpha\n     2\tbeta\n     3\tgamma"}, []string{"file has"}},
		{"no final newline", map[string]any{"path": "nofinal.txt"}, false, []string{"     2\ttwo"}, []string{"     3"}},
		{"empty file", map[string]any{"path": "empty.txt"}, false, []string{"(empty file)"}, nil},
		{"crlf stripped", map[string]any{"path": "crlf.txt"}, false, []string{"     1\tfirst\n     2\tsecond"}, []string{"\r"}},
		{"utf-8 text", map[string]any{"path": "utf8.txt"}, false, []string{"grüße, 日本語"}, nil},
		{"default limit", map[string]any{"path": "many.txt"}, false,
			[]string{"  2000\tline 2000\n", "(file has 2500 lines; showing 1-2000. Call read with offset=2001 to read on.)"},
			[]string{"line 2001"}},
		{"offset and limit", map[string]any{"path": "many.txt", "offset": 10, "limit": 3}, false,
			[]string{"    10\tline 10\n    11\tline 11\n    12\tline 12", "showing 10-12. Call read with offset=13"},
			[]string{"line 9\n", "line 13"}},
		{"offset to the end", map[string]any{"path": "many.txt", "offset": 2400}, false,
			[]string{"  2500\tline 2500"}, []string{"file has", "line 2399"}},
		{"offset past the end", map[string]any{"path": "small.txt", "offset": 9}, true,
			[]string{"offset 9 is past the end", "3 lines"}, nil},
		{"long line cut", map[string]any{"path": "long.txt"}, false,
			[]string{"     2\t" + strings.Repeat("é", 2000) + " ... [line cut", "     3\tafter"},
			[]string{strings.Repeat("é", 2001)}},
		{"output cap", map[string]any{"path": "wide.txt"}, false,
			[]string{"output is capped at 256 KiB", "file has 400 lines"}, []string{"   400\t"}},
		{"binary with NUL", map[string]any{"path": "nul.bin"}, true, []string{"binary file, not shown"}, []string{"more text"}},
		{"mostly invalid UTF-8", map[string]any{"path": "latin1.txt"}, true, []string{"binary file"}, nil},
		{"directory", map[string]any{"path": "sub"}, true, []string{"is a directory", "use list"}, nil},
		{"missing", map[string]any{"path": "nope.txt"}, true, []string{`file "nope.txt" not found`}, nil},
		{"empty path", map[string]any{"path": ""}, true, []string{"path must not be empty"}, nil},
		{"negative offset", map[string]any{"path": "small.txt", "offset": -1}, true, []string{"offset must be"}, nil},
		{"negative limit", map[string]any{"path": "small.txt", "limit": -1}, true, []string{"limit must be 1 or more"}, nil},
		{"largest limit does not wrap", map[string]any{"path": "small.txt", "offset": 2, "limit": int64(math.MaxInt64)}, false,
			[]string{"     2\tbeta\n     3\tgamma"}, []string{"file has", "alpha", "showing"}},
		{"largest offset", map[string]any{"path": "small.txt", "offset": int64(math.MaxInt64), "limit": int64(math.MaxInt64)}, true,
			[]string{"is past the end", "3 lines"}, nil},
		{"limit as string", map[string]any{"path": "small.txt", "limit": "5"}, true, []string{`"limit" must be of type integer`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runTool(t, readTool{}, env, tt.args)
			check(t, res, tt.isError, tt.want, tt.unwanted...)
		})
	}
}

func TestReadOutputCapNote(t *testing.T) {
	env := newTestEnv(t, map[string]string{"wide.txt": strings.Repeat(strings.Repeat("y", 1000)+"\n", 400)})
	res := runTool(t, readTool{}, env, map[string]any{"path": "wide.txt"})
	if len(res.Output) > readMaxOutput+200 {
		t.Errorf("output is %d bytes, over the cap", len(res.Output))
	}
	// The note names the next line to read, and reading from there goes on.
	i := strings.Index(res.Output, "offset=")
	if i < 0 {
		t.Fatalf("no offset in note: %s", res.Output[len(res.Output)-200:])
	}
	var next int
	fmt.Sscanf(res.Output[i:], "offset=%d", &next)
	lastShown := strings.Count(res.Output, "\t")
	if next != lastShown+1 {
		t.Errorf("note says offset=%d after %d lines shown", next, lastShown)
	}
	res = runTool(t, readTool{}, env, map[string]any{"path": "wide.txt", "offset": next})
	check(t, res, false, []string{fmt.Sprintf("%6d\t", next)})
}

func TestReadRecordsLedger(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.txt": "a\n"})
	real := filepath.Join(env.Root, "a.txt")
	if _, ok := env.Ledger.lookup(real); ok {
		t.Fatal("recorded before read")
	}
	runTool(t, readTool{}, env, map[string]any{"path": "a.txt", "limit": 1})
	s, ok := env.Ledger.lookup(real)
	if !ok || s.size != 2 {
		t.Errorf("ledger after read: %+v, %v", s, ok)
	}
}
