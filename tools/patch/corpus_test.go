package patch

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The corpus: each testdata/*.case holds sections "-- name --": "patch",
// "before/<path>" (the workspace before), and either "after/<path>" (the
// whole workspace after) or "error" (a text the failure must contain; the
// workspace must then be left exactly as before). In file contents "{CR}"
// stands for a carriage return, and a last line "{NOEOL}" removes the final
// newline.
type patchCase struct {
	patch  string
	before map[string]string
	after  map[string]string
	err    string
}

func loadCase(t *testing.T, file string) patchCase {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c := patchCase{before: map[string]string{}, after: map[string]string{}}
	var name string
	var body strings.Builder
	flush := func() {
		text := strings.ReplaceAll(body.String(), "{CR}", "\r")
		text = strings.TrimSuffix(text, "{NOEOL}\n")
		switch {
		case name == "patch":
			c.patch = text
		case name == "error":
			c.err = strings.TrimSpace(text)
		case strings.HasPrefix(name, "before/"):
			c.before[strings.TrimPrefix(name, "before/")] = text
		case strings.HasPrefix(name, "after/"):
			c.after[strings.TrimPrefix(name, "after/")] = text
		case name != "":
			t.Fatalf("%s: unknown section %q", file, name)
		}
		body.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		trimmed := strings.TrimRight(line, "\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") {
			flush()
			name = strings.TrimSuffix(strings.TrimPrefix(trimmed, "-- "), " --")
			continue
		}
		if name != "" {
			body.WriteString(line)
		}
	}
	flush()
	return c
}

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every regular file under root.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		got[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sameTree(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var names []string
	for n := range got {
		names = append(names, n)
	}
	for n := range want {
		if _, ok := got[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		g, gok := got[n]
		w, wok := want[n]
		switch {
		case !gok:
			t.Errorf("%s: %s missing", what, n)
		case !wok:
			t.Errorf("%s: unexpected file %s = %q", what, n, g)
		case g != w:
			t.Errorf("%s: %s =\n%q\nwant\n%q", what, n, g, w)
		}
	}
}

func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.case")
	if len(files) < 12 {
		t.Fatalf("corpus has %d cases", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".case"), func(t *testing.T) {
			c := loadCase(t, file)
			root := filepath.Join(t.TempDir(), "ws")
			if err := os.Mkdir(root, 0o755); err != nil {
				t.Fatal(err)
			}
			writeTree(t, root, c.before)
			changes, err := Apply(Dir{Root: root}, root, c.patch)
			if c.err != "" {
				if err == nil {
					t.Fatalf("applied, want an error containing %q", c.err)
				}
				if !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error:\n%v\nwant it to contain %q", err, c.err)
				}
				sameTree(t, "after a failed patch", readTree(t, root), c.before)
				return
			}
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			sameTree(t, "after", readTree(t, root), c.after)
			for _, ch := range changes {
				if ch.Diff == "" && ch.Before != ch.After {
					t.Errorf("%s: no diff for a change", ch.Path)
				}
			}
			// Reverting every change, last first, gives the tree back.
			for i := len(changes) - 1; i >= 0; i-- {
				if err := Revert(Dir{Root: root}, changes[i]); err != nil {
					t.Fatalf("revert %s: %v", changes[i].Path, err)
				}
			}
			sameTree(t, "after undo", readTree(t, root), c.before)
		})
	}
}
