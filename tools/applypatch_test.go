package tools

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestApplyPatchTool(t *testing.T) {
	env := newTestEnv(t, map[string]string{"upd.txt": "one\ntwo\n", "mv.txt": "m\n", "del.txt": "d\n"})
	input := "*** Begin Patch\n*** Add File: dir/new.txt\n+hello\n*** Update File: upd.txt\n@@\n one\n-two\n+TWO\n*** Update File: mv.txt\n*** Move to: moved/mv.txt\n@@\n-m\n+M\n*** Delete File: del.txt\n*** End Patch\n"
	if got := PatchPaths(env, input); !reflect.DeepEqual(got, []string{"dir/new.txt", "upd.txt", "mv.txt", "moved/mv.txt", "del.txt"}) {
		t.Errorf("PatchPaths = %v", got)
	}
	changes, res, ok := PlanPatch(env, input)
	if !ok || len(changes) != 4 {
		t.Fatalf("plan: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(env.Root, "dir/new.txt")); err == nil {
		t.Fatal("planning wrote a file")
	}
	res = runTool(t, ApplyPatchTool(), env, input) // a JSON string, as a wrapped input
	check(t, res, false, []string{"Exit code: 0\nWall time: ", "Output:\nSuccess. Updated the following files:\nA dir/new.txt\nM upd.txt\nM moved/mv.txt\nD del.txt\n"})
	for path, want := range map[string]string{"dir/new.txt": "hello\n", "upd.txt": "one\nTWO\n", "moved/mv.txt": "M\n"} {
		if got := readTestFile(t, filepath.Join(env.Root, path)); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	for _, gone := range []string{"mv.txt", "del.txt"} {
		if _, err := os.Stat(filepath.Join(env.Root, gone)); err == nil {
			t.Errorf("%s still exists", gone)
		}
	}
}

// A patch that cannot apply, in any file, changes nothing; a link to the
// outside is refused as write refuses it.
func TestApplyPatchRefusals(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.txt": "a\n"})
	outside := t.TempDir()
	writeTestFile(t, filepath.Join(outside, "o.txt"), "o\n")
	symlink(t, outside, filepath.Join(env.Root, "out"))
	tests := []struct{ name, input, want string }{
		{"through a link", "*** Begin Patch\n*** Update File: a.txt\n-a\n+b\n*** Update File: out/o.txt\n-o\n+x\n*** End Patch", "outside the workspace"},
		{"add through a link", "*** Begin Patch\n*** Update File: a.txt\n-a\n+b\n*** Add File: out/new.txt\n+x\n*** End Patch", "outside the workspace"},
		{"dotdot", "*** Begin Patch\n*** Update File: a.txt\n-a\n+b\n*** Delete File: ../x\n*** End Patch", "outside the workspace"},
		{"named twice", "*** Begin Patch\n*** Update File: a.txt\n-a\n+b\n*** Update File: a.txt\n-zzz\n+y\n*** End Patch", "named twice"},
		{"no match", "*** Begin Patch\n*** Add File: b.txt\n+b\n*** Update File: a.txt\n-zzz\n+y\n*** End Patch", "Failed to find the expected lines of hunk 1 of 1"},
		{"malformed", "*** Begin Patch\n*** Frobnicate: a.txt\n*** End Patch", "expected a file header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runTool(t, ApplyPatchTool(), env, map[string]string{"input": tt.input})
			check(t, res, true, []string{"apply_patch verification failed: ", tt.want})
			if got := readTestFile(t, filepath.Join(env.Root, "a.txt")); got != "a\n" {
				t.Errorf("a.txt = %q after a failed patch", got)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(outside, "new.txt")); err == nil {
		t.Error("a file was written outside")
	}
	if got := readTestFile(t, filepath.Join(outside, "o.txt")); got != "o\n" {
		t.Errorf("outside file = %q", got)
	}
}

func TestPatchInput(t *testing.T) {
	for in, want := range map[string]string{
		`"*** Begin Patch"`:              "*** Begin Patch",
		`{"input":"x"}`:                  "x",
		`{"patch":"y"}`:                  "y",
		"*** Begin Patch\n*** End Patch": "*** Begin Patch\n*** End Patch",
	} {
		if got := PatchInput([]byte(in)); got != want {
			t.Errorf("PatchInput(%q) = %q", in, got)
		}
	}
	if !strings.Contains(ApplyPatchTool().Description(), "freeform") {
		t.Error("description does not say the tool is freeform")
	}
}
