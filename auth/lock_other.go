//go:build !unix

package auth

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// TryLock, where flock does not exist, creates path exclusively and removes
// it on release. It returns a nil release and no error when the file exists;
// a lock file older than stale is taken to belong to a process that died
// holding it, and is removed for the next try.
func TryLock(path string, stale time.Duration) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		if info, serr := os.Stat(path); serr == nil && time.Since(info.ModTime()) > stale {
			_ = os.Remove(path)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f.Close()
	return func() { _ = os.Remove(path) }, nil
}
