package tools

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Temporary files of interrupted writes are removed when their writer is
// gone; those of a live writer, fresh ones without an id, and everything
// else stay.
func TestSweepRemovesTempsOfGoneWriters(t *testing.T) {
	own := strconv.Itoa(os.Getpid())
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	swept.Store(root, struct{}{}) // no sweep of NewEnv's racing this one
	env := &Env{Root: root}
	for name, content := range map[string]string{
		"a.txt":                             "keep",
		".a.txt.deckhand-999999999-k3j2":    "stale: no such process",
		"sub/.b.go.deckhand-999999998-zz":   "stale, deeper",
		".c.txt.deckhand-" + own + "-abc":   "a write of this process in flight",
		".d.txt.deckhand-q9x8":              "old style, fresh",
		".e.txt.deckhand-q9x9":              "old style, old",
		"notes.deckhand-1-a":                "not hidden: not ours",
		"sub/.gitignore":                    "",
		"sub/keep.deckhand-999999999-x.bak": "other suffix",
	} {
		writeTestFile(t, filepath.Join(root, name), content)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(filepath.Join(env.Root, ".e.txt.deckhand-q9x9"), old, old); err != nil {
		t.Fatal(err)
	}
	if n := sweepTemps(env.Root); n != 3 {
		t.Errorf("removed %d files, want 3", n)
	}
	for name, want := range map[string]bool{
		"a.txt": true, ".a.txt.deckhand-999999999-k3j2": false, "sub/.b.go.deckhand-999999998-zz": false,
		".c.txt.deckhand-" + own + "-abc": true, ".d.txt.deckhand-q9x8": true, ".e.txt.deckhand-q9x9": false,
		"notes.deckhand-1-a": true, "sub/keep.deckhand-999999999-x.bak": true,
	} {
		_, err := os.Lstat(filepath.Join(env.Root, name))
		if got := err == nil; got != want {
			t.Errorf("%s: exists %v, want %v", name, got, want)
		}
	}
}
