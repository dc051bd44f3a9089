package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// editEnv makes a workspace with one file that the model has read.
func editEnv(t *testing.T, name, content string) *Env {
	t.Helper()
	env := newTestEnv(t, map[string]string{name: content})
	if res := runTool(t, readTool{}, env, map[string]any{"path": name}); res.IsError {
		t.Fatalf("read: %s", res.Output)
	}
	return env
}

const mainGo = "package main\n\nfunc main() {\n\tx := 1\n\tif x > 0 {\n\t\tprintln(x)\n\t}\n\tprintln(x)\n}\n"

func TestEdit(t *testing.T) {
	tests := []struct {
		name    string
		content string
		args    map[string]any
		isError bool
		want    []string
		after   string // the file afterwards; "" means unchanged
	}{
		{"one match, with diff", mainGo,
			map[string]any{"oldString": "x := 1", "newString": "x := 2"}, false,
			[]string{"edited f.go: replaced 1 occurrence", "--- a/f.go\n+++ b/f.go\n", "@@ -1,7 +1,7 @@", "-\tx := 1\n+\tx := 2\n"},
			strings.Replace(mainGo, "x := 1", "x := 2", 1)},
		{"several matches", mainGo,
			map[string]any{"oldString": "println(x)", "newString": "print(x)"}, true,
			[]string{"oldString occurs 2 times in f.go (at line 6, line 8)", "add surrounding lines", "replaceAll"}, ""},
		{"several multi-line matches", "a\nb\na\nb\n",
			map[string]any{"oldString": "a\nb\n", "newString": "c\n"}, true,
			[]string{"occurs 2 times in f.go (at lines 1-2, lines 3-4)"}, ""},
		{"replaceAll", mainGo,
			map[string]any{"oldString": "println(x)", "newString": "print(x)", "replaceAll": true}, false,
			[]string{"replaced 2 occurrences"},
			strings.ReplaceAll(mainGo, "println(x)", "print(x)")},
		{"indentation differs", mainGo,
			map[string]any{"oldString": "    if x > 0 {\n        println(x)\n    }", "newString": "if true {}"}, true,
			[]string{"matches lines 5-7 only if indentation is ignored", "tabs"}, ""},
		{"trailing whitespace differs", "a = 1  \nb = 2\n",
			map[string]any{"oldString": "a = 1\nb = 2", "newString": "x"}, true,
			[]string{"matches lines 1-2 only if trailing whitespace is ignored"}, ""},
		{"inner whitespace differs", mainGo,
			map[string]any{"oldString": "x:=1", "newString": "x := 3"}, true,
			[]string{"matches line 4 only if whitespace is ignored"}, ""},
		{"line numbers copied", mainGo,
			map[string]any{"oldString": "     4\tx := 1\n     5\tif x > 0 {", "newString": "y"}, true,
			[]string{"line-number prefixes"}, ""},
		{"first line found, rest differs", mainGo,
			map[string]any{"oldString": "func main() {\n\ty := 1", "newString": "z"}, true,
			[]string{"its first line occurs at line 3, but the lines after it differ"}, ""},
		{"not found at all", mainGo,
			map[string]any{"oldString": "nothing like it", "newString": "z"}, true,
			[]string{"oldString was not found in f.go; read the file again"}, ""},
		{"same strings", mainGo,
			map[string]any{"oldString": "x", "newString": "x"}, true,
			[]string{"the same"}, ""},
		{"empty oldString on an existing file", mainGo,
			map[string]any{"oldString": "", "newString": "y"}, true,
			[]string{"already exists", "use write"}, ""},
		{"CRLF file edited with LF strings keeps CRLF", "one\r\ntwo\r\nthree\r\n",
			map[string]any{"oldString": "one\ntwo\n", "newString": "uno\ndos\n"}, false,
			[]string{"-one\n-two\n+uno\n+dos\n"},
			"uno\r\ndos\r\nthree\r\n"},
		{"CRLF file edited with CRLF strings", "one\r\ntwo\r\n",
			map[string]any{"oldString": "two\r\n", "newString": "deux\r\n"}, false,
			nil, "one\r\ndeux\r\n"},
		{"oldString without type", mainGo,
			map[string]any{"oldString": 5, "newString": "x"}, true,
			[]string{`"oldString" must be of type string`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := editEnv(t, "f.go", tt.content)
			args := map[string]any{"path": "f.go"}
			for k, v := range tt.args {
				args[k] = v
			}
			res := runTool(t, editTool{}, env, args)
			check(t, res, tt.isError, tt.want)
			want := tt.after
			if want == "" {
				want = tt.content
			}
			if got := readTestFile(t, filepath.Join(env.Root, "f.go")); got != want {
				t.Errorf("file holds %q, want %q", got, want)
			}
		})
	}
}

