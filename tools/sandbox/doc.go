// Package sandbox owns the OS sandbox that deckhand's commands run in, and
// the decision of when a command runs in it, asks the user first, or is
// refused.
//
// A sandboxed command may read the file system except deckhand's own data
// folder (its login and sessions), write only the workspace, the temp
// folders and a few device files, and open no TCP connection. On Linux the
// rules are Landlock's, with a seccomp filter for the sockets Landlock does
// not govern (Multipath TCP, UDP, packet sockets, io_uring), applied by a
// small re-exec of deckhand itself (the
// hidden `deckhand sandbox-exec` command, see Main) that restricts its own
// thread and then executes the command, so deckhand is never restricted; on
// macOS they are a Seatbelt profile given to /usr/bin/sandbox-exec.
// Elsewhere, and where the kernel lacks Landlock, there is no sandbox and
// Detect says why.
//
// Decide maps an approval policy, a sandbox mode, the sandbox's
// availability, an escalation request and the command to what happens: run
// it sandboxed, ask, run it outside the sandbox, or refuse.
//
// The package imports no other deckhand package.
package sandbox
