package auth

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

// OpenBrowser starts the system's URL opener (xdg-open and its kin, open,
// rundll32) on url and returns as soon as it runs: an opener may stay in
// the foreground as long as the browser it started, and a login must not
// wait for it. err says it could not be started; exited then yields once,
// when it ends: nil, or an error carrying the end of what it wrote to
// stderr. Its stdout goes nowhere: deckhand's stdout carries a protocol.
//
// The goroutine that reaps the opener is owned by the opener's lifetime,
// not by a caller: nobody should wait for a browser to close.
func OpenBrowser(url string) (exited <-chan error, err error) {
	prog, args, err := opener()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(prog, append(args, url)...)
	stderr := &tailBuffer{max: 512}
	cmd.Stdout, cmd.Stderr = nil, stderr
	// A browser the opener forks may hold stderr open for its whole life:
	// the exit is reported without waiting for it.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", prog, err)
	}
	ch := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			msg := strings.TrimSpace(stderr.String())
			if msg == "" {
				msg = exit.String()
			}
			err = fmt.Errorf("%s failed: %s", prog, msg)
		case errors.Is(err, exec.ErrWaitDelay):
			err = nil
		}
		ch <- err
	}()
	return ch, nil
}

// opener is the command that opens a URL on this system.
func opener() (string, []string, error) {
	switch runtime.GOOS {
	case "darwin":
		return "open", nil, nil
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler"}, nil
	}
	names := []string{"xdg-open", "x-www-browser", "www-browser"}
	for _, p := range names {
		if _, err := exec.LookPath(p); err == nil {
			return p, nil, nil
		}
	}
	return "", nil, fmt.Errorf("no browser opener found (%s)", strings.Join(names, ", "))
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if over := t.b.Len() - t.max; over > 0 {
		t.b.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}
