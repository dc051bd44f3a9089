//go:build !linux

package nodump

// Errno reports 0: only Linux exposes a process's descriptors by path to
// other processes of the same user (see cmd/deckhand's harden_other.go).
func Errno() uintptr { return 0 }
