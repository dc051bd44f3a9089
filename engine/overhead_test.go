package engine

import "testing"

// TestOverheadKeptWhileTheShapeStays: a request's size besides its input is
// measured once per shape, and again when the shape changes.
func TestOverheadKeptWhileTheShapeStays(t *testing.T) {
	var m contextMeter
	measured := 0
	measure := func(n int) func() int {
		return func() int { measured++; return n }
	}
	steps := []struct {
		key        string
		size, want int
		measures   int
	}{
		{"gpt-5.5|medium", 100, 100, 1},
		{"gpt-5.5|medium", 999, 100, 1}, // kept: not measured again
		{"gpt-5.5|high", 120, 120, 2},   // a new shape is measured
		{"gpt-5.5|medium", 101, 101, 3}, // and the old one again
	}
	for i, s := range steps {
		if got := m.overheadFor(s.key, measure(s.size)); got != s.want || measured != s.measures {
			t.Fatalf("step %d: overhead %d after %d measures, want %d after %d", i, got, measured, s.want, s.measures)
		}
	}
}
