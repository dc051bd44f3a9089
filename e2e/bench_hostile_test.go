package e2e

import (
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// Peak memory of deckhand under hostile upstreams: each must stay bounded
// (README, "Bounds"). The answer is cut at 16 MiB, an event at 8 MiB.

// BenchmarkHostileStreamedText: an answer streamed without end (what was
// 100 MB of text, 1.15 GB of deckhand) is cut at the bound.
func BenchmarkHostileStreamedText(b *testing.B) {
	hostileStreamBench(b, upstreamtest.Step().Text("flood ").EndlessText())
}

// BenchmarkHostileEndlessEvent: one server-sent event that never ends
// (1 GiB of it took 3.9 GB).
func BenchmarkHostileEndlessEvent(b *testing.B) {
	hostileStreamBench(b, upstreamtest.Step().Text("hi").EndlessEvent())
}

func hostileStreamBench(b *testing.B, step *upstreamtest.StepBuilder) {
	fake, p := benchServer(b)
	for b.Loop() {
		fake.PushCodex(step.Reply())
		if _, err := p.call("chat", map[string]any{"message": "hi"}); err == nil {
			b.Fatal("the endless answer was not cut")
		}
	}
	now, peak := rss(b, p.cmd.Process.Pid)
	b.ReportMetric(now, "MiB-RSS")
	b.ReportMetric(peak, "MiB-peak-RSS")
}
