package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalsAfterInitialize: the stdio server starts listening for SIGINT
// and SIGTERM once initialize is answered (listening costs a start an OS
// thread, while the editor waits for that answer). From then on SIGTERM
// ends it cleanly, status 0; before, nothing runs and the signal's default
// action ends the process.
func TestSignalsAfterInitialize(t *testing.T) {
	t.Parallel()
	p := start(t, opts{})
	p.initialize(false)
	// Served on the read loop behind initialize's after-answer work.
	if _, err := p.call("authStatus", nil); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Errorf("SIGTERM after initialize: status %d, want 0 (a clean end)", code)
	}

	q := start(t, opts{})
	// Up and serving (it says so in its log), not yet initialized.
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(q.log(), "deckhand serving on stdio"); {
		if time.Now().After(deadline) {
			t.Fatal("deckhand did not start serving")
		}
		time.Sleep(10 * time.Millisecond)
	}
	q.cmd.Process.Signal(syscall.SIGTERM)
	q.wait(20 * time.Second)
	if ws, ok := q.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("SIGTERM before initialize: %v, want the default action (killed by SIGTERM)", q.cmd.ProcessState)
	}
}
