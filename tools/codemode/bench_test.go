package codemode

import (
	"context"
	"testing"
)

// BenchmarkCellStartup is the cost of one exec that does nothing: a fresh
// runtime, the caps prelude, the tools object, the run and the report.
func BenchmarkCellStartup(b *testing.B) {
	m := NewManager(echoTools(), nestedTools, Limits{})
	defer m.Close()
	b.ReportAllocs()
	for b.Loop() {
		out, err := m.Exec(context.Background(), "exec-1", "return 1")
		if err != nil || out.Failed {
			b.Fatalf("%v %+v", err, out)
		}
	}
}

// BenchmarkNestedCall is the cost a nested call adds over a direct one:
// the promise, the goroutine and the trip back through the event loop.
func BenchmarkNestedCall(b *testing.B) {
	m := NewManager(echoTools(), nestedTools, Limits{})
	defer m.Close()
	b.ReportAllocs()
	for b.Loop() {
		out, err := m.Exec(context.Background(), "exec-1", `for (let i = 0; i < 100; i++) await tools.exec_command({cmd: "ls"})`)
		if err != nil || out.Failed {
			b.Fatalf("%v %+v", err, out)
		}
	}
}
