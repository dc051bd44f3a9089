package rpc

import (
	"testing"

	"github.com/deckhand-dev/deckhand/engine"
)

// The protocol's stop reasons are fixed: the engine's newer ones end the
// turn as end_turn.
func TestWireStop(t *testing.T) {
	for in, want := range map[engine.StopReason]string{
		engine.StopEndTurn:   "end_turn",
		engine.StopCancelled: "cancelled",
		engine.StopMaxSteps:  "max_steps",
		engine.StopMaxTokens: "end_turn",
		engine.StopRefusal:   "end_turn",
		engine.StopError:     "error",
	} {
		if got := wireStop(in); got != want {
			t.Errorf("wireStop(%s) = %s, want %s", in, got, want)
		}
	}
}
