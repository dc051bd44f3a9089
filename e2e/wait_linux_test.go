//go:build linux

package e2e

import (
	"time"

	"golang.org/x/sys/unix"
)

// dirEvents are the changes in one folder, or a 20 ms tick where inotify
// is not to be had.
type dirEvents struct{ fd int }

func watchDir(dir string) dirEvents {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return dirEvents{fd: -1}
	}
	const mask = unix.IN_CREATE | unix.IN_CLOSE_WRITE | unix.IN_MODIFY | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_DELETE | unix.IN_ATTRIB
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		unix.Close(fd)
		return dirEvents{fd: -1}
	}
	return dirEvents{fd: fd}
}

// next returns after the next change (all that came are read), or after
// at most d.
func (e dirEvents) next(d time.Duration) {
	if e.fd < 0 {
		time.Sleep(min(d, 20*time.Millisecond))
		return
	}
	fds := []unix.PollFd{{Fd: int32(e.fd), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, int(max(d, time.Millisecond)/time.Millisecond)); n > 0 {
		buf := make([]byte, 64<<10)
		for {
			if n, err := unix.Read(e.fd, buf); n <= 0 || err != nil {
				break
			}
		}
	}
}

func (e dirEvents) close() {
	if e.fd >= 0 {
		unix.Close(e.fd)
	}
}

// waitExit waits until the process pid has ended (a zombie has), and
// reports whether it did within d.
func waitExit(pid int, d time.Duration) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		// Gone already (ESRCH), or no pidfd here: look every 20 ms.
		for deadline := time.Now().Add(d); alive(pid); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				return false
			}
		}
		return true
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for deadline := time.Now().Add(d); ; {
		n, err := unix.Poll(fds, int(max(time.Until(deadline), 0)/time.Millisecond))
		switch {
		case n > 0:
			return true
		case err == unix.EINTR:
			continue
		default:
			return !alive(pid)
		}
	}
}
