package tools

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	outside := t.TempDir()
	writeTestFile(t, filepath.Join(outside, "secret.txt"), "secret")
	env := newTestEnv(t, map[string]string{
		"a/b/c.txt":   "c",
		"top.txt":     "top",
		"dir/":        "",
		"deep/x/y/z/": "",
	})
	root := env.Root
	sibling := root + "-sibling" // a real directory beside the root, in the test's temp dir
	writeTestFile(t, filepath.Join(sibling, "secret.txt"), "secret")
	symlink(t, "b", filepath.Join(root, "a/link-b"))                          // relative, inside
	symlink(t, filepath.Join(root, "top.txt"), filepath.Join(root, "abs-in")) // absolute, inside
	symlink(t, outside, filepath.Join(root, "out"))                           // to a directory outside
	symlink(t, filepath.Join(outside, "secret.txt"), filepath.Join(root, "secret"))
	symlink(t, "/proc", filepath.Join(root, "proc"))
	symlink(t, "/proc/self/root", filepath.Join(root, "procroot"))
	symlink(t, "chain2", filepath.Join(root, "chain1")) // chain1 -> chain2 -> chain3 -> outside
	symlink(t, "chain3", filepath.Join(root, "chain2"))
	symlink(t, outside, filepath.Join(root, "chain3"))
	symlink(t, "in2", filepath.Join(root, "in1")) // in1 -> in2 -> a/b
	symlink(t, "a/b", filepath.Join(root, "in2"))
	symlink(t, "loop2", filepath.Join(root, "loop1"))
	symlink(t, "loop1", filepath.Join(root, "loop2"))
	symlink(t, "../..", filepath.Join(root, "a/b/up2")) // a/b/../.. is the root: inside
	symlink(t, "../../..", filepath.Join(root, "a/b/up3"))
	symlink(t, "deep/x/y/z", filepath.Join(root, "zlink"))
	symlink(t, filepath.Join(outside, "new.txt"), filepath.Join(root, "dangling-out"))
	symlink(t, "fresh.txt", filepath.Join(root, "dangling-in"))

	tests := []struct {
		path    string
		want    string // relative to root; "" when outside
		wantErr error
	}{
		{"top.txt", "top.txt", nil},
		{"", ".", nil},
		{".", ".", nil},
		{"./a/./b/c.txt", "a/b/c.txt", nil},
		{"a/b/../b/c.txt", "a/b/c.txt", nil},
		{filepath.Join(root, "a/b/c.txt"), "a/b/c.txt", nil},
		{root, ".", nil},
		{"missing/dir/file.txt", "missing/dir/file.txt", nil},
		{"missing/../top.txt", "top.txt", nil},
		{"top.txt/under", "top.txt/under", nil},
		{"a/link-b/c.txt", "a/b/c.txt", nil},
		{"abs-in", "top.txt", nil},
		{"in1/c.txt", "a/b/c.txt", nil},
		{"a/b/up2/top.txt", "top.txt", nil},
		{"zlink/..", "deep/x/y", nil}, // .. after a link applies to its target
		{"zlink/../../..", "deep", nil},
		{"dangling-in", "fresh.txt", nil},

		{"..", "", ErrOutsideWorkspace},
		{"../x", "", ErrOutsideWorkspace},
		{"a/../../x", "", ErrOutsideWorkspace},
		{"a/b/c.txt/../../../../etc/passwd", "", ErrOutsideWorkspace},
		{"/etc/passwd", "", ErrOutsideWorkspace},
		{"/", "", ErrOutsideWorkspace},
		{filepath.Join(outside, "secret.txt"), "", ErrOutsideWorkspace},
		{root + "/../" + filepath.Base(root) + "x", "", ErrOutsideWorkspace},
		// A sibling whose name starts with the root's, named absolutely:
		// the root is a prefix of its path but not a directory of it.
		{root + "x", "", ErrOutsideWorkspace},
		{sibling + "/secret.txt", "", ErrOutsideWorkspace},
		{"out", "", ErrOutsideWorkspace},
		{"out/secret.txt", "", ErrOutsideWorkspace},
		{"out/new.txt", "", ErrOutsideWorkspace},
		{"secret", "", ErrOutsideWorkspace},
		{"proc", "", ErrOutsideWorkspace},
		{"proc/self/environ", "", ErrOutsideWorkspace},
		{"procroot/etc/passwd", "", ErrOutsideWorkspace},
		{"chain1", "", ErrOutsideWorkspace},
		{"chain1/secret.txt", "", ErrOutsideWorkspace},
		{"a/b/up3", "", ErrOutsideWorkspace},
		{"a/b/up3/" + filepath.Base(root) + "/top.txt", "", ErrOutsideWorkspace},
		{"zlink/../../../../..", "", ErrOutsideWorkspace},
		{"dangling-out", "", ErrOutsideWorkspace},
		{"loop1", "", errTooManyLinks},

		// `..` steps back from a missing directory into real ones, where
		// every name is checked again.
		{"missing/../secret", "", ErrOutsideWorkspace},
		{"missing/../out/secret.txt", "", ErrOutsideWorkspace},
		{"missing/../out/made/new.txt", "", ErrOutsideWorkspace},
		{"a/missing/deeper/../../../secret", "", ErrOutsideWorkspace},
		{"top.txt/under/../../secret", "", ErrOutsideWorkspace},
		{"missing/../chain1/x", "", ErrOutsideWorkspace},
		{"missing/../a/link-b/c.txt", "a/b/c.txt", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := Resolve(root, tt.path)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Resolve = %q, %v; want %v", got, err, tt.wantErr)
				}
				if errors.Is(err, ErrOutsideWorkspace) {
					want := `path "` + tt.path + `" is outside the workspace ` + root
					if err.Error() != want {
						t.Errorf("message %q, want %q", err.Error(), want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if want := filepath.Join(root, tt.want); got != want {
				t.Errorf("Resolve = %q, want %q", got, want)
			}
		})
	}
}

