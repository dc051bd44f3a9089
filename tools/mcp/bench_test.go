package mcp_test

import (
	"context"
	"testing"

	"github.com/deckhand-dev/deckhand/tools/mcp"
)

// BenchmarkStdioStart is what a session's first turn waits for: one stdio
// server started, initialized and its tools listed, then closed.
func BenchmarkStdioStart(b *testing.B) {
	srv := stdioServer(b, "test", nil)
	for b.Loop() {
		set := mcp.NewSet([]mcp.Server{srv}, mcp.Options{Contain: contain})
		set.Start(context.Background())
		if set.Status()[0].State != mcp.StateReady {
			b.Fatalf("status %+v", set.Status())
		}
		set.Close()
	}
}

// BenchmarkStdioCall is one tool call on a running stdio server.
func BenchmarkStdioCall(b *testing.B) {
	set := mcp.NewSet([]mcp.Server{stdioServer(b, "test", nil)}, mcp.Options{Contain: contain})
	defer set.Close()
	set.Start(context.Background())
	for b.Loop() {
		if _, err := set.Call(context.Background(), "mcp__test__echo", []byte(`{"text":"x"}`)); err != nil {
			b.Fatal(err)
		}
	}
}
