package tools

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	outside := t.TempDir()
	writeTestFile(t, filepath.Join(outside, "target.txt"), "outside")
	env := newTestEnv(t, map[string]string{"old.txt": "old", "real.txt": "real", "dir/": ""})
	root := env.Root
	if err := os.Chmod(filepath.Join(root, "old.txt"), 0o751); err != nil {
		t.Fatal(err)
	}
	symlink(t, "real.txt", filepath.Join(root, "link.txt"))
	symlink(t, filepath.Join(outside, "target.txt"), filepath.Join(root, "out.txt"))
	symlink(t, filepath.Join(outside, "nothing-yet.txt"), filepath.Join(root, "dangling.txt"))
	symlink(t, outside, filepath.Join(root, "outdir"))

	tests := []struct {
		name    string
		args    map[string]any
		isError bool
		want    string
		file    string // path below root to check afterwards
		content string
	}{
		{"create", map[string]any{"path": "new.txt", "content": "hello\n"}, false,
			"wrote 6 bytes to new.txt (created)", "new.txt", "hello\n"},
		{"create with parents", map[string]any{"path": "a/b/c/new.txt", "content": "deep"}, false,
			"wrote 4 bytes to a/b/c/new.txt (created)", "a/b/c/new.txt", "deep"},
		{"replace", map[string]any{"path": "old.txt", "content": "new"}, false,
			"wrote 3 bytes to old.txt (replaced)", "old.txt", "new"},
		{"empty content", map[string]any{"path": "empty.txt", "content": ""}, false,
			"wrote 0 bytes to empty.txt (created)", "empty.txt", ""},
		{"through a link inside writes its target", map[string]any{"path": "link.txt", "content": "via link"}, false,
			"wrote 8 bytes to real.txt (replaced)", "real.txt", "via link"},
		{"link out", map[string]any{"path": "out.txt", "content": "x"}, true, "is outside the workspace", "", ""},
		{"dangling link out", map[string]any{"path": "dangling.txt", "content": "x"}, true, "is outside the workspace", "", ""},
		{"parent link out", map[string]any{"path": "outdir/new/file.txt", "content": "x"}, true, "is outside the workspace", "", ""},
		{"a directory", map[string]any{"path": "dir", "content": "x"}, true, `"dir" is a directory`, "", ""},
		{"under a file", map[string]any{"path": "old.txt/sub.txt", "content": "x"}, true, "not a directory", "", ""},
		{"missing content", map[string]any{"path": "x.txt"}, true, `missing required argument "content"`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runTool(t, writeTool{}, env, tt.args)
			check(t, res, tt.isError, []string{tt.want})
			if tt.file != "" {
				if got := readTestFile(t, filepath.Join(root, tt.file)); got != tt.content {
					t.Errorf("%s holds %q, want %q", tt.file, got, tt.content)
				}
			}
		})
	}
	if info, _ := os.Stat(filepath.Join(root, "old.txt")); info.Mode().Perm() != 0o751 {
		t.Errorf("replaced file has mode %v, want 0751", info.Mode().Perm())
	}
	if info, _ := os.Stat(filepath.Join(root, "new.txt")); info.Mode().Perm() != 0o644 {
		t.Errorf("new file has mode %v, want 0644", info.Mode().Perm())
	}
	if info, _ := os.Lstat(filepath.Join(root, "link.txt")); info.Mode()&os.ModeSymlink == 0 {
		t.Error("the link inside was replaced by a file")
	}
	if got := readTestFile(t, filepath.Join(outside, "target.txt")); got != "outside" {
		t.Errorf("outside target changed: %q", got)
	}
	if _, err := os.Stat(filepath.Join(outside, "nothing-yet.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a dangling link was followed out")
	}
	if _, err := os.Stat(filepath.Join(outside, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a directory was made outside")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".deckhand-") {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

// What write records is the version it wrote: an edit right after it goes
// through, and one after the file changed on disk is refused (which it
// would not be if write recorded nothing, as for a file never seen).
func TestWriteThenEditNeedsNoRead(t *testing.T) {
	env := newTestEnv(t, nil)
	runTool(t, writeTool{}, env, map[string]any{"path": "f.txt", "content": "one\n"})
	res := runTool(t, editTool{}, env, map[string]any{"path": "f.txt", "oldString": "one", "newString": "two"})
	check(t, res, false, []string{"-one", "+two"})

	runTool(t, writeTool{}, env, map[string]any{"path": "g.txt", "content": "alpha\n"})
	writeTestFile(t, filepath.Join(env.Root, "g.txt"), "alpha\nbeta\n")
	res = runTool(t, editTool{}, env, map[string]any{"path": "g.txt", "oldString": "alpha", "newString": "gamma"})
	check(t, res, true, []string{"changed on disk since you last read it"})
}

// Writing through a link inside the workspace replaces its target and keeps
// the target's mode; the link stays a link. A link found where the resolved
// path should be a file (one swapped in after the path was resolved) is
// refused, never replaced by a file with the link's own mode, 0777.
func TestWriteKeepsTheModeOfALinksTarget(t *testing.T) {
	env := newTestEnv(t, map[string]string{"target.txt": "old"})
	root := env.Root
	if err := os.Chmod(filepath.Join(root, "target.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	symlink(t, "target.txt", filepath.Join(root, "link.txt"))
	res := runTool(t, writeTool{}, env, map[string]any{"path": "link.txt", "content": "new"})
	check(t, res, false, []string{"wrote 3 bytes to target.txt (replaced)"})
	if info, err := os.Stat(filepath.Join(root, "target.txt")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("target mode: %v, %v; want 0600", info.Mode().Perm(), err)
	}
	if info, err := os.Lstat(filepath.Join(root, "link.txt")); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}

	_, res, ok := writeConfined(env, filepath.Join(root, "link.txt"), "link.txt", []byte("x"))
	if ok {
		t.Fatal("writeConfined replaced a link it was given as a resolved path")
	}
	check(t, res, true, []string{"became a symbolic link"})
	if info, err := os.Lstat(filepath.Join(root, "link.txt")); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	if got := readTestFile(t, filepath.Join(root, "target.txt")); got != "new" {
		t.Errorf("target holds %q", got)
	}
}
