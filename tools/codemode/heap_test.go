package codemode

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// The probe tells garbage from live memory: with collection paused, 64 MB
// of dropped buffers put the cheap reading over a 32 MB bound, and the
// confirming collection clears it; 64 MB kept stays over.
func TestHeapProbeConfirmsWithACollection(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()
	base := readHeap()
	const bound = 32 << 20
	garbage := make([][]byte, 0, 64)
	for range 64 {
		garbage = append(garbage, make([]byte, 1<<20))
	}
	runtime.KeepAlive(garbage)
	if readHeap() <= base+bound {
		t.Fatal("the garbage did not show in the cheap reading: the test proves nothing")
	}
	var p heapProbe
	if p.over(base, bound) {
		t.Error("garbage counted as the script's memory")
	}
	kept := make([][]byte, 0, 64)
	for range 64 {
		kept = append(kept, make([]byte, 1<<20))
	}
	var q heapProbe
	if !q.over(base, bound) {
		t.Error("64 MB kept is not over a 32 MB bound")
	}
	runtime.KeepAlive(kept)
}
