//go:build !unix

package sandbox

import (
	"errors"
	"runtime"
)

func lookPath(string) (string, error) {
	return "", errors.New("deckhand has no sandbox on " + runtime.GOOS)
}

func execve(string, []string) error {
	return errors.New("deckhand has no sandbox on " + runtime.GOOS)
}
