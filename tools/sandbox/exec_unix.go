//go:build unix

package sandbox

import (
	"os"
	"os/exec"
	"syscall"
)

func lookPath(name string) (string, error) { return exec.LookPath(name) }

// execve replaces the process with the command; it returns only on failure.
func execve(path string, argv []string) error {
	return syscall.Exec(path, argv, os.Environ())
}
