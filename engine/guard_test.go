package engine

import (
	"os"
	"testing"
)

// A home folder other users can open is made private when deckhand starts.
func TestHomeOpenToOthersIsTightened(t *testing.T) {
	home := t.TempDir()
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	e := New(Config{Home: home})
	defer e.Close()
	info, err := os.Stat(home)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("home mode %v, want 0700", perm)
	}
}
