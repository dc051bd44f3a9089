package e2e

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// benchServer is a logged-in deckhand against an instant fake upstream.
func benchServer(b *testing.B) (*upstreamtest.Server, *proc) {
	fake := upstreamtest.New()
	b.Cleanup(fake.Close)
	home := b.TempDir()
	writeOAuth(b, home, fake.Mint(), "acct_bench", farFuture())
	p := start(b, opts{fake: fake, home: home, args: []string{"--log-level", "warn"}})
	p.initialize(false)
	return fake, p
}

// BenchmarkFirstDelta measures the time from sending chat to reading its
// first chat/delta: deckhand's own latency, the upstream answering at once.
func BenchmarkFirstDelta(b *testing.B) {
	fake, p := benchServer(b)
	first := make(chan time.Time, 1)
	var once sync.Mutex
	armed := false
	p.onNote = func(m msg) {
		once.Lock()
		defer once.Unlock()
		if armed && m.Method == "chat/delta" {
			armed = false
			first <- time.Now()
		}
	}
	var total time.Duration
	for b.Loop() {
		fake.PushCodex(upstreamtest.Text("Hello from the model."))
		once.Lock()
		armed = true
		once.Unlock()
		t0 := time.Now()
		_, ch := p.send("chat", map[string]any{"message": "hi"})
		t1 := <-first
		total += t1.Sub(t0)
		if _, err := p.await(ch, "chat"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/first-delta")
}

// BenchmarkRelayPerDelta measures what relaying one text delta costs: a step
// of many small deltas, from request to result, divided by the deltas.
func BenchmarkRelayPerDelta(b *testing.B) {
	fake, p := benchServer(b)
	text := strings.Repeat("abcdefgh", 2000) // 2000 deltas of 8 bytes
	const deltas = 2000
	var elapsed time.Duration
	for b.Loop() {
		fake.PushCodex(upstreamtest.Text(text))
		t0 := time.Now()
		var r chatResult
		p.ok("chat", map[string]any{"message": "go"}, &r)
		elapsed += time.Since(t0)
		if len(r.Text) != len(text) {
			b.Fatalf("text of %d bytes, want %d", len(r.Text), len(text))
		}
		p.mu.Lock()
		p.notes = p.notes[:0]
		p.mu.Unlock()
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*deltas), "ns/delta")
}
