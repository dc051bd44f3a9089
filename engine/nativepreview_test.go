package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/tools"
)

func TestPatchPreview(t *testing.T) {
	env, err := testHome(t, tools.HomeConfig{}).NewEnv(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"a.txt": "one\ntwo\n", "old.txt": "o\n", "gone.txt": "g\n"} {
		if err := os.WriteFile(filepath.Join(env.Root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	input := "*** Begin Patch\n*** Add File: n.txt\n+new\n*** Update File: a.txt\n@@\n one\n-two\n+2\n*** Update File: old.txt\n*** Move to: sub/new.txt\n*** Delete File: gone.txt\n*** End Patch"
	files, whole, msg, ok := patchPreview(env, input)
	if !ok {
		t.Fatal(msg)
	}
	want := []PreviewFile{
		{Path: "n.txt", Action: "add", Diff: "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1 @@\n+new\n"},
		{Path: "a.txt", Action: "update", Diff: "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n"},
		{Path: "old.txt", Action: "move", MovePath: "sub/new.txt", Diff: "--- a/old.txt\n+++ b/sub/new.txt\n"},
		{Path: "gone.txt", Action: "delete", Diff: "--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-g\n"},
	}
	if len(files) != len(want) {
		t.Fatalf("files %+v", files)
	}
	for i := range want {
		if files[i] != want[i] {
			t.Errorf("file %d: %+v\nwant %+v", i, files[i], want[i])
		}
	}
	// Whole before and after, for a face that draws its own diff: a move
	// at its destination, a deletion as the file emptied.
	wantWhole := []FileChange{
		{Path: filepath.Join(env.Root, "n.txt"), NewText: "new\n", Created: true},
		{Path: filepath.Join(env.Root, "a.txt"), OldText: "one\ntwo\n", NewText: "one\n2\n"},
		{Path: filepath.Join(env.Root, "sub", "new.txt"), OldText: "o\n", NewText: "o\n"},
		{Path: filepath.Join(env.Root, "gone.txt"), OldText: "g\n"},
	}
	if len(whole) != len(wantWhole) {
		t.Fatalf("whole %+v", whole)
	}
	for i := range wantWhole {
		if whole[i] != wantWhole[i] {
			t.Errorf("change %d: %+v\nwant %+v", i, whole[i], wantWhole[i])
		}
	}
	if _, err := os.Stat(filepath.Join(env.Root, "n.txt")); err == nil {
		t.Error("the preview wrote a file")
	}
	if _, _, msg, ok := patchPreview(env, "*** Begin Patch\n*** Update File: a.txt\n-zzz\n+y\n*** End Patch"); ok || !strings.Contains(msg, "apply_patch verification failed") {
		t.Errorf("a patch that cannot apply: ok %v, %q", ok, msg)
	}
	cmd, cwd, why := execPreview(env, `{"cmd":"make test && rm -rf build","workdir":"sub","justification":"needs network"}`)
	if cmd != "make test && rm -rf build" || cwd != filepath.Join(env.Root, "sub") || why != "needs network" {
		t.Errorf("exec preview %q %q %q", cmd, cwd, why)
	}
}