func TestResolveRootThroughLink(t *testing.T) {
	real := t.TempDir()
	writeTestFile(t, filepath.Join(real, "f.txt"), "x")
	link := filepath.Join(t.TempDir(), "ws")
	symlink(t, real, link)
	env, err := newTestHome(t, HomeConfig{}).NewEnv(link)
	if err != nil {
		t.Fatal(err)
	}
	realReal, _ := filepath.EvalSymlinks(real)
	if env.Root != realReal {
		t.Errorf("Root = %q, want %q", env.Root, realReal)
	}
	// The path as the user knows it, through the link, is inside.
	got, err := Resolve(link, filepath.Join(link, "f.txt"))
	if err != nil || got != filepath.Join(realReal, "f.txt") {
		t.Errorf("Resolve via link = %q, %v", got, err)
	}
}

func TestNewEnvChecksRoot(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	writeTestFile(t, file, "x")
	if err := os.Mkdir(filepath.Join(dir, "home"), 0o700); err != nil {
		t.Fatal(err)
	}
	h := newTestHome(t, HomeConfig{Dir: filepath.Join(dir, "home")})
	if _, err := h.NewEnv(file); !errors.Is(err, ErrNotDir) {
		t.Errorf("NewEnv(file) = %v, want ErrNotDir", err)
	}
	if _, err := h.NewEnv(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NewEnv(missing) = %v", err)
	}
	if _, err := h.NewEnv(filepath.Join(dir, "home")); !errors.Is(err, ErrPrivateRoot) {
		t.Errorf("NewEnv(deckhand's home) = %v, want ErrPrivateRoot", err)
	}
}

