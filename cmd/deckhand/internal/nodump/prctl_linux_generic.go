//go:build linux && !cgo && !amd64 && !arm64

package nodump

import "syscall"

// setNonDumpable goes through the syscall package where deckhand has no
// assembly: a little later, still before main.
func setNonDumpable() uintptr {
	_, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0, 0, 0, 0)
	return uintptr(e)
}
