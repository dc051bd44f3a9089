// Package jsonrpctest is the editor's end of a JSON-RPC 2.0 connection, for
// tests: Conn frames messages as deckhand's faces do (one JSON object a
// line, or LSP's Content-Length headers), numbers requests and matches
// their answers; Client adds to it a record of what the server sent. Every
// Go test that talks to a face over a stream uses it: the end-to-end tests
// over the built binary's pipes, the faces' own tests over in-memory pipes.
// Model: gopls's internal/test/integration/fake editor.
//
// Production code never imports it (deps_test.go).
package jsonrpctest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is any frame the server sends.
type Message struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// Error is a JSON-RPC error object.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// Handler hears what the server sends besides the answers to the Conn's
// own requests, on the goroutine that runs Read.
type Handler interface {
	// Request is a server-to-client request; a non-nil result is sent
	// back as its answer.
	Request(m Message) (result any)
	// Notification is a notification, or an answer that matches no
	// request of the Conn's (one to a frame written raw).
	Notification(m Message)
	// Answer is an answer to a request of the Conn's, as it arrives,
	// before the request's caller gets it.
	Answer(m Message)
	// Garbage is output that is not a frame.
	Garbage(s string)
}

// Conn is the framing and the request ids of one connection.
type Conn struct {
	t   testing.TB
	w   io.Writer
	lsp bool
	h   Handler

	wmu     sync.Mutex // one frame at a time
	mu      sync.Mutex
	nextID  int
	pending map[string]chan Message
}

// AnswerTimeout bounds the wait for the answer to a request.
const AnswerTimeout = 60 * time.Second

// NewConn writes to w, in LSP framing when lsp is set; h hears the rest.
// Run Read on the server's output (h may be nil for a Conn that never
// reads).
func NewConn(t testing.TB, w io.Writer, lsp bool, h Handler) *Conn {
	return &Conn{t: t, w: w, lsp: lsp, h: h, pending: map[string]chan Message{}}
}

// Read parses every frame of r until it ends, and returns why it ended.
func (c *Conn) Read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		frame, err := c.readFrame(br)
		if err != nil {
			return err
		}
		var m Message
		if json.Unmarshal(frame, &m) != nil {
			c.h.Garbage(string(frame))
			continue
		}
		c.dispatch(m)
	}
}

func (c *Conn) readFrame(r *bufio.Reader) ([]byte, error) {
	if !c.lsp {
		line, err := r.ReadBytes('\n')
		if err != nil {
			if len(bytes.TrimSpace(line)) > 0 {
				c.h.Garbage(string(line))
			}
			return nil, err
		}
		return line, nil
	}
	length := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line == "\r\n" {
			break
		}
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
			c.h.Garbage(line)
			continue
		}
		if length, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
			return nil, err
		}
	}
	buf := make([]byte, length)
	_, err := io.ReadFull(r, buf)
	return buf, err
}

func (c *Conn) dispatch(m Message) {
	switch {
	case m.Method != "" && len(m.ID) > 0:
		if res := c.h.Request(m); res != nil {
			c.Write(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": res})
		}
	case m.Method != "":
		c.h.Notification(m)
	default:
		c.mu.Lock()
		ch := c.pending[string(m.ID)]
		delete(c.pending, string(m.ID))
		c.mu.Unlock()
		if ch != nil {
			c.h.Answer(m)
			ch <- m
			return
		}
		c.h.Notification(m)
	}
}

// Write sends v as one frame.
func (c *Conn) Write(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.WriteRaw(b)
}

// WriteRaw sends b as one frame, as it is.
func (c *Conn) WriteRaw(b []byte) {
	var frame []byte
	if c.lsp {
		frame = append([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n", len(b))), b...)
	} else {
		frame = append(append([]byte{}, b...), '\n')
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.w.Write(frame)
}

// Send starts a request and returns its id and the channel of its answer.
func (c *Conn) Send(method string, params any) (int, chan Message) {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan Message, 1)
	c.pending[strconv.Itoa(id)] = ch
	c.mu.Unlock()
	m := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		m["params"] = params
	}
	c.Write(m)
	return id, ch
}

// Await waits for the answer on ch, of the request named what.
func (c *Conn) Await(ch chan Message, what string) (json.RawMessage, *Error) {
	c.t.Helper()
	select {
	case m := <-ch:
		return m.Result, m.Error
	case <-time.After(AnswerTimeout):
		c.t.Fatalf("no answer to %s within %s", what, AnswerTimeout)
		return nil, nil
	}
}

// Call sends a request and waits for its answer.
func (c *Conn) Call(method string, params any) (json.RawMessage, *Error) {
	c.t.Helper()
	_, ch := c.Send(method, params)
	return c.Await(ch, method)
}

// OK calls and fails the test on an error answer; it decodes the result
// into out when out is not nil.
func (c *Conn) OK(method string, params any, out any) {
	c.t.Helper()
	res, err := c.Call(method, params)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			c.t.Fatalf("%s: decoding %s: %v", method, res, err)
		}
	}
}

// Fails calls and expects an error answer with the given code.
func (c *Conn) Fails(method string, params any, code int) *Error {
	c.t.Helper()
	res, err := c.Call(method, params)
	if err == nil {
		c.t.Fatalf("%s: want error %d, got result %s", method, code, res)
	}
	if err.Code != code {
		c.t.Fatalf("%s: want error %d, got %d %q", method, code, err.Code, err.Message)
	}
	return err
}

// Notify sends a notification.
func (c *Conn) Notify(method string, params any) {
	m := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		m["params"] = params
	}
	c.Write(m)
}
