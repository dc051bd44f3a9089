package tools

import "syscall"

// leaderAttr makes a process the leader of a new process group.
func leaderAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// memberAttr puts a command in the group pgid, and has the kernel kill it
// when deckhand dies (even by kill -9). The signal is tied to the thread
// that started the child; the Go runtime does not end its threads while
// deckhand runs, and the watcher covers the group either way.
func memberAttr(pgid int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pgid: pgid, Pdeathsig: syscall.SIGKILL}
}
