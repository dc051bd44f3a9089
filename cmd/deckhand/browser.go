package main

import (
	"fmt"

	"github.com/pkg/browser"
)

// startBrowser opens url in the user's browser through pkg/browser and
// returns at once: the system's opener (xdg-open and its kin, open,
// rundll32) may stay in the foreground as long as the browser it started,
// and a login must not wait for it. exited yields once, when the opener
// ends: nil, or why it failed (no opener on PATH fails at once). err is
// always nil; it stays in the signature for openers that can refuse
// before they start.
//
// pkg/browser writes the opener's output to its package variables Stdout
// and Stderr; Run points both at deckhand's stderr, once, before anything
// can get here (redirectBrowserOutput), so nothing reaches stdout, which
// carries the protocol.
//
// The goroutine that waits for the opener is owned by the opener's
// lifetime, not by a caller: nobody should wait for a browser to close.
func startBrowser(url string) (exited <-chan error, err error) {
	ch := make(chan error, 1)
	go func() {
		if err := browser.OpenURL(url); err != nil {
			ch <- fmt.Errorf("open a browser: %w", err)
			return
		}
		ch <- nil
	}()
	return ch, nil
}
