package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// basicHandlers registers a few simple methods.
func basicHandlers(c *Conn) {
	c.Handle("echo", func(_ context.Context, params json.RawMessage) (any, error) {
		return params, nil
	})
	c.Handle("nil", func(context.Context, json.RawMessage) (any, error) { return nil, nil })
	c.Handle("plain", func(context.Context, json.RawMessage) (any, error) { return nil, errors.New("boom") })
	c.Handle("typed", func(context.Context, json.RawMessage) (any, error) {
		err := &Error{Code: -32003, Message: "Session busy.", Data: map[string]string{"sessionId": "s1"}}
		return nil, fmt.Errorf("chat: %w", err)
	})
	c.Handle("panic", func(context.Context, json.RawMessage) (any, error) { panic("kaboom") })
}

func TestConnAnswers(t *testing.T) {
	for _, framing := range framings {
		t.Run(framing, func(t *testing.T) {
			leakCheck(t)
			h := serve(t, framing, options{}, basicHandlers)
			p := h.peer
			p.request(1, "echo", map[string]any{"a": []int{1, 2}})
			p.expectResult("1", `{"a":[1,2]}`)
			p.request("s-1", "nil", nil)
			p.expectResult(`"s-1"`, "null")
			p.request(0, "plain", nil)
			if m := p.expectError(-32603, "0"); m.Error.Message != "Internal error: boom; the server goes on, try again." {
				t.Errorf("message %q", m.Error.Message)
			}
			p.request(3, "typed", nil)
			if m := p.expectError(-32003, "3"); m.Error.Message != "Session busy." || string(m.Error.Data) != `{"sessionId":"s1"}` {
				t.Errorf("wrapped *Error not sent as is: %s", m.raw)
			}
			p.request(4, "nope/such", nil)
			if m := p.expectError(-32601, "4"); !strings.Contains(m.Error.Message, "nope/such") {
				t.Errorf("-32601 does not name the method: %q", m.Error.Message)
			}
			p.request(5, "panic", nil)
			if m := p.expectError(-32603, "5"); m.Error.Message != msgPanic {
				t.Errorf("panic message %q", m.Error.Message)
			}
			p.request(6, "echo", "still alive")
			p.expectResult("6", `"still alive"`)
		})
	}
}

// TestConnSurvivesBadFrames: bad frames are answered and the same
// connection answers the next request.
func TestConnSurvivesBadFrames(t *testing.T) {
	tests := []struct {
		name, frame string
		code        int64
		id          string
	}{
		{"parse error", `{"jsonrpc":"2.0","id":1,"method":`, -32700, "null"},
		{"batch", `[{"jsonrpc":"2.0","id":1,"method":"echo"}]`, -32600, "null"},
		{"fractional id", `{"jsonrpc":"2.0","id":1.5,"method":"echo"}`, -32600, "null"},
		{"object id", `{"jsonrpc":"2.0","id":{},"method":"echo"}`, -32600, "null"},
		{"null id", `{"jsonrpc":"2.0","id":null,"method":"echo"}`, -32600, "null"},
		{"no method", `{"id":3}`, -32600, "3"},
		{"minus zero id", `{"jsonrpc":"2.0","id":-0,"method":"echo"}`, -32600, "-0"},
		{"member twice", `{"jsonrpc":"2.0","id":4,"method":"echo","method":"other"}`, -32600, "4"},
		{"param twice", `{"jsonrpc":"2.0","id":5,"method":"echo","params":{"a":1,"a":2}}`, -32600, "5"},
	}
	for _, framing := range framings {
		for _, tt := range tests {
			t.Run(framing+"/"+tt.name, func(t *testing.T) {
				leakCheck(t)
				h := serve(t, framing, options{}, basicHandlers)
				// The first frame fixes the framing ('[' first would mean headers).
				h.peer.request(0, "echo", 0)
				h.peer.expectResult("0", "0")
				h.peer.send(tt.frame)
				h.peer.expectError(tt.code, tt.id)
				h.peer.request(2, "echo", 1)
				h.peer.expectResult("2", "1")
			})
		}
	}
}

