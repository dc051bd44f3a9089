package sandbox

import (
	"errors"
	"os"
)

// Detect finds the sandbox of this machine: Seatbelt through
// /usr/bin/sandbox-exec.
func Detect(self string) Sandbox {
	if _, err := os.Stat(seatbeltExec); err != nil {
		return Off(seatbeltExec + " is missing: " + err.Error())
	}
	return Sandbox{Kind: Seatbelt, NetworkClosed: true}
}

func restrict(Policy) error {
	return errors.New("deckhand applies its sandbox on macOS through " + seatbeltExec)
}
