package tools

import (
	"os/exec"
	"strconv"
	"syscall"
)

// procGroup on Windows is the process tree a command starts. Windows has no
// process group a signal reaches, so kill walks the tree with taskkill.
// Children do not die with deckhand here: that needs a job object.
type procGroup struct{}

func newProcGroup() (*procGroup, error) { return &procGroup{}, nil }

func (*procGroup) attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// kill kills the process tree rooted at pid.
func (*procGroup) kill(pid int) error {
	return exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(pid)).Run()
}

func (*procGroup) release() {}

// processAlive cannot tell cheaply here; temporary files are then judged
// by age alone.
func processAlive(int) bool { return true }
