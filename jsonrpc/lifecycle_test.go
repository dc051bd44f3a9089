package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// cancelRecorder registers "wait", which reports its context's end.
func cancelRecorder(ended chan<- error) func(c *Conn) {
	return func(c *Conn) {
		waitHandlers(nil)(c)
		c.Handle("wait", func(ctx context.Context, _ json.RawMessage) (any, error) {
			<-ctx.Done()
			ended <- ctx.Err()
			return nil, ctx.Err()
		})
	}
}

func expectEnded(t *testing.T, ended <-chan error) {
	t.Helper()
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("handler context ended with %v", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("in-flight handler was not cancelled")
	}
}

// TestServeEOF: at input EOF Serve cancels in-flight handlers, flushes
// their replies and the replies already due, and returns nil.
func TestServeEOF(t *testing.T) {
	for _, framing := range framings {
		t.Run(framing, func(t *testing.T) {
			leakCheck(t)
			ended := make(chan error, 1)
			h := serve(t, framing, options{pipes: true}, cancelRecorder(ended))
			p := h.peer
			p.request(1, "wait", nil)
			p.request(2, "fast", nil)
			_ = p.in.Close() // EOF right behind the request
			if err := h.wait(); err != nil {
				t.Fatalf("Serve at EOF: %v", err)
			}
			expectEnded(t, ended)
			got := map[string]msg{}
			for range 2 {
				m := p.next()
				got[string(m.ID)] = m
			}
			if string(got["2"].Result) != `"fast"` || got["1"].code() != -32800 {
				t.Errorf("replies after EOF: %v", got)
			}
			if _, ok := <-p.frames; ok {
				t.Error("output not closed after Serve")
			}
		})
	}
}

// TestServeEOFOverNetPipe: the same over a full-duplex pipe the editor
// closes entirely; replies are dropped quietly.
func TestServeEOFOverNetPipe(t *testing.T) {
	leakCheck(t)
	ended := make(chan error, 1)
	h := serve(t, FramingLSP, options{}, cancelRecorder(ended))
	h.peer.request(1, "wait", nil)
	h.peer.request(2, "fast", nil)
	h.peer.expectResult("2", `"fast"`)
	h.closer()
	if err := h.wait(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	expectEnded(t, ended)
}

func TestServeStops(t *testing.T) {
	tests := []struct {
		name string
		stop func(h *harness)
		want error
	}{
		{"context", func(h *harness) { h.cancel() }, context.Canceled},
		{"Close", func(h *harness) { _ = h.conn.Close() }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakCheck(t)
			ended := make(chan error, 1)
			h := serve(t, FramingNDJSON, options{}, cancelRecorder(ended))
			h.peer.request(1, "wait", nil)
			h.peer.request(2, "fast", nil)
			h.peer.expectResult("2", `"fast"`)
			tt.stop(h)
			if err := h.wait(); !errors.Is(err, tt.want) {
				t.Fatalf("Serve: %v, want %v", err, tt.want)
			}
			expectEnded(t, ended)
			if err := h.conn.Serve(context.Background()); err == nil {
				t.Error("second Serve accepted")
			}
		})
	}
}

// TestServeStopsWithStuckEditor: an editor that reads nothing cannot keep
// Serve from returning once it is closed.
func TestServeStopsWithStuckEditor(t *testing.T) {
	leakCheck(t)
	h := serve(t, FramingNDJSON, options{queueLimit: 4, delayRead: true}, nil)
	h.peer.notify("hello", nil)
	notified := make(chan struct{})
	go func() {
		defer close(notified)
		for range 20 {
			h.conn.Notify("n", 1) // blocks once the queue is full
		}
	}()
	_ = h.conn.Close()
	if err := h.wait(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	select {
	case <-notified:
	case <-time.After(hangGuard):
		t.Fatal("Notify still blocked after Close")
	}
}
