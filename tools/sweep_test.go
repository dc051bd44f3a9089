package tools

import (
	"context"
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
	h := newTestHome(t, HomeConfig{Dir: t.TempDir()})
	tagged := func(name, pid, random string) string {
		return "." + name + tempMarker + pid + "-" + random + "-" + h.tempTag(name, pid, random)
	}
	env := &Env{Root: root, Home: h}
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
	if n := h.sweepTemps(context.Background(), env.Root); n != 2 {
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
	h := newTestHome(t, HomeConfig{Dir: t.TempDir()})
	r, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	name, f, err := createTemp(h, r, "x.go")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	m := tempName().FindStringSubmatch(name)
	if m == nil || m[1] != "x.go" || h.tempTag(m[1], m[2], m[3]) != m[4] {
		t.Errorf("temporary name %q does not carry a valid tag", name)
	}
}

// The first workspace a Home opens at a root is swept once, a little later,
// on a goroutine the Home owns: Close waits for a sweep that runs, one not
// started yet never starts, nor one after Close. Two Homes share nothing:
// the key of one does not vouch for the other's files.
func TestSweepIsOwnedByItsHome(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := NewHome(HomeConfig{Dir: t.TempDir()})
	other := newTestHome(t, HomeConfig{Dir: t.TempDir()})
	stale := func(home *Home, name string) string {
		n := "." + name + tempMarker + "999999999-k3j2-" + home.tempTag(name, "999999999", "k3j2")
		writeTestFile(t, filepath.Join(root, n), "x")
		return n
	}
	mine, theirs := stale(h, "a.txt"), stale(other, "b.txt")
	done := make(chan int, 2)
	h.sweepDone = func(n int) { done <- n }
	if _, err := h.NewEnv(root); err != nil {
		t.Fatal(err)
	}
	if _, err := h.NewEnv(root); err != nil { // the same root again: no second sweep
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(root, mine)); err != nil {
		t.Error("the sweep ran while the workspace was being opened")
	}
	select {
	case n := <-done:
		if n != 1 {
			t.Errorf("the sweep removed %d files, want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sweep did not end")
	}
	if _, err := os.Lstat(filepath.Join(root, mine)); err == nil {
		t.Error("the home's own stale file is still there")
	}
	if _, err := os.Lstat(filepath.Join(root, theirs)); err != nil {
		t.Error("a file tagged under another key was removed")
	}
	// A sweep not started yet when Close comes never starts.
	later := t.TempDir()
	n := "." + "c.txt" + tempMarker + "999999999-k3j2-" + h.tempTag("c.txt", "999999999", "k3j2")
	writeTestFile(t, filepath.Join(later, n), "x")
	if _, err := h.NewEnv(later); err != nil {
		t.Fatal(err)
	}
	h.Close()
	time.Sleep(2 * sweepDelay)
	if len(done) != 0 {
		t.Error("a sweep ran after Close")
	}
	if _, err := os.Lstat(filepath.Join(later, n)); err != nil {
		t.Error("a sweep scheduled before Close removed a file after it")
	}
	if _, err := h.NewEnv(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if len(done) != 0 {
		t.Error("a sweep started after Close")
	}

	// Close waits for a sweep that runs.
	busy := newTestHome(t, HomeConfig{Dir: t.TempDir()})
	busy.delay = 0
	running, release := make(chan struct{}), make(chan struct{})
	busy.sweepDone = func(int) { close(running); <-release }
	if _, err := busy.NewEnv(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	<-running
	closed := make(chan struct{})
	go func() { busy.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned before the sweep ended")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-closed
}

// The key for temporary files is had on first use, not when the Home is
// made nor when a workspace is opened (a client waits for initialize
// then); a home where it cannot be made is said once, and writes go on
// untagged.
func TestTempKeyOnFirstUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deckhand")
	h := newTestHome(t, HomeConfig{Dir: dir})
	if _, err := h.NewEnv(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, tempKeyFile)); !os.IsNotExist(err) {
		t.Fatalf("the key was made before it was needed: %v", err)
	}
	tag := h.tempTag("x.go", "1", "a")
	key, err := os.ReadFile(filepath.Join(dir, tempKeyFile))
	if err != nil || len(key) != 32 || tag == "" {
		t.Fatalf("first use: key %d bytes (%v), tag %q", len(key), err, tag)
	}
	if again := newTestHome(t, HomeConfig{Dir: dir}).tempTag("x.go", "1", "a"); again != tag {
		t.Errorf("a second Home over the same home tags %q, want %q", again, tag)
	}

	blocked := filepath.Join(t.TempDir(), "file")
	writeTestFile(t, blocked, "not a folder")
	var errs []error
	b := newTestHome(t, HomeConfig{Dir: blocked, OnKeyError: func(err error) { errs = append(errs, err) }})
	if b.tempTag("x.go", "1", "a") != "" || b.tempTag("y.go", "1", "a") != "" {
		t.Error("a home without a key tags temporary files")
	}
	if len(errs) != 1 {
		t.Errorf("OnKeyError heard %d times, want once: %v", len(errs), errs)
	}
}
