//go:build unix

package engine

import "golang.org/x/sys/unix"

// uname is the system's name and release.
func uname() (sys, release string, ok bool) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", "", false
	}
	return unix.ByteSliceToString(u.Sysname[:]), unix.ByteSliceToString(u.Release[:]), true
}
