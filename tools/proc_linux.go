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

// terminalAttr makes a process the leader of a new session whose
// controlling terminal is its standard input (a PTY), so that a ^C written
// to the terminal interrupts it. The session is its own process group; the
// kernel kills its leader when deckhand dies, and closing the PTY's master
// hangs up the rest.
func terminalAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0, Pdeathsig: syscall.SIGKILL}
}