func TestConnOversizeFrame(t *testing.T) {
	for _, framing := range framings {
		t.Run(framing, func(t *testing.T) {
			leakCheck(t)
			h := serve(t, framing, options{maxFrame: 128}, basicHandlers)
			h.peer.request(1, "echo", strings.Repeat("x", 200))
			h.peer.expectError(-32600, "null")
			h.peer.request(2, "echo", "small")
			h.peer.expectResult("2", `"small"`)
		})
	}
}

func TestConnDuplicateID(t *testing.T) {
	leakCheck(t)
	release := make(chan struct{})
	h := serve(t, FramingNDJSON, options{}, func(c *Conn) {
		c.Handle("wait", func(context.Context, json.RawMessage) (any, error) { <-release; return "done", nil })
	})
	h.peer.request(1, "wait", nil)
	h.peer.request(1, "wait", nil)
	h.peer.expectError(-32600, "1")
	close(release)
	h.peer.expectResult("1", `"done"`)
}

func TestConnMiddleware(t *testing.T) {
	leakCheck(t)
	h := serve(t, FramingLSP, options{}, func(c *Conn) {
		initialized := false // touched by one request at a time in this test
		c.Handle("initialize", func(context.Context, json.RawMessage) (any, error) {
			initialized = true
			return "ok", nil
		})
		c.Handle("echo", func(_ context.Context, p json.RawMessage) (any, error) { return p, nil })
		c.SetMiddleware(func(method string, next HandlerFunc) HandlerFunc {
			return func(ctx context.Context, params json.RawMessage) (any, error) {
				if method != "initialize" && !initialized {
					return nil, &Error{Code: -32002, Message: "Send initialize first."}
				}
				return next(ctx, params)
			}
		})
	})
	p := h.peer
	p.request(1, "echo", 1)
	p.expectError(-32002, "1")
	p.request(2, "unknown", nil)
	p.expectError(-32002, "2")
	p.request(3, "initialize", nil)
	p.expectResult("3", `"ok"`)
	p.request(4, "echo", 4)
	p.expectResult("4", "4")
	p.request(5, "unknown", nil)
	p.expectError(-32601, "5")
}

func TestConnErrorMapping(t *testing.T) {
	c := newConn(NewStream(strings.NewReader(""), &strings.Builder{}, 0), nil, 8)
	tests := []struct {
		name      string
		err       error
		cancelled bool
		code      int64
		message   string
	}{
		{"plain", errors.New("disk full"), false, -32603, "Internal error: disk full; the server goes on, try again."},
		{"typed", &Error{Code: -32602, Message: "bad"}, false, -32602, "bad"},
		{"wrapped typed", fmt.Errorf("a: %w", fmt.Errorf("b: %w", &Error{Code: -32011, Message: "slow down"})), false, -32011, "slow down"},
		{"cancelled request", fmt.Errorf("turn: %w", context.Canceled), true, -32800, msgCancelled},
		{"canceled but request alive", context.Canceled, false, -32603, "Internal error: context canceled; the server goes on, try again."},
		{"panic", errPanic, false, -32603, msgPanic},
	}
	for _, tt := range tests {
		got := c.errorReply("m", tt.err, tt.cancelled)
		if got.Code != tt.code || got.Message != tt.message {
			t.Errorf("%s: got %d %q, want %d %q", tt.name, got.Code, got.Message, tt.code, tt.message)
		}
	}
}

// TestConnStreamErrorsWaitTheirTurn: the stream's own answer to a bad frame
// goes out after what was queued before it, as every frame does.
func TestConnStreamErrorsWaitTheirTurn(t *testing.T) {
	leakCheck(t)
	for range 20 {
		h := serve(t, FramingNDJSON, options{delayRead: true}, func(c *Conn) {
			c.HandleInline("talk", func(context.Context, json.RawMessage) (any, error) {
				for i := range 5 {
					c.Notify("said", i)
				}
				return "done", nil
			})
		})
		h.peer.request(1, "talk", nil)
		h.peer.sendRaw("{not json\n")
		h.peer.startReading()
		for i := range 5 {
			if m := h.peer.next(); m.Method != "said" {
				t.Fatalf("frame %d: %+v, want notification %d", i, m, i)
			}
		}
		h.peer.expectResult("1", `"done"`)
		h.peer.expectError(-32700, "null")
	}
}