// Every tool refuses paths that leave the workspace, with the same message.
func TestToolsRefuseOutsidePaths(t *testing.T) {
	outside := t.TempDir()
	writeTestFile(t, filepath.Join(outside, "secret.txt"), "secret")
	env := newTestEnv(t, map[string]string{"in.txt": "in\n"})
	symlink(t, outside, filepath.Join(env.Root, "out"))
	symlink(t, filepath.Join(outside, "secret.txt"), filepath.Join(env.Root, "secret"))
	symlink(t, "/proc", filepath.Join(env.Root, "proc"))
	cases := []struct {
		tool Tool
		args map[string]any
	}{
		{readTool{}, map[string]any{"path": "../secret.txt"}},
		{readTool{}, map[string]any{"path": "out/secret.txt"}},
		{readTool{}, map[string]any{"path": "proc/self/environ"}},
		{readTool{}, map[string]any{"path": filepath.Join(outside, "secret.txt")}},
		{listTool{}, map[string]any{"path": "out"}},
		{listTool{}, map[string]any{"path": "/"}},
		{globTool{}, map[string]any{"pattern": "*.txt", "path": "out"}},
		{globTool{}, map[string]any{"pattern": "../*"}},
		{globTool{}, map[string]any{"pattern": outside + "/*.txt"}},
		{grepTool{}, map[string]any{"pattern": "secret", "path": "out"}},
		{grepTool{}, map[string]any{"pattern": "secret", "path": ".."}},
		{writeTool{}, map[string]any{"path": "out/new.txt", "content": "x"}},
		{writeTool{}, map[string]any{"path": "../new.txt", "content": "x"}},
		{editTool{}, map[string]any{"path": "out/secret.txt", "oldString": "secret", "newString": "public"}},
		// A link reached through `..` after a missing directory.
		{readTool{}, map[string]any{"path": "nope/../secret"}},
		{listTool{}, map[string]any{"path": "nope/../out"}},
		{globTool{}, map[string]any{"pattern": "*.txt", "path": "nope/../out"}},
		{grepTool{}, map[string]any{"pattern": "secret", "path": "nope/../out"}},
		{grepTool{}, map[string]any{"pattern": "secret", "path": "nope/../secret"}},
		{writeTool{}, map[string]any{"path": "nope/../secret", "content": "x"}},
		{writeTool{}, map[string]any{"path": "nope/../out/made/new.txt", "content": "x"}},
		{editTool{}, map[string]any{"path": "nope/../secret", "oldString": "secret", "newString": "public"}},
	}
	for _, c := range cases {
		res := runTool(t, c.tool, env, c.args)
		check(t, res, true, []string{"is outside the workspace " + env.Root}, "secret\n")
	}
	if got := readTestFile(t, filepath.Join(outside, "secret.txt")); got != "secret" {
		t.Errorf("outside file changed: %q", got)
	}
	for _, name := range []string{"new.txt", "made"} {
		if _, err := os.Stat(filepath.Join(outside, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was created outside: %v", name, err)
		}
	}
	if info, err := os.Lstat(filepath.Join(env.Root, "secret")); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link to the outside was replaced: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(env.Root))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "new.txt") {
			t.Errorf("a file was created beside the root: %s", e.Name())
		}
	}
}

// Directories are made one level at a time inside the root: a link met on
// the way (as when a directory is swapped for one after the path was
// resolved) can make it fail, never create anything outside.
func TestMkdirConfinedStaysInside(t *testing.T) {
	outside := t.TempDir()
	env := newTestEnv(t, map[string]string{"a/": "", "file": "x"})
	symlink(t, outside, filepath.Join(env.Root, "a/out"))
	symlink(t, "..", filepath.Join(env.Root, "a/up")) // a link inside: allowed
	tests := []struct {
		dir     string
		wantErr bool
	}{
		{"new/deeper", false},
		{"a/up/made-through-inner-link", false},
		{"a/out/made", true},
		{"a/out/made/deeper", true},
		{"file/sub", true},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			err := mkdirConfined(env.Root, filepath.Join(env.Root, tt.dir))
			if (err != nil) != tt.wantErr {
				t.Errorf("mkdirConfined = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("something was made outside: %v", entries)
	}
	if info, err := os.Stat(filepath.Join(env.Root, "made-through-inner-link")); err != nil || !info.IsDir() {
		t.Errorf("directory through an inner link: %v", err)
	}
}
