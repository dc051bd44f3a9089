package tools

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
	"unicode/utf8"
)

// sniffSize is how much of a file decides whether it is binary.
const sniffSize = 8 << 10

// looksBinary reports whether the start of a file is not text: it holds a NUL
// byte, or much of it is not valid UTF-8.
func looksBinary(head []byte) bool {
	if len(head) > sniffSize {
		head = head[:sniffSize]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	// A multi-byte rune may be cut at the end of the sample.
	if len(head) > utf8.UTFMax {
		head = head[:len(head)-utf8.UTFMax]
	}
	bad := 0
	for i := 0; i < len(head); {
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 {
			bad++
		}
		i += size
	}
	return bad*10 > len(head)
}

// errNotRegular marks a path that is not a regular file. The tools read
// regular files only: opening a FIFO waits for a writer, and a device may
// never end.
var errNotRegular = errors.New("not a regular file")

// errTooLarge marks a file over the size a tool reads.
var errTooLarge = errors.New("file too large")

// openRegular opens the regular file at path for reading. Anything else is
// refused with errNotRegular, along with its FileInfo (to tell a directory
// apart). The path is checked before it is opened, and opened non-blocking,
// so that a FIFO put in its place meanwhile is refused rather than waited
// on; O_NONBLOCK changes nothing for a regular file.
func openRegular(root, path string) (*os.File, fs.FileInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, info, errNotRegular
	}
	return openSeenRegular(root, path)
}

// openSeenRegular is openRegular for a path already seen to be a regular
// file (in a directory entry or by a Stat): it skips the first check, which
// grep's walk would pay for on every file.
func openSeenRegular(root, path string) (*os.File, fs.FileInfo, error) {
	f, err := openIn(root, path, os.O_RDONLY|syscall.O_NONBLOCK)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		_ = f.Close()
		return nil, info, errNotRegular
	}
	return f, info, nil
}

// readRegular reads the whole regular file at path, at most limit bytes.
func readRegular(root, path string, limit int) ([]byte, fs.FileInfo, error) {
	f, info, err := openRegular(root, path)
	if err != nil {
		return nil, info, err
	}
	defer f.Close()
	var buf []byte
	data, err := readCapped(f, int(info.Size()), limit, &buf)
	return data, info, err
}

// readCapped reads r into *buf, growing it as needed, up to the end or, when
// size is positive, up to size bytes (the size of a file when it was opened:
// a file that grows is not chased). More than limit bytes is errTooLarge,
// whatever size says.
func readCapped(r io.Reader, size, limit int, buf *[]byte) ([]byte, error) {
	if size > limit {
		return nil, errTooLarge
	}
	if cap(*buf) < size+1 {
		*buf = make([]byte, 0, size+size/8+512)
	}
	end := limit + 1 // one byte over the limit tells that it is over
	if size > 0 {
		end = size
	}
	data := (*buf)[:0]
	for {
		if len(data) > limit {
			return nil, errTooLarge
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):min(cap(data), end)])
		data = data[:len(data)+n]
		if errors.Is(err, io.EOF) || (size > 0 && len(data) >= size) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(data) > limit {
		return nil, errTooLarge
	}
	*buf = data
	return data, nil
}

// kindOf names what a file that is not regular is, for a refusal.
func kindOf(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a special file"
}
