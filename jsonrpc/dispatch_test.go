package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// waitHandlers registers "wait" (blocks until cancelled, or released if
// release is not nil) and "fast".
func waitHandlers(release chan struct{}) func(c *Conn) {
	return func(c *Conn) {
		c.Handle("wait", func(ctx context.Context, _ json.RawMessage) (any, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-release:
				return "slow", nil
			}
		})
		c.Handle("fast", func(context.Context, json.RawMessage) (any, error) { return "fast", nil })
	}
}

func TestConnConcurrentRequests(t *testing.T) {
	for _, framing := range framings {
		t.Run(framing, func(t *testing.T) {
			leakCheck(t)
			release := make(chan struct{})
			h := serve(t, framing, options{}, waitHandlers(release))
			h.peer.request(1, "wait", nil)
			h.peer.request(2, "fast", nil)
			h.peer.expectResult("2", `"fast"`) // while 1 still runs
			close(release)
			h.peer.expectResult("1", `"slow"`)
		})
	}
}

func TestConnCancelRequest(t *testing.T) {
	for _, framing := range framings {
		for _, id := range []string{"1", `"req-1"`} {
			t.Run(framing+"/"+id, func(t *testing.T) {
				leakCheck(t)
				h := serve(t, framing, options{}, waitHandlers(nil))
				p := h.peer
				p.request(json.RawMessage(id), "wait", nil)
				p.request(2, "fast", nil)
				p.expectResult("2", `"fast"`)
				p.notify("$/cancelRequest", map[string]any{"id": 99})   // unknown: ignored
				p.notify("$/cancelRequest", map[string]any{"id": "zz"}) // unknown: ignored
				p.notify("$/cancelRequest", map[string]any{"bad": true})
				p.notify("$/cancelRequest", map[string]any{"id": json.RawMessage(id)})
				if m := p.expectError(-32800, id); m.Error.Message != msgCancelled {
					t.Errorf("message %q", m.Error.Message)
				}
				p.request(3, "fast", nil)
				p.expectResult("3", `"fast"`)
			})
		}
	}
}

func TestConnNotificationOrder(t *testing.T) {
	for _, framing := range framings {
		t.Run(framing, func(t *testing.T) {
			leakCheck(t)
			var mu sync.Mutex
			var seen []int
			h := serve(t, framing, options{}, func(c *Conn) {
				c.HandleNotification("tick", func(_ context.Context, params json.RawMessage) {
					var n int
					if err := json.Unmarshal(params, &n); err != nil {
						t.Errorf("tick params %s", params)
					}
					mu.Lock()
					seen = append(seen, n)
					mu.Unlock()
				})
				c.HandleNotification("boom", func(context.Context, json.RawMessage) { panic("in a notification") })
				c.Handle("seen", func(context.Context, json.RawMessage) (any, error) {
					mu.Lock()
					defer mu.Unlock()
					return seen, nil
				})
			})
			want := make([]int, 200)
			for i := range want {
				want[i] = i
				h.peer.notify("tick", i)
				if i == 100 {
					h.peer.notify("boom", nil)      // a panic does not stop the reader
					h.peer.notify("unhandled", nil) // ignored
				}
			}
			h.peer.request(1, "seen", nil)
			h.peer.expectResult("1", mustJSON(t, want))
		})
	}
}

// TestConnReplyAfterNotifications: a reply is written after the
// notifications its handler queued before returning.
func TestConnReplyAfterNotifications(t *testing.T) {
	for _, framing := range framings {
		t.Run(framing, func(t *testing.T) {
			leakCheck(t)
			h := serve(t, framing, options{}, func(c *Conn) {
				c.Handle("work", func(context.Context, json.RawMessage) (any, error) {
					for i := range 50 {
						c.Notify("progress", map[string]int{"step": i})
					}
					return "done", nil
				})
			})
			h.peer.request(1, "work", nil)
			for i := range 50 {
				m := h.peer.next()
				if m.Method != "progress" || string(m.Params) != fmt.Sprintf(`{"step":%d}`, i) {
					t.Fatalf("frame %d: %s", i, m.raw)
				}
			}
			h.peer.expectResult("1", `"done"`)
		})
	}
}

// A handler learns the id of the request it serves, as the peer sent it.
func TestRequestID(t *testing.T) {
	leakCheck(t)
	h := serve(t, framings[0], options{}, func(c *Conn) {
		c.Handle("whoami", func(ctx context.Context, _ json.RawMessage) (any, error) {
			id, ok := RequestID(ctx)
			if !ok {
				return nil, errors.New("no request id")
			}
			return id, nil
		})
	})
	h.peer.request(7, "whoami", nil)
	h.peer.expectResult("7", "7")
	h.peer.request("a-1", "whoami", nil)
	h.peer.expectResult(`"a-1"`, `"a-1"`)
	if _, ok := RequestID(context.Background()); ok {
		t.Error("RequestID outside a handler reported an id")
	}
}

// What a handler asks to run after its answer goes out after it; a failed
// handler's does not run.
func TestAfterReply(t *testing.T) {
	leakCheck(t)
	var conn *Conn
	h := serve(t, framings[0], options{}, func(c *Conn) {
		conn = c
		c.Handle("make", func(ctx context.Context, raw json.RawMessage) (any, error) {
			AfterReply(ctx, func() { conn.Notify("made", map[string]string{"what": "thing"}) })
			if string(raw) == `"fail"` {
				return nil, errors.New("no")
			}
			return "ok", nil
		})
	})
	h.peer.request(1, "make", nil)
	h.peer.expectResult("1", `"ok"`)
	if m := h.peer.next(); m.Method != "made" {
		t.Fatalf("after the answer: %s, want the notification", m.raw)
	}
	h.peer.request(2, "make", "fail")
	h.peer.expectError(-32603, "2")
	h.peer.request(3, "make", nil)
	h.peer.expectResult("3", `"ok"`)
	if m := h.peer.next(); m.Method != "made" {
		t.Fatalf("after the answer: %s, want the notification", m.raw)
	}
}
