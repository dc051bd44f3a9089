package jsonrpctest

import (
	"io"
	"sync"
	"testing"
	"time"
)

// Client is a Conn that keeps what the server sent: every frame in order,
// the notifications, the server's requests (answered by OnRequest) and
// any output that was not a frame.
type Client struct {
	*Conn

	mu        sync.Mutex
	onRequest func(m Message) any
	received  []Message
	notes     []Message
	requests  []Message
	garbage   []string
	noteC     chan struct{} // signalled on every new notification
	done      chan struct{} // closed when Read ends
}

// Start makes a Client that writes to w and reads r on a goroutine of its
// own until r ends; the test's cleanup waits for it (close the server's
// output first, or end the server).
func Start(t testing.TB, w io.Writer, r io.Reader, lsp bool) *Client {
	c := &Client{noteC: make(chan struct{}, 1), done: make(chan struct{})}
	c.Conn = NewConn(t, w, lsp, c)
	go func() {
		defer close(c.done)
		c.Read(r)
	}()
	t.Cleanup(func() { <-c.done })
	return c
}

// OnRequest sets the handler of the server's requests: a non-nil result is
// the answer; nil answers nothing.
func (c *Client) OnRequest(h func(m Message) any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onRequest = h
}

// Request implements Handler.
func (c *Client) Request(m Message) any {
	c.mu.Lock()
	c.received = append(c.received, m)
	c.requests = append(c.requests, m)
	h := c.onRequest
	c.mu.Unlock()
	if h == nil {
		return nil
	}
	return h(m)
}

// Notification implements Handler.
func (c *Client) Notification(m Message) {
	c.mu.Lock()
	c.received = append(c.received, m)
	c.notes = append(c.notes, m)
	c.mu.Unlock()
	select {
	case c.noteC <- struct{}{}:
	default:
	}
}

// Garbage implements Handler.
func (c *Client) Garbage(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.garbage = append(c.garbage, s)
}

// Answer implements Handler.
func (c *Client) Answer(m Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.received = append(c.received, m)
}

// Received is every frame the server sent so far, in order.
func (c *Client) Received() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.received...)
}

// Notifications returns the notifications so far with the given method
// ("" = all).
func (c *Client) Notifications(method string) []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Message
	for _, m := range c.notes {
		if method == "" || m.Method == method {
			out = append(out, m)
		}
	}
	return out
}

// Requests returns the server's requests so far.
func (c *Client) Requests() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.requests...)
}

// GarbageSoFar returns what the server wrote that was not a frame.
func (c *Client) GarbageSoFar() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.garbage...)
}

// WaitFor waits until a notification with the method satisfies pred (nil:
// any does), and fails the test after within.
func (c *Client) WaitFor(method string, pred func(m Message) bool, within time.Duration) Message {
	c.t.Helper()
	deadline := time.After(within)
	for {
		for _, m := range c.Notifications(method) {
			if pred == nil || pred(m) {
				return m
			}
		}
		select {
		case <-c.noteC:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			c.t.Fatalf("no %s notification within %s", method, within)
		}
	}
}
