//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// detach puts the refresh helper in a session of its own, so that a signal
// to deckhand's process group does not reach it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
