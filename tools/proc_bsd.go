//go:build unix && !linux

package tools

import "syscall"

// leaderAttr makes a process the leader of a new process group.
func leaderAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// memberAttr puts a command in the group pgid. There is no parent-death
// signal here: the group's watcher ends the group when deckhand dies.
func memberAttr(pgid int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pgid: pgid}
}

// terminalAttr makes a process the leader of a new session whose
// controlling terminal is its standard input (a PTY). When deckhand dies the
// PTY's master is closed, which hangs up the session.
func terminalAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
}
