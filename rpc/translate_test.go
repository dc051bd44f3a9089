package rpc

import (
	"encoding/json"
	"runtime"
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

// Merging n deltas must allocate O(n) bytes, not O(n²): with 20,000 deltas
// of 10 bytes, copying the text on every merge would allocate about 2 GB;
// growing one buffer allocates a small multiple of the 200 KB result.
func TestTextBatchMergeAllocatesLinearly(t *testing.T) {
	ev := engine.TurnEvent{Kind: engine.EventDelta, SessionID: "s", TurnID: "t", Text: "abcdefghij"}
	const n = 20000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var batch any = newTextBatch(ev)
	for range n {
		batch = mergeText(batch, newTextBatch(ev))
	}
	runtime.ReadMemStats(&after)
	result := (n + 1) * len(ev.Text)
	if got := after.TotalAlloc - before.TotalAlloc; got > uint64(50*result) {
		t.Errorf("merging %d deltas allocated %d bytes for a %d-byte text: more than linear", n, got, result)
	}
	if b := batch.(*textBatch); b.text.Len() != result {
		t.Errorf("merged %d bytes, want %d", b.text.Len(), result)
	}
}
