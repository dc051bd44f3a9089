// Package nodump makes deckhand non-dumpable on Linux at the earliest point
// a Go program without cgo can reach: the first package initialised after
// the runtime.
//
// A command the user allowed runs as the same user as deckhand. While
// deckhand is dumpable such a process (or one it left behind) can open
// /proc/<deckhand>/fd/0 and fd/1 and keep them: an injected request or a
// forged frame to the editor later needs no further access. Setting the
// flag at the top of main left 10-60 ms after exec (every package's
// initialisation runs first); here it is set before any other package of
// the program initialises, before main and before anything reads stdin.
//
// STYLE.md forbids init side effects; this package is the one exception,
// because the point is to run before everything else. It imports nothing,
// so the linker, which initialises ready packages in import-path order,
// runs it right after the runtime; a dependency (even syscall) would let
// dozens of packages go first. The system call is therefore made in
// assembly on amd64 and arm64; other Linux architectures fall back to the
// same call through the syscall package (later, still before main).
//
// What remains is the time between execve and the end of the runtime's own
// start (0.6 ms of runtime, but on a busy machine the new process may wait
// milliseconds for a core first), and before that the editor's own fork:
// the README's security section says so, and permission answers do not
// rely on this flag alone (the ids deckhand asks with cannot be guessed).
package nodump
