package engine

import (
	"strings"
	"sync"
	"testing"
	"time"
)

type sent struct {
	mu    sync.Mutex
	texts []string
	at    []time.Time
}

func (s *sent) emit(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, text)
	s.at = append(s.at, time.Now())
}

func TestOutputThrottleBatches(t *testing.T) {
	var s sent
	o := newOutputThrottle(50*time.Millisecond, s.emit)
	o.Write("first\n")
	for i := 0; i < 100; i++ {
		o.Write("x")
	}
	time.Sleep(120 * time.Millisecond)
	o.Write("late é"[:6]) // the é cut after its first byte
	o.Write("é"[1:] + "\n")
	o.Flush()
	o.Write("after flush")
	s.mu.Lock()
	defer s.mu.Unlock()
	all := strings.Join(s.texts, "")
	if all != "first\n"+strings.Repeat("x", 100)+"late é\n" {
		t.Fatalf("sent %q", s.texts)
	}
	if s.texts[0] != "first\n" || len(s.texts) > 4 {
		t.Errorf("batches %q: want the first chunk alone, then few batches", s.texts)
	}
	for i, text := range s.texts {
		if !strings.HasSuffix(text, "\n") && !strings.HasSuffix(text, "x") && !strings.HasSuffix(text, "late ") {
			t.Errorf("batch %d %q cut inside a rune", i, text)
		}
	}
	for i := 1; i < len(s.at); i++ {
		if gap := s.at[i].Sub(s.at[i-1]); gap < 45*time.Millisecond && i < len(s.at)-1 {
			t.Errorf("batches %d and %d only %v apart", i-1, i, gap)
		}
	}
}
