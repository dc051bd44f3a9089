package engine

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// toolOutputEvery is the least time between two chat/toolOutput
// notifications of one call: a command that prints fast is sent in batches.
const toolOutputEvery = 100 * time.Millisecond

// outputThrottle passes a running command's output on in batches, at most
// one every interval: the first chunk goes at once, later ones wait for the
// interval to pass and go together. Flush sends what is left, and nothing
// is sent after it. Chunks are cut on rune boundaries, never inside one.
type outputThrottle struct {
	mu       sync.Mutex
	emit     func(text string)
	every    time.Duration
	pending  strings.Builder
	carry    []byte // the start of a rune cut by the end of a chunk
	last     time.Time
	timer    *time.Timer
	finished bool
}

func newOutputThrottle(every time.Duration, emit func(text string)) *outputThrottle {
	return &outputThrottle{emit: emit, every: every}
}

// Write takes a chunk of output (from the command's reading goroutine).
func (o *outputThrottle) Write(chunk string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.finished {
		return
	}
	data := append(o.carry, chunk...)
	cut := len(data)
	for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	o.pending.Write(data[:cut])
	o.carry = append([]byte(nil), data[cut:]...)
	if wait := o.every - time.Since(o.last); wait > 0 {
		if o.timer == nil {
			o.timer = time.AfterFunc(wait, o.tick)
		}
		return
	}
	o.sendLocked()
}

func (o *outputThrottle) tick() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.timer = nil
	if !o.finished {
		o.sendLocked()
	}
}

func (o *outputThrottle) sendLocked() {
	if o.pending.Len() == 0 {
		return
	}
	text := o.pending.String()
	o.pending.Reset()
	o.last = time.Now()
	o.emit(text)
}

// Flush sends what is pending and stops the throttle.
func (o *outputThrottle) Flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.finished {
		return
	}
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
	o.pending.Write(o.carry)
	o.carry = nil
	o.sendLocked()
	o.finished = true
}
