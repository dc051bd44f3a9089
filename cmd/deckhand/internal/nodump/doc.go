// Package nodump makes deckhand non-dumpable on Linux at the earliest point
// the build allows.
//
// A command the user allowed runs as the same user as deckhand. While
// deckhand is dumpable such a process (or one it left behind) can open
// /proc/<deckhand>/fd/0 and fd/1 and keep them: an injected request or a
// forged frame to the editor later needs no further access. Setting the
// flag at the top of main left 10-60 ms after exec (every package's
// initialisation runs first).
//
// With cgo (a build where a C compiler is found, `make build`), a C
// constructor sets the flag: the C start-up code runs it from the
// executable's .init_array before main, so before the Go runtime starts;
// only the kernel's exec, the dynamic loader and libc's set-up come first.
//
// Without cgo (CGO_ENABLED=0, the cross-built releases) the package's init
// sets it. STYLE.md forbids init side effects; this is the one exception,
// because the point is to run before everything else. The package imports
// nothing there, so the linker, which initialises ready packages in
// import-path order, runs it right after the runtime; a dependency (even
// syscall) would let dozens of packages go first. The system call is
// therefore made in assembly on amd64 and arm64; other Linux architectures
// fall back to the same call through the syscall package (later, still
// before main).
//
// Neither closes the window: on a busy machine the new process waits for a
// core between exec and its first instructions, and a same-user process
// polling the next pids opens fd 0 in most launches either way (e2e's
// BenchmarkHostileStartupWindow measures it). What closes it is the kernel:
// an executable its user may run but not read (mode 0111) is made
// non-dumpable inside execve. The README's security section gives the
// figures, and permission answers do not rely on this flag alone (the ids
// deckhand asks with cannot be guessed).
package nodump
