package rpc

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/engine"
)

func TestTextBatchMergesInOrder(t *testing.T) {
	ev := engine.TurnEvent{Kind: engine.EventDelta, SessionID: "s", TurnID: "t", Text: "a"}
	var batch any = newTextBatch(ev)
	var want strings.Builder
	want.WriteString("a")
	for i := range 10000 {
		ev.Text = string(rune('b' + i%20))
		want.WriteString(ev.Text)
		batch = mergeText(batch, newTextBatch(ev))
	}
	b, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ SessionID, TurnID, Text string }
	json.Unmarshal(b, &got)
	if got.SessionID != "s" || got.TurnID != "t" || got.Text != want.String() {
		t.Errorf("merged %s/%s text of %d bytes, want %d", got.SessionID, got.TurnID, len(got.Text), want.Len())
	}
}

// BenchmarkMergeUnderPressure: merging n deltas must cost O(n), not O(n²).
func BenchmarkMergeUnderPressure(b *testing.B) {
	ev := engine.TurnEvent{Kind: engine.EventDelta, SessionID: "s", TurnID: "t", Text: "abcdefghij"}
	for b.Loop() {
		var batch any = newTextBatch(ev)
		for range 20000 {
			batch = mergeText(batch, newTextBatch(ev))
		}
	}
}
