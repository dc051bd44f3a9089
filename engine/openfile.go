package engine

import (
	"fmt"
	"os"
	"syscall"
)

// openRegular opens a session file without blocking and refuses anything
// but a regular file. A FIFO put where a session file should be made a
// plain open wait for a writer for ever: chat and load hung, and deckhand
// did not exit at the end of its input.
func openRegular(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NONBLOCK, perm)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, info.Mode().Type())
	}
	return f, nil
}
