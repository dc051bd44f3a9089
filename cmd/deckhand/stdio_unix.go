//go:build unix

package main

import (
	"io"
	"os"
	"syscall"
)

// interruptible returns a writer for stdout whose blocked write ends when
// the server closes it. A write to a pipe the editor no longer reads blocks
// for ever in a plain blocking write, and shutdown (stdin closed, SIGTERM)
// waited for it. A non-blocking duplicate goes through Go's poller, which
// Close interrupts.
func interruptible(w io.Writer) io.Writer {
	f, ok := w.(*os.File)
	if !ok {
		return w
	}
	// Only a pipe or a socket, as an editor gives: the flag is shared with
	// every holder of the descriptor, and a terminal left non-blocking
	// would break the user's shell.
	if info, err := f.Stat(); err != nil || info.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return w
	}
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return w
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return w
	}
	return os.NewFile(uintptr(fd), "stdout")
}
