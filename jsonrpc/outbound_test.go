package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

type decision struct {
	Decision string `json:"decision"`
}

// TestConnCallFromHandler: a handler asks the editor twice (ids 1 and 2)
// while another request is running, and gets both answers.
func TestConnCallFromHandler(t *testing.T) {
	for _, framing := range framings {
		t.Run(framing, func(t *testing.T) {
			leakCheck(t)
			release := make(chan struct{})
			h := serve(t, framing, options{}, func(c *Conn) {
				waitHandlers(release)(c)
				c.Handle("ask", func(ctx context.Context, _ json.RawMessage) (any, error) {
					var answers []string
					for i := range 2 {
						var d decision
						if err := c.Call(ctx, "permission/request", map[string]int{"n": i}, &d); err != nil {
							return nil, err
						}
						answers = append(answers, d.Decision)
					}
					return answers, nil
				})
			})
			p := h.peer
			p.request(1, "wait", nil)
			p.request(2, "ask", nil)
			var last json.RawMessage
			for i, answer := range []string{"allow", "deny"} {
				m := p.next()
				if m.Method != "permission/request" || string(m.ID) == string(last) || string(m.Params) != fmt.Sprintf(`{"n":%d}`, i) {
					t.Fatalf("want permission/request %d with a new id, got %s", i, m.raw)
				}
				// Ids cannot be guessed: answers forged for a counter's
				// ids, and a second answer to the last request, are
				// ignored (the first answer decides, once).
				var id uint64
				if err := json.Unmarshal(m.ID, &id); err != nil || id < 1<<32 {
					t.Fatalf("id %s: want a number with random low bits", m.ID)
				}
				for _, forged := range []uint64{0, 1, 2, 3, id - 1, id + 1} {
					p.reply(json.RawMessage(fmt.Sprint(forged)), decision{"allowAlways"})
				}
				if last != nil {
					p.reply(last, decision{"allowAlways"})
				}
				p.reply(m.ID, decision{answer})
				last = m.ID
			}
			p.expectResult("2", `["allow","deny"]`)
			close(release)
			p.expectResult("1", `"slow"`)
		})
	}
}

