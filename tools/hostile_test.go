package tools

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestHostileEditDiagnosisBounded: the diagnosis of an edit that did not
// match gives up on an input built to make it quadratic (millions of equal
// lines, an oldString of 2,000 of them whose last differs) instead of
// burning a core for minutes.
func TestHostileEditDiagnosisBounded(t *testing.T) {
	content := strings.Repeat("\tx = 1\n", 1<<20)
	old := strings.Repeat("x = 1\n", 1999) + "y = 2\n"
	done := make(chan string, 1)
	go func() { done <- explainNoMatch(content, old, "big.go") }()
	select {
	case msg := <-done:
		if !strings.Contains(msg, "was not found") {
			t.Errorf("diagnosis %q", msg)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the no-match diagnosis is still running after a minute")
	}
}

// endlessLine is a file of one line that never ends.
type endlessLine struct{}

func (endlessLine) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestHostileReadStopsOnCancel: reading one endless line stops when the
// call is cancelled (it checked only every 4096 lines).
func TestHostileReadStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := readPage(ctx, endlessLine{}, 1, 10)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("an endless read ended without an error")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the read goes on after its call was cancelled")
	}
}
