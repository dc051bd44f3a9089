package main

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// The server's start runs on one P; done gives the runtime's own
// GOMAXPROCS back and listens for signals, once: SIGTERM then ends the
// context. A GOMAXPROCS the user set is never touched.
func TestStartup(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &startup{cancel: cancel}
	s.narrow()
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("starting on %d Ps, want 1", n)
	}
	s.done()
	s.done()
	if n := runtime.GOMAXPROCS(0); n != def {
		t.Errorf("after the start %d Ps, want the default %d", n, def)
	}
	terminated(t, ctx)

	t.Setenv("GOMAXPROCS", "3")
	runtime.GOMAXPROCS(3)
	defer runtime.SetDefaultGOMAXPROCS()
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	s = &startup{cancel: cancel}
	s.narrow()
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Errorf("GOMAXPROCS=3 set by the user: starting on %d Ps", n)
	}
	s.done()
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Errorf("GOMAXPROCS=3 set by the user: %d Ps after the start", n)
	}
	terminated(t, ctx)
}

// terminated sends this process SIGTERM and waits for ctx to end.
func terminated(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM after the start did not end the context")
	}
}
