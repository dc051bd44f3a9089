package main

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// Once listening, the first SIGTERM ends the context; listening twice is
// listening once; a nil *signals (Run called by a test) does nothing.
func TestSignalsListen(t *testing.T) {
	var none *signals
	none.listen()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &signals{cancel: cancel}
	s.listen()
	s.listen()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM after listen did not end the context")
	}
}