// TestConnCallErrorAnswer: an error answer comes back as an *Error, and a
// handler returning it sends it on as is.
func TestConnCallErrorAnswer(t *testing.T) {
	leakCheck(t)
	h := serve(t, FramingNDJSON, options{}, func(c *Conn) {
		c.Handle("ask", func(ctx context.Context, _ json.RawMessage) (any, error) {
			err := c.Call(ctx, "permission/request", nil, nil)
			var rpcErr *Error
			if !errors.As(err, &rpcErr) || rpcErr.Code != -32099 || string(rpcErr.Data.(json.RawMessage)) != `{"why":"no"}` {
				t.Errorf("Call error %#v", err)
			}
			return nil, err
		})
	})
	h.peer.request(7, "ask", nil)
	m := h.peer.next()
	if m.Method != "permission/request" || m.Params != nil {
		t.Fatalf("got %s", m.raw)
	}
	h.peer.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32099,"message":"refused","data":{"why":"no"}}}`, m.ID))
	if m := h.peer.expectError(-32099, "7"); m.Error.Message != "refused" {
		t.Errorf("message %q", m.Error.Message)
	}
}

// TestConnCallCancelled: cancelling the request whose handler waits in
// Call ends the Call with the context's error, the request answers -32800,
// and the editor is told to cancel the outgoing request.
func TestConnCallCancelled(t *testing.T) {
	for _, framing := range framings {
		t.Run(framing, func(t *testing.T) {
			leakCheck(t)
			callErr := make(chan error, 1)
			h := serve(t, framing, options{}, func(c *Conn) {
				c.Handle("ask", func(ctx context.Context, _ json.RawMessage) (any, error) {
					err := c.Call(ctx, "permission/request", map[string]string{}, &decision{})
					callErr <- err
					return nil, err
				})
			})
			p := h.peer
			p.request(5, "ask", nil)
			m := p.next()
			if m.Method != "permission/request" || len(m.ID) == 0 {
				t.Fatalf("got %s", m.raw)
			}
			p.notify("$/cancelRequest", map[string]int{"id": 5})
			got := []msg{p.next(), p.next()}
			if got[0].Method != "$/cancelRequest" || string(got[0].Params) != `{"id":`+string(m.ID)+`}` {
				t.Errorf("want $/cancelRequest {id:%s} first, got %s", m.ID, got[0].raw)
			}
			if got[1].code() != -32800 || string(got[1].ID) != "5" {
				t.Errorf("want -32800 for id 5, got %s", got[1].raw)
			}
			if err := <-callErr; !errors.Is(err, context.Canceled) {
				t.Errorf("Call returned %v", err)
			}
			// A late answer to the forgotten request is ignored.
			p.reply(m.ID, decision{"allow"})
			p.request(6, "nope", nil)
			p.expectError(-32601, "6")
		})
	}
}

func TestConnCallAfterServe(t *testing.T) {
	leakCheck(t)
	h := serve(t, FramingNDJSON, options{}, nil)
	h.peer.notify("hello", nil)
	_ = h.conn.Close()
	if err := h.wait(); err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
	if err := h.conn.Call(context.Background(), "x", nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Call after Serve: %v, want ErrClosed", err)
	}
	h.conn.Notify("x", 1) // dropped quietly, never blocks
}

type delta struct {
	SessionID string `json:"sessionId"`
	Text      string `json:"text"`
}

func mergeDeltas(older, newer any) any {
	o, n := older.(delta), newer.(delta)
	return delta{SessionID: o.SessionID, Text: o.Text + n.Text}
}

// TestConnMergeUnderPressure: with the editor not reading, the queue fills
// past half; deltas of one key fold into the newest item, other items keep
// their place and order.
func TestConnMergeUnderPressure(t *testing.T) {
	for _, framing := range framings {
		t.Run(framing, func(t *testing.T) {
			leakCheck(t)
			h := serve(t, framing, options{queueLimit: 10, delayRead: true}, nil)
			h.peer.notify("hello", nil) // fixes the framing; the writer then blocks on the unread pipe
			c := h.conn
			for i := range 7 {
				c.Notify("status", i)
			}
			var s1a, s1b strings.Builder
			pushed := make(chan struct{})
			go func() {
				defer close(pushed)
				for i := range 50 {
					c.NotifyMergeable("chat/delta", "s1", delta{"s1", fmt.Sprint(i, " ")}, mergeDeltas)
					fmt.Fprint(&s1a, i, " ")
				}
				c.NotifyMergeable("chat/delta", "s2", delta{"s2", "other"}, mergeDeltas)
				for i := 50; i < 100; i++ {
					c.NotifyMergeable("chat/delta", "s1", delta{"s1", fmt.Sprint(i, " ")}, mergeDeltas)
					fmt.Fprint(&s1b, i, " ")
				}
			}()
			select {
			case <-pushed:
			case <-time.After(hangGuard):
				t.Fatal("NotifyMergeable blocked: deltas were not merged under pressure")
			}
			h.peer.startReading()
			for i := range 7 {
				if m := h.peer.next(); m.Method != "status" || string(m.Params) != fmt.Sprint(i) {
					t.Fatalf("frame %d: %s", i, m.raw)
				}
			}
			for _, want := range []delta{{"s1", s1a.String()}, {"s2", "other"}, {"s1", s1b.String()}} {
				m := h.peer.next()
				if m.Method != "chat/delta" || string(m.Params) != mustJSON(t, want) {
					t.Fatalf("got %s, want %s", m.raw, mustJSON(t, want))
				}
			}
		})
	}
}

// TestConnNoMergeWithoutPressure: deltas are only merged under pressure.
func TestConnNoMergeWithoutPressure(t *testing.T) {
	leakCheck(t)
	h := serve(t, FramingLSP, options{delayRead: true}, nil)
	h.peer.notify("hello", nil)
	for i := range 20 {
		h.conn.NotifyMergeable("chat/delta", "s1", delta{"s1", fmt.Sprint(i)}, mergeDeltas)
	}
	h.peer.startReading()
	for i := range 20 {
		if m := h.peer.next(); string(m.Params) != mustJSON(t, delta{"s1", fmt.Sprint(i)}) {
			t.Fatalf("delta %d: %s", i, m.raw)
		}
	}
}
