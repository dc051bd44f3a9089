package engine

import (
	"context"
	"fmt"
)

// Bounds on the tool calls of one step: 5,000 reads in one step held
// 1.98 GB, and 40 huge reads were still running 2 s after a cancel.
const (
	// maxCallsPerStep is the calls of one step that run; the rest get an
	// answer that tells the model to make them in a later step.
	maxCallsPerStep = 64
	// maxParallelTools bounds the read-only calls running at once, across
	// every session of the process.
	maxParallelTools = 8
	// maxMessageBytes bounds the user's message of one turn: one of 60 MB
	// held 1.08 GB, and no model takes that much in one message.
	maxMessageBytes = 1 << 20
)

// refuseExtraCalls answers the calls past maxCallsPerStep without running
// them, and returns how many calls run.
func (t *turn) refuseExtraCalls(calls []Item, outcomes []callOutcome) int {
	if len(calls) <= maxCallsPerStep {
		return len(calls)
	}
	for k := maxCallsPerStep; k < len(calls); k++ {
		outcomes[k] = callOutcome{output: fmt.Sprintf(
			"not run: this step made %d tool calls and at most %d run in one step; make this call again in the next step if you still need it",
			len(calls), maxCallsPerStep)}
		t.announce(calls[k])
		t.report(calls[k], outcomes[k])
	}
	return maxCallsPerStep
}

// toolSlot waits for one of the maxParallelTools slots (or ctx's end, when
// the call then runs at once to see the cancel) and returns its release.
func (e *Engine) toolSlot(ctx context.Context) func() {
	e.slotsOnce.Do(func() { e.slots = make(chan struct{}, maxParallelTools) })
	select {
	case e.slots <- struct{}{}:
		return func() { <-e.slots }
	case <-ctx.Done():
		return func() {}
	}
}
