package main

import (
	"golang.org/x/sys/unix"

	"github.com/deckhand-dev/deckhand/cmd/deckhand/internal/nodump"
)

// harden reports whether the process is non-dumpable. A command the user
// allowed runs as the same user as deckhand; without this it (or anything
// it starts, even after setsid) could open /proc/<deckhand>/fd/0 to inject
// requests and permission answers, fd/1 to forge frames to the editor, and
// environ to read OPENAI_API_KEY. A non-dumpable process's /proc entries
// belong to root and it cannot be ptrace-attached by the user. Children are
// not affected: execve makes them dumpable again.
//
// The flag is set by package nodump before the Go runtime (with cgo) or
// before any other package initialises (without; see there why so early);
// this checks that it holds, and sets it here if the early call failed or
// did not take.
func harden() error {
	if nodump.Errno() == 0 {
		if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err == nil && d == 0 {
			return nil
		}
	}
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
