//go:build unix

package tools

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// procGroup is the process group a bash command runs in. Its leader is a
// small watcher shell that blocks reading a pipe only deckhand holds the
// other end of: when deckhand dies, even by kill -9, the kernel closes that
// end, the watcher's read ends and it kills the whole group. So the
// command's background jobs and pipelines die with deckhand, not only bash
// (which on Linux also gets a parent-death signal). A process that leaves
// the group (setsid, setpgid) escapes, as it does every group kill.
type procGroup struct {
	watcher *exec.Cmd
	hold    *os.File // deckhand's end of the watcher's pipe
}

// watcherScript waits for end of input, then kills its process group.
const watcherScript = `read -r _; kill -KILL 0`

func newProcGroup() (*procGroup, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	watcher := exec.Command("bash", "-c", watcherScript)
	watcher.Stdin = r
	watcher.Env = []string{"PATH=" + os.Getenv("PATH")}
	watcher.SysProcAttr = leaderAttr()
	err = watcher.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, err
	}
	return &procGroup{watcher: watcher, hold: w}, nil
}

// attr puts a command in the group.
func (g *procGroup) attr() *syscall.SysProcAttr {
	return memberAttr(g.watcher.Process.Pid)
}

// kill kills every process in the group, the watcher included.
func (g *procGroup) kill(int) error {
	return killGroup(g.watcher.Process.Pid)
}

// release kills what is left of the group and reaps the watcher.
func (g *procGroup) release() {
	_ = g.kill(0)
	g.hold.Close()
	_ = g.watcher.Wait()
}

// processAlive reports whether a process with this id runs (as any user).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// killGroup kills every process of the process group pgid.
func killGroup(pgid int) error {
	err := syscall.Kill(-pgid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
