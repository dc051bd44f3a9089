package patch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	text := "*** Begin Patch\n" +
		"*** Add File: a.txt\n+one\n+\n" +
		"*** Update File: b.go\n*** Move to: c.go\n@@ func f() {\n-\tx := 1\n+\tx := 2\n \treturn\n\n*** End of File\n" +
		"*** Delete File: d.txt\n" +
		"*** End Patch\n"
	p, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []Op{
		{Action: Add, Path: "a.txt", Content: "one\n\n"},
		{Action: Move, Path: "b.go", MovePath: "c.go", Hunks: []Hunk{{
			Anchor: "func f() {", Old: []string{"\tx := 1", "\treturn", ""}, New: []string{"\tx := 2", "\treturn", ""},
			AtEOF: true, Line: 7, context: []int{-1, 1, 2},
		}}},
		{Action: Delete, Path: "d.txt"},
	}
	if !reflect.DeepEqual(p.Ops, want) {
		t.Errorf("got  %+v\nwant %+v", p.Ops, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"no begin", "*** Add File: a\n+a\n*** End Patch", "the first line must be"},
		{"only begin", "*** Begin Patch", "the last line must be"},
		{"add line without plus", "*** Begin Patch\n*** Add File: a\nplain\n*** End Patch", "line 3: every line of an added file must start with '+'"},
		{"header without path", "*** Begin Patch\n*** Delete File:   \n*** End Patch", "line 2: \"*** Delete File:\" needs a path"},
		{"update without hunks", "*** Begin Patch\n*** Update File: a\n*** End Patch", "has no hunk"},
		{"empty hunk", "*** Begin Patch\n*** Update File: a\n@@\n@@\n-a\n*** End Patch", "line 3: the hunk has no lines"},
		{"move without update", "*** Begin Patch\n*** Move to: b\n*** End Patch", "expected a file header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.text)
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a ParseError containing %q", err, tt.want)
			}
		})
	}
}

// Every marker the parser knows is in the grammar the model is held to.
func TestGrammarNamesTheMarkers(t *testing.T) {
	for _, m := range []string{beginMarker, endMarker, addHeader, deleteHeader, updateHeader, moveHeader, eofMarker, `"@@"`, "start:"} {
		if !strings.Contains(Grammar, m) {
			t.Errorf("grammar lacks %q", m)
		}
	}
}

// failingFiles is Files on a Dir whose n-th write fails.
type failingFiles struct {
	Dir
	writes, failAt int
}

func (f *failingFiles) WriteFile(name string, data []byte) error {
	f.writes++
	if f.writes == f.failAt {
		return fmt.Errorf("disk full")
	}
	return f.Dir.WriteFile(name, data)
}

// A write that fails half way through a patch takes back the writes before
// it: the workspace is as it was.
func TestCommitRollsBack(t *testing.T) {
	root := t.TempDir()
	before := map[string]string{"a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n"}
	writeTree(t, root, before)
	text := "*** Begin Patch\n*** Update File: a.txt\n-a\n+A\n*** Add File: new/n.txt\n+n\n*** Delete File: b.txt\n*** Update File: c.txt\n-c\n+C\n*** End Patch"
	files := &failingFiles{Dir: Dir{Root: root}, failAt: 3}
	_, err := Apply(files, root, text)
	if err == nil || !strings.Contains(err.Error(), "update c.txt: disk full") {
		t.Fatalf("apply: %v", err)
	}
	sameTree(t, "after a failed write", readTree(t, root), before)
}

// A symbolic link to the outside is refused by Dir, reading and writing.
func TestDirRefusesLinksOut(t *testing.T) {
	outside := t.TempDir()
	root := t.TempDir()
	writeTree(t, outside, map[string]string{"secret.txt": "s\n"})
	if err := os.Symlink(outside, filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"*** Begin Patch\n*** Update File: out/secret.txt\n-s\n+x\n*** End Patch",
		"*** Begin Patch\n*** Add File: out/new.txt\n+x\n*** End Patch",
	} {
		_, err := Apply(Dir{Root: root}, root, text)
		if !errors.Is(err, ErrOutside) && (err == nil || !strings.Contains(err.Error(), "outside")) {
			t.Errorf("apply through a link out: %v", err)
		}
	}
	sameTree(t, "outside", readTree(t, outside), map[string]string{"secret.txt": "s\n"})
}

