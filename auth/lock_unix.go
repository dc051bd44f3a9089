//go:build unix

package auth

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// TryLock takes flock(LOCK_EX|LOCK_NB) on path. It returns a nil release and
// no error when another holder has the lock. The kernel drops the lock when
// its holder dies, however it dies, so stale is not needed here.
func TryLock(path string, stale time.Duration) (release func(), err error) {
	f, err := OpenRegular(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, nil
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
