package tools

import (
	"os/exec"
	"sync"
)

// Contain puts a long-lived command that deckhand starts itself (an MCP
// server) in a process group of its own, the way bash commands run: the
// whole group dies when deckhand does, even by kill -9 (see procGroup).
// Call it before cmd starts; release kills what is left of the group once
// the command is done with, and may be called more than once.
func Contain(cmd *exec.Cmd) (release func(), err error) {
	group, err := newProcGroup()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = group.attr()
	var once sync.Once
	return func() {
		once.Do(func() {
			if cmd.Process != nil {
				_ = group.kill(cmd.Process.Pid)
			}
			group.release()
		})
	}, nil
}