func TestSummaryAndDiff(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"m.txt": "1\n2\n", "d.txt": "d\n", "from.txt": "f\n"})
	text := "*** Begin Patch\n*** Delete File: d.txt\n*** Update File: m.txt\n@@\n 1\n-2\n+two\n*** Add File: a.txt\n+a\n*** Update File: from.txt\n*** Move to: to.txt\n*** End Patch"
	changes, err := Apply(Dir{Root: root}, root, text)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Summary(changes), "Success. Updated the following files:\nA a.txt\nM m.txt\nM to.txt\nD d.txt\n"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	wantDiffs := map[string]string{
		"d.txt":    "--- a/d.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-d\n",
		"m.txt":    "--- a/m.txt\n+++ b/m.txt\n@@ -1,2 +1,2 @@\n 1\n-2\n+two\n",
		"a.txt":    "--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+a\n",
		"from.txt": "--- a/from.txt\n+++ b/to.txt\n",
	}
	for _, c := range changes {
		if c.Diff != wantDiffs[c.Path] {
			t.Errorf("%s diff:\n%q\nwant\n%q", c.Path, c.Diff, wantDiffs[c.Path])
		}
	}
	if got := Paths(changes); !reflect.DeepEqual(got, []string{"d.txt", "m.txt", "a.txt", "from.txt", "to.txt"}) {
		t.Errorf("paths %v", got)
	}
}

// FuzzParse: the parser never panics, and whatever it accepts is usable:
// every op has a path and an action, and planning it against an empty
// workspace fails cleanly or succeeds.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.case")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		if _, after, ok := strings.Cut(string(data), "-- patch --\n"); ok {
			patch, _, _ := strings.Cut(after, "\n-- ")
			f.Add(patch)
		}
	}
	f.Add("*** Begin Patch\n*** Update File: a\n@@ x\n-\n+\n*** End of File\n*** End Patch")
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse(text)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if len(p.Ops) == 0 {
			t.Fatal("accepted a patch with no operation")
		}
		for _, op := range p.Ops {
			if op.Path == "" || (op.Action == Move && op.MovePath == "") {
				t.Fatalf("op without a path: %+v", op)
			}
			for _, h := range op.Hunks {
				if len(h.context) != len(h.New) {
					t.Fatalf("context map of %d for %d new lines", len(h.context), len(h.New))
				}
			}
		}
		if _, err := Plan(emptyFiles{}, root, p); err != nil {
			var pe *Error
			if !errors.As(err, &pe) && !errors.Is(err, ErrOutside) {
				t.Fatalf("plan error of type %T: %v", err, err)
			}
		}
	})
}

// emptyFiles is a workspace with no file, which refuses writes.
type emptyFiles struct{}

func (emptyFiles) ReadFile(string) ([]byte, error) { return nil, fs.ErrNotExist }
func (emptyFiles) WriteFile(string, []byte) error  { return errors.New("read-only") }
func (emptyFiles) Remove(string) error             { return errors.New("read-only") }

func TestLocal(t *testing.T) {
	root := filepath.FromSlash("/ws/project")
	tests := []struct{ in, want string }{
		{"a.txt", "a.txt"},
		{"./src//b.go", "src/b.go"},
		{"sub/../a.txt", "a.txt"},
		{"/ws/project/src/c.go", "src/c.go"},
		{"../x", ""},
		{"sub/../../x", ""},
		{"/etc/passwd", ""},
	}
	for _, root := range []string{"/ws/project", "."} {
		if got, err := Local(root, root); err == nil {
			t.Errorf("Local(root) = %q: the root is not a file", got)
		}
	}
	for _, tt := range tests {
		got, err := Local(root, tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrOutside) {
				t.Errorf("Local(%q) = %q, %v; want refused as outside", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Local(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
