package tools

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A directory on the path of a write that is swapped for a link to the
// outside after the path was resolved and checked must not carry the write
// out: nothing is created or changed outside, and the call fails with the
// usual outside-the-workspace text. The swap is made deterministic by the
// beforeWrite hook, which runs between the checks and the first write.
func TestWriteRaceWithASwappedDirectory(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string // the workspace before the call
		read     string            // read first, for edit
		tool     Tool
		args     map[string]any
		swap     string // the directory swapped for a link to outside
		relative bool   // a relative link rather than an absolute one
	}{
		{"write a new file", map[string]string{"a/": ""}, "", writeTool{},
			map[string]any{"path": "a/new.txt", "content": "x"}, "a", false},
		{"write a new file through a relative link", map[string]string{"a/": ""}, "", writeTool{},
			map[string]any{"path": "a/new.txt", "content": "x"}, "a", true},
		{"write below a directory just made", nil, "", writeTool{},
			map[string]any{"path": "a/b/new.txt", "content": "x"}, "a", false},
		{"write a new file in a deeper directory", map[string]string{"a/b/": ""}, "", writeTool{},
			map[string]any{"path": "a/b/new.txt", "content": "x"}, "a/b", false},
		{"replace a file", map[string]string{"a/f.txt": "inside\n"}, "", writeTool{},
			map[string]any{"path": "a/f.txt", "content": "x"}, "a", false},
		{"edit a file", map[string]string{"a/f.txt": "inside\n"}, "a/f.txt", editTool{},
			map[string]any{"path": "a/f.txt", "oldString": "inside", "newString": "edited"}, "a", false},
		{"edit a file through a relative link", map[string]string{"a/f.txt": "inside\n"}, "a/f.txt", editTool{},
			map[string]any{"path": "a/f.txt", "oldString": "inside", "newString": "edited"}, "a", true},
		{"create a file with edit", map[string]string{"a/": ""}, "", editTool{},
			map[string]any{"path": "a/new.txt", "oldString": "", "newString": "x"}, "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The outside mirrors the workspace's names, so that a write
			// carried out through the link would find what it expects.
			outside := t.TempDir()
			writeTestFile(t, filepath.Join(outside, "f.txt"), "inside\n")
			writeTestFile(t, filepath.Join(outside, "b")+"/", "")
			before := snapshot(t, outside)

			env := newTestEnv(t, tt.files)
			if tt.read != "" {
				if res := runTool(t, readTool{}, env, map[string]any{"path": tt.read}); res.IsError {
					t.Fatalf("read: %s", res.Output)
				}
			}
			swapped := false
			env.beforeWrite = func() {
				if swapped {
					return
				}
				swapped = true
				dir := filepath.Join(env.Root, tt.swap)
				if err := os.Rename(dir, dir+".moved"); err != nil {
					t.Errorf("move %s away: %v", tt.swap, err)
					return
				}
				target := outside
				if tt.relative {
					rel, err := filepath.Rel(filepath.Dir(dir), outside)
					if err != nil {
						t.Fatal(err)
					}
					target = rel
				}
				if err := os.Symlink(target, dir); err != nil {
					t.Errorf("swap in a link: %v", err)
				}
			}

			res := runTool(t, tt.tool, env, tt.args)
			if !swapped {
				t.Fatal("the hook did not run: the test proves nothing")
			}
			check(t, res, true, []string{"is outside the workspace " + env.Root})
			if after := snapshot(t, outside); !slices.Equal(after, before) {
				t.Errorf("the outside changed:\nbefore %q\nafter  %q", before, after)
			}
			for _, name := range snapshot(t, env.Root) {
				if strings.Contains(name, ".deckhand-") {
					t.Errorf("leftover temporary file %s", name)
				}
			}
		})
	}
}

// snapshot lists every entry below dir with its content, in walk order.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		entry := rel
		if d.Type().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			entry += "=" + string(data)
		}
		out = append(out, entry)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
