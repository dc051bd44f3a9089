package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// BenchmarkLaterTurnFirstText measures a later turn of a session, the turn
// an editor sends most: from sending chat with the session's id to reading
// its first chat/delta, the upstream answering at once. Everything on that
// path is deckhand's own: the session store, the instructions, persistence
// and the request it builds (the target is 2 ms or less).
func BenchmarkLaterTurnFirstText(b *testing.B) {
	fake, p := benchServer(b)
	var mu sync.Mutex
	armed := false
	first := make(chan time.Time, 1)
	p.onNote = func(m msg) {
		mu.Lock()
		defer mu.Unlock()
		if armed && m.Method == "chat/delta" {
			armed = false
			first <- time.Now()
		}
	}
	var took []float64
	for b.Loop() {
		// A new session each time, so that the history does not grow
		// from one measure to the next: its first turn, then the one
		// measured.
		b.StopTimer()
		fake.PushCodex(upstreamtest.Text("The first turn."))
		var r chatResult
		p.ok("chat", map[string]any{"message": "hello"}, &r)
		if r.SessionID == "" {
			b.Fatal("the first chat named no session")
		}
		b.StartTimer()
		fake.PushCodex(upstreamtest.Text("A later answer."))
		mu.Lock()
		armed = true
		mu.Unlock()
		t0 := time.Now()
		_, ch := p.send("chat", map[string]any{"sessionId": r.SessionID, "message": "and then?"})
		took = append(took, float64((<-first).Sub(t0).Microseconds())/1000)
		if _, err := p.await(ch, "chat"); err != nil {
			b.Fatal(err)
		}
		p.mu.Lock()
		p.notes = p.notes[:0]
		p.mu.Unlock()
	}
	b.ReportMetric(median(took), "ms/send-to-first-text") // the median: see BenchmarkStartup
}