// A file never read in the session can be edited when oldString matches
// exactly; the staleness check applies to files the model has read.
func TestEditWithoutReadNeedsAnExactMatch(t *testing.T) {
	env := newTestEnv(t, map[string]string{"f.txt": "hello\n"})
	res := runTool(t, editTool{}, env, map[string]any{"path": "f.txt", "oldString": "helo", "newString": "bye"})
	check(t, res, true, []string{"not found"})
	if got := readTestFile(t, filepath.Join(env.Root, "f.txt")); got != "hello\n" {
		t.Errorf("file changed: %q", got)
	}
	res = runTool(t, editTool{}, env, map[string]any{"path": "f.txt", "oldString": "hello", "newString": "bye"})
	check(t, res, false, []string{"-hello", "+bye"})
	if got := readTestFile(t, filepath.Join(env.Root, "f.txt")); got != "bye\n" {
		t.Errorf("file holds %q", got)
	}
}

func TestEditRefusesStaleFile(t *testing.T) {
	tests := []struct {
		name   string
		change func(path string) error
		stale  bool
	}{
		{"content changed, same size", func(p string) error { return os.WriteFile(p, []byte("HELLO\n"), 0o644) }, true},
		{"content grew", func(p string) error { return os.WriteFile(p, []byte("hello there\n"), 0o644) }, true},
		{"only touched", func(p string) error {
			ts := time.Now().Add(time.Hour)
			return os.Chtimes(p, ts, ts)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := editEnv(t, "f.txt", "hello\n")
			path := filepath.Join(env.Root, "f.txt")
			if err := tt.change(path); err != nil {
				t.Fatal(err)
			}
			res := runTool(t, editTool{}, env, map[string]any{"path": "f.txt", "oldString": "ell", "newString": "ELL"})
			if !tt.stale {
				check(t, res, false, []string{"replaced 1 occurrence"})
				return
			}
			check(t, res, true, []string{"changed on disk since you last read it; read it again"})
			// Reading again makes the edit possible.
			runTool(t, readTool{}, env, map[string]any{"path": "f.txt"})
			res = runTool(t, editTool{}, env, map[string]any{"path": "f.txt", "oldString": "\n", "newString": "!\n"})
			check(t, res, false, []string{"replaced 1 occurrence"})
		})
	}
}

func TestEditAfterEditNeedsNoRead(t *testing.T) {
	env := editEnv(t, "f.txt", "a b c\n")
	for _, step := range [][2]string{{"a", "A"}, {"b", "B"}, {"c", "C"}} {
		res := runTool(t, editTool{}, env, map[string]any{"path": "f.txt", "oldString": step[0], "newString": step[1]})
		check(t, res, false, []string{"replaced 1 occurrence"})
	}
	if got := readTestFile(t, filepath.Join(env.Root, "f.txt")); got != "A B C\n" {
		t.Errorf("file holds %q", got)
	}
}

func TestEditKeepsModeAndCreates(t *testing.T) {
	env := editEnv(t, "run.sh", "echo hi\n")
	path := filepath.Join(env.Root, "run.sh")
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
	runTool(t, readTool{}, env, map[string]any{"path": "run.sh"})
	check(t, runTool(t, editTool{}, env, map[string]any{"path": "run.sh", "oldString": "hi", "newString": "ho"}), false, nil)
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", info.Mode().Perm())
	}

	res := runTool(t, editTool{}, env, map[string]any{"path": "new/file.txt", "oldString": "", "newString": "fresh\n"})
	check(t, res, false, []string{"created new/file.txt (6 bytes)", "+fresh"})
	if got := readTestFile(t, filepath.Join(env.Root, "new/file.txt")); got != "fresh\n" {
		t.Errorf("created file holds %q", got)
	}
	res = runTool(t, editTool{}, env, map[string]any{"path": "missing.txt", "oldString": "a", "newString": "b"})
	check(t, res, true, []string{`file "missing.txt" not found`})
}

func TestEditRefusesBinary(t *testing.T) {
	env := newTestEnv(t, map[string]string{"b.bin": "ab\x00cd"})
	res := runTool(t, editTool{}, env, map[string]any{"path": "b.bin", "oldString": "ab", "newString": "xy"})
	check(t, res, true, []string{"binary file"})
}

// replaceAll that would blow a file up past the edit limit is refused
// before anything is built; a huge diff is summarised, not returned.
func TestEditBounds(t *testing.T) {
	big := strings.Repeat("x\n", 200<<10)
	env := newTestEnv(t, map[string]string{"f.txt": big})
	res := runTool(t, editTool{}, env, map[string]any{"path": "f.txt", "oldString": "x", "newString": strings.Repeat("y", 1<<10), "replaceAll": true})
	check(t, res, true, []string{"over the 64 MiB edit writes"})
	if got := readTestFile(t, filepath.Join(env.Root, "f.txt")); got != big {
		t.Errorf("the refused edit changed the file")
	}
	res = runTool(t, editTool{}, env, map[string]any{"path": "f.txt", "oldString": "x", "newString": "yy", "replaceAll": true})
	check(t, res, false, []string{"replaced 204800 occurrences", "not shown"})
	if len(res.Output) > 1<<10 {
		t.Errorf("edit returned %d bytes", len(res.Output))
	}
}
