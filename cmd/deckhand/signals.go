package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// signals ends a context at the first SIGINT or SIGTERM; a second one ends
// the process at once (the default action comes back). main makes it and
// Run decides when it starts listening: the stdio server once initialize
// is answered, the other commands at once. Listening costs a start an OS
// thread (os/signal locks one to manage the masks) and two goroutines: on
// a two-core machine a tenth of a millisecond or more of what an editor
// waits for, while before the answer there is nothing a signal's default
// action (the end of the process) could leave half done.
type signals struct {
	cancel context.CancelFunc
	once   sync.Once
}

// listen starts listening, once; a nil *signals does nothing (Run called
// by a test).
func (s *signals) listen() {
	if s == nil {
		return
	}
	s.once.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-ch
			signal.Stop(ch) // the next one takes its default action
			s.cancel()
		}()
	})
}

type signalsKey struct{}

// withSignals hands s to Run through ctx.
func withSignals(ctx context.Context, s *signals) context.Context {
	return context.WithValue(ctx, signalsKey{}, s)
}

// signalsOf is what withSignals put in ctx, nil without.
func signalsOf(ctx context.Context) *signals {
	s, _ := ctx.Value(signalsKey{}).(*signals)
	return s
}
