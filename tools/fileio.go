package tools

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// writeFileAtomic replaces path with data through a temporary file in the
// same directory and a rename, so readers see the old or the new content and
// never half of it. A symbolic link at path is replaced, not followed: the
// caller passes the resolved real path.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, "."+base+".deckhand-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write temporary file: %w", err)
	}
	if err := tmp.Chmod(perm); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("set mode: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("sync temporary file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temporary file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	return nil
}

// recordWrite stamps the file just written at path in the ledger.
func recordWrite(l *Ledger, path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("stat written file: %w", err)
	}
	l.record(path, stampOf(info, sha256.Sum256(data)))
	return nil
}

// newFileMode is the mode of a file deckhand creates. The temporary file is
// created 0600 and set to this explicitly; reading the umask would mean
// changing it, process-wide, so it is not consulted.
const newFileMode fs.FileMode = 0o644
