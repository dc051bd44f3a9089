package codemode

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// heapProbe reads the Go heap for the cells' watchdogs. The cheap reading
// (bytes in heap objects, garbage not yet swept included) runs every tick;
// when it says a cell is over its bound, a forced collection confirms it
// before the cell is stopped, at most once per confirmEvery, so that
// garbage awaiting collection does not count as the script's memory.
type heapProbe struct {
	mu         sync.Mutex
	lastGC     time.Time
	lastResult uint64
}

const (
	heapObjects  = "/memory/classes/heap/objects:bytes"
	confirmEvery = 250 * time.Millisecond
)

func readHeap() uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// over reports whether the heap has grown by more than limit since base.
func (p *heapProbe) over(base, limit uint64) bool {
	if readHeap() <= base+limit {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.lastGC) >= confirmEvery {
		runtime.GC()
		p.lastGC = time.Now()
		p.lastResult = readHeap()
	}
	return p.lastResult > base+limit
}
