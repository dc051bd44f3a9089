//go:build linux && !cgo

package nodump

// errno is what prctl(PR_SET_DUMPABLE, 0) returned in init: 0 for success.
// Written once, before main, and only read after.
var errno uintptr

func init() {
	// The one init with a side effect in deckhand: see the package doc.
	errno = setNonDumpable()
}

// Errno reports the error number of the early prctl, 0 when it worked.
func Errno() uintptr { return errno }
