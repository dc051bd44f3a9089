//go:build !linux && !darwin

package sandbox

import (
	"errors"
	"runtime"
)

// Detect finds the sandbox of this machine: none on this system.
func Detect(self string) Sandbox {
	return Off("deckhand has no sandbox on " + runtime.GOOS)
}

func restrict(Policy) error {
	return errors.New("deckhand has no sandbox on " + runtime.GOOS)
}
