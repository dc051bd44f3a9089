package main

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
)

// startup is what the stdio server puts off while it starts, and gives
// itself once initialize is answered (what an editor waits for); every
// other command has it all at once.
//
//   - Signals. Listening costs an OS thread (os/signal locks one to manage
//     the masks) and two goroutines; before the answer nothing runs that a
//     signal's default action (the end of the process) could leave half
//     done. Once listening, the first SIGINT or SIGTERM ends the context
//     and a second one the process.
//   - Processors. The server's start runs on one P: it is sequential
//     work, and a second P only wakes threads that spin looking for work,
//     on a two-core machine beside the start itself (about 1 ms of CPU and
//     0.5 ms of the answer's wait, measured by e2e's BenchmarkStartup). A
//     GOMAXPROCS the user set is left alone.
type startup struct {
	cancel context.CancelFunc
	procs  bool // GOMAXPROCS was narrowed and is to be given back
	once   sync.Once
}

// narrow puts the process on one P until done; a nil *startup does
// nothing.
func (s *startup) narrow() {
	if s != nil && os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
		s.procs = true
	}
}

// done ends the start, once: the runtime's own GOMAXPROCS comes back (if
// narrow took it) and signals are listened for. A nil *startup does
// nothing (Run called by a test).
func (s *startup) done() {
	if s == nil {
		return
	}
	s.once.Do(func() {
		if s.procs {
			runtime.SetDefaultGOMAXPROCS()
		}
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-ch
			signal.Stop(ch) // the next one takes its default action
			s.cancel()
		}()
	})
}

type startupKey struct{}

// withStartup hands s to Run through ctx.
func withStartup(ctx context.Context, s *startup) context.Context {
	return context.WithValue(ctx, startupKey{}, s)
}

// startupOf is what withStartup put in ctx, nil without.
func startupOf(ctx context.Context) *startup {
	s, _ := ctx.Value(startupKey{}).(*startup)
	return s
}
