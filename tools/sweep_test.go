package tools

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Temporary files of interrupted writes are removed when their writer is
// gone and their tag proves deckhand made them; those of a live writer, and
// every file merely named like one, stay.
func TestSweepRemovesTempsOfGoneWriters(t *testing.T) {
	own := strconv.Itoa(os.Getpid())
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := UseTempKey(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tempKey.Lock(); tempKey.key = nil; tempKey.Unlock() })
	tagged := func(name, pid, random string) string {
		return "." + name + tempMarker + pid + "-" + random + "-" + tempTag(name, pid, random)
	}
	swept.Store(root, struct{}{}) // no sweep of NewEnv's racing this one
	env := &Env{Root: root}
	files := map[string]bool{ // name -> kept
		"a.txt":                              true,
		tagged("a.txt", "999999999", "k3j2"): false, // stale: no such process
		"sub/" + tagged("b.go", "999999998", "zz"):        false, // stale, deeper
		tagged("c.txt", own, "abc"):                       true,  // a write of this process in flight
		".d.txt.deckhand-999999999-q9x8":                  true,  // untagged
		".e.txt.deckhand-999999999-q9x8-0123456789abcdef": true,  // a forged tag
		tagged("f.txt", "999999999", "q9x8")[:20]:         true,  // cut short
		".env.deckhand-prod":                              true,  // a user's file
		"notes.deckhand-1-a":                              true,
		"sub/.gitignore":                                  true,
	}
	for name := range files {
		writeTestFile(t, filepath.Join(root, name), "x")
		old := time.Now().Add(-48 * time.Hour)
		if err := os.Chtimes(filepath.Join(root, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if n := sweepTemps(env.Root); n != 2 {
		t.Errorf("removed %d files, want 2", n)
	}
	for name, want := range files {
		_, err := os.Lstat(filepath.Join(env.Root, name))
		if got := err == nil; got != want {
			t.Errorf("%s: exists %v, want %v", name, got, want)
		}
	}
}

// A write's temporary file carries a tag the sweep accepts.
func TestTempNamesAreTagged(t *testing.T) {
	if err := UseTempKey(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tempKey.Lock(); tempKey.key = nil; tempKey.Unlock() })
	r, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	name, f, err := createTemp(r, "x.go")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	m := tempName.FindStringSubmatch(name)
	if m == nil || m[1] != "x.go" || tempTag(m[1], m[2], m[3]) != m[4] {
		t.Errorf("temporary name %q does not carry a valid tag", name)
	}
}
