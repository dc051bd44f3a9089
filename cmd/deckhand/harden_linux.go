package main

import "golang.org/x/sys/unix"

// harden makes the process non-dumpable. A command the user allowed runs as
// the same user as deckhand; without this it (or anything it starts, even
// after setsid) could open /proc/<deckhand>/fd/0 to inject requests and
// permission answers, fd/1 to forge frames to the editor, and environ to
// read OPENAI_API_KEY. A non-dumpable process's /proc entries belong to
// root and it cannot be ptrace-attached by the user. Children are not
// affected: execve makes them dumpable again.
func harden() error {
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
