//go:build linux && cgo

package nodump

/*
#include <errno.h>
#include <sys/prctl.h>

static int deckhand_nodump_errno = -1;

// Run by the C start-up code (from the ELF .init_array, before main and so
// before the Go runtime exists), with the highest priority a program may
// give a constructor: only the dynamic loader, libc's own set-up and the
// constructors of the shared libraries run before it.
__attribute__((constructor(101))) void deckhand_nodump_early(void) {
	deckhand_nodump_errno = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : errno;
}

static int deckhand_nodump_result(void) { return deckhand_nodump_errno; }
*/
import "C"

// Errno reports the error number of the early prctl, 0 when it worked.
// The constructor always runs before this can be called; -1 (it did not
// run) reads as an error, so cmd/deckhand sets the flag itself then.
func Errno() uintptr { return uintptr(C.deckhand_nodump_result()) }
