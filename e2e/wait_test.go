package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Waits on what the processes a test drives leave behind: a file that
// appears, changes or goes, and a process that ends. On Linux they wait on
// the kernel's word (inotify, a pidfd); elsewhere they look every 20 ms.

// waitPath waits until done says yes of path's contents (nil, false when
// the file is missing), looking again each time something in its folder
// changes; after within it fails the test, saying what did not happen.
func waitPath(t testing.TB, path string, within time.Duration, what string, done func(data []byte, exists bool) bool) {
	t.Helper()
	check := func() bool {
		data, err := os.ReadFile(path)
		return done(data, err == nil)
	}
	deadline := time.Now().Add(within)
	events := watchDir(filepath.Dir(path))
	defer events.close()
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s within %s (%s)", what, within, path)
		}
		events.next(time.Until(deadline))
	}
}

// waitFile waits until path holds at least lines complete lines, and
// returns its contents.
func waitFile(t testing.TB, path string, lines int, within time.Duration) string {
	t.Helper()
	var got []byte
	waitPath(t, path, within, fmt.Sprintf("no %d lines written", lines), func(data []byte, _ bool) bool {
		got = data
		n := 0
		for _, b := range data {
			if b == '\n' {
				n++
			}
		}
		return n >= lines
	})
	return string(got)
}
