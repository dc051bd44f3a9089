package main

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
)

// startBrowser opens url in the user's browser with the system's opener
// (xdg-open and its kin, open, rundll32) and returns at once: the opener
// may stay in the foreground as long as the browser it started, and a
// login must not wait for it. exited yields once, when the opener ends:
// nil, or why it failed (no opener on PATH fails at once). err is always
// nil; it stays in the signature for openers that can refuse before they
// start.
//
// The opener's output goes to out (deckhand's stderr), never to stdout,
// which carries the protocol.
//
// The goroutine that waits for the opener is owned by the opener's
// lifetime, not by a caller: nobody should wait for a browser to close.
func startBrowser(url string, out io.Writer) (exited <-chan error, err error) {
	ch := make(chan error, 1)
	name, args, err := opener(url)
	if err != nil {
		ch <- fmt.Errorf("open a browser: %w", err)
		return ch, nil
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		ch <- fmt.Errorf("open a browser: %w", err)
		return ch, nil
	}
	go func() {
		if err := cmd.Wait(); err != nil {
			ch <- fmt.Errorf("open a browser: %w", err)
			return
		}
		ch <- nil
	}()
	return ch, nil
}

// opener is the command that opens url on this system: on a Unix desktop
// the first of xdg-open, x-www-browser and www-browser on PATH.
func opener(url string) (string, []string, error) {
	switch runtime.GOOS {
	case "darwin":
		return "open", []string{url}, nil
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler", url}, nil
	}
	for _, name := range []string{"xdg-open", "x-www-browser", "www-browser"} {
		if _, err := exec.LookPath(name); err == nil {
			return name, []string{url}, nil
		}
	}
	return "", nil, errors.New("none of xdg-open, x-www-browser or www-browser is on PATH")
}
