package tools

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name          string
		existed       bool
		before, after string
		want          string
	}{
		{"new file", false, "", "one\ntwo\n", "--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n"},
		{"new file without final newline", false, "", "one\ntwo", "--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n\\ No newline at end of file\n"},
		{"new empty file", false, "", "", "--- /dev/null\n+++ b/a.txt\n"},
		{"unchanged", true, "same\n", "same\n", ""},
		{"one line changed", true, "a\nb\nc\n", "a\nB\nc\n", "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Diff("a.txt", tt.existed, tt.before, tt.after); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// A diff applies: the hunks it shows take the old content to the new.
func TestDiffRoundTrip(t *testing.T) {
	before := strings.Repeat("line\n", 50) + "middle\n" + strings.Repeat("tail\n", 50)
	after := strings.Replace(before, "middle\n", "changed\nadded\n", 1)
	d := Diff("f.go", true, before, after)
	if !strings.Contains(d, "-middle\n+changed\n+added\n") || strings.Count(d, "@@ ") != 1 || !strings.HasPrefix(d, "--- a/f.go\n+++ b/f.go\n@@ -48,7 +48,8 @@") {
		t.Fatalf("diff:\n%s", d)
	}
	got, err := udiff.Apply(before, udiff.Strings(before, after))
	if err != nil || got != after {
		t.Fatalf("apply: %v", err)
	}
}

func TestDiffTooLarge(t *testing.T) {
	big := strings.Repeat("x\n", diffMaxInput)
	d := Diff("big.txt", true, big, big+"y\n")
	if !strings.Contains(d, "too large to show a diff") || len(d) > 200 {
		t.Errorf("diff of a huge file: %.200q (%d bytes)", d, len(d))
	}
}

func TestPropose(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.txt": "alpha\nbeta\n", "crlf.txt": "one\r\ntwo\r\n"})
	tests := []struct {
		name, tool string
		args       any
		want       Proposal
		fails      string
	}{
		{"write new", "write", map[string]any{"path": "dir/new.txt", "content": "hi\n"},
			Proposal{Path: "dir/new.txt", After: "hi\n"}, ""},
		{"write over", "write", map[string]any{"path": "a.txt", "content": "x"},
			Proposal{Path: "a.txt", Existed: true, Before: "alpha\nbeta\n", After: "x"}, ""},
		{"edit", "edit", map[string]any{"path": "./a.txt", "oldString": "beta", "newString": "gamma"},
			Proposal{Path: "a.txt", Existed: true, Before: "alpha\nbeta\n", After: "alpha\ngamma\n"}, ""},
		{"edit keeps CRLF", "edit", map[string]any{"path": "crlf.txt", "oldString": "two", "newString": "2"},
			Proposal{Path: "crlf.txt", Existed: true, Before: "one\r\ntwo\r\n", After: "one\r\n2\r\n"}, ""},
		{"edit creates", "edit", map[string]any{"path": "n.txt", "oldString": "", "newString": "new"},
			Proposal{Path: "n.txt", After: "new"}, ""},
		{"edit no match", "edit", map[string]any{"path": "a.txt", "oldString": "zeta", "newString": "z"}, Proposal{}, "was not found"},
		{"edit missing", "edit", map[string]any{"path": "nope.txt", "oldString": "a", "newString": "b"}, Proposal{}, "not found"},
		{"outside", "write", map[string]any{"path": "../escape.txt", "content": "x"}, Proposal{}, "outside the workspace"},
		{"bash", "bash", map[string]any{"command": "ls"}, Proposal{}, "changes no file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, _ := json.Marshal(tt.args)
			got, res, ok := Propose(env, tt.tool, args)
			if tt.fails != "" {
				if ok || !res.IsError || !strings.Contains(res.Output, tt.fails) {
					t.Fatalf("want a failure with %q, got ok=%v %q", tt.fails, ok, res.Output)
				}
				return
			}
			if !ok || got != tt.want {
				t.Fatalf("got %+v (%q), want %+v", got, res.Output, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(env.Root, "dir")); err == nil {
		t.Errorf("a proposal created a directory")
	}
}

func TestReadAndRestoreState(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.txt": "old\n"})
	os.Chmod(filepath.Join(env.Root, "a.txt"), 0o600)
	before, err := ReadState(env, "a.txt", 1<<20)
	if err != nil || !before.Exists || string(before.Content) != "old\n" || before.Mode != 0o600 {
		t.Fatalf("state %+v, %v", before, err)
	}
	missing, err := ReadState(env, "sub/b.txt", 1<<20)
	if err != nil || missing.Exists || missing.Path != "sub/b.txt" {
		t.Fatalf("missing file: %+v, %v", missing, err)
	}
	writeTestFile(t, filepath.Join(env.Root, "a.txt"), "new\n")
	writeTestFile(t, filepath.Join(env.Root, "sub/b.txt"), "created\n")
	if err := RestoreState(env, before); err != nil {
		t.Fatal(err)
	}
	if err := RestoreState(env, missing); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(env.Root, "a.txt"))
	info, _ := os.Stat(filepath.Join(env.Root, "a.txt"))
	if string(b) != "old\n" || info.Mode().Perm() != 0o600 {
		t.Errorf("a.txt back to %q, mode %v", b, info.Mode())
	}
	if _, err := os.Stat(filepath.Join(env.Root, "sub/b.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file the turn created is still there: %v", err)
	}
	if _, err := ReadState(env, "a.txt", 2); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	symlink(t, "/etc/hostname", filepath.Join(env.Root, "out"))
	if _, err := ReadState(env, "out", 1<<20); !errors.Is(err, ErrOutsideWorkspace) {
		t.Errorf("a link to the outside: %v", err)
	}
}

// deckhand's own home is never read or written through a file state, even
// with the workspace around it.
func TestStateRefusesDeckhandsHome(t *testing.T) {
	env := newTestEnv(t, map[string]string{"dh/auth.json": `{"openai":{"key":"sk-secret"}}`, "a.txt": "a"})
	env.Home = newTestHome(t, HomeConfig{Dir: filepath.Join(env.Root, "dh")})
	if st, err := ReadState(env, "dh/auth.json", 1<<20); !errors.Is(err, ErrPrivate) || len(st.Content) != 0 {
		t.Errorf("ReadState in deckhand's home: %v", err)
	}
	if err := RestoreState(env, FileState{Path: "dh/auth.json", Exists: true, Content: []byte("x")}); !errors.Is(err, ErrPrivate) {
		t.Errorf("RestoreState in deckhand's home: %v", err)
	}
	args, _ := json.Marshal(map[string]string{"path": "dh/auth.json", "content": "x"})
	if _, res, ok := Propose(env, "write", args); ok || !strings.Contains(res.Output, "deckhand's own data folder") {
		t.Errorf("Propose in deckhand's home: %v %q", ok, res.Output)
	}
}
