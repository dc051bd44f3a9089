package auth

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// OpenRegular opens a file of deckhand's own (auth.json, its lock, a
// session file) without blocking, and refuses anything but a regular file:
// a FIFO put in its place made a plain open wait for a writer for ever.
func OpenRegular(path string, flag int, perm os.FileMode) (*os.File, error) {
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

// maxAuthFile bounds what is read of auth.json.
const maxAuthFile = 16 << 20

// readRegular reads a regular file of at most maxAuthFile bytes.
func readRegular(path string) ([]byte, error) {
	f, err := OpenRegular(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAuthFile+1))
	if err == nil && len(data) > maxAuthFile {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, maxAuthFile>>20)
	}
	return data, err
}
