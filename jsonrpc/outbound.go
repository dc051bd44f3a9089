package jsonrpc

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/sourcegraph/jsonrpc2"
	"go.uber.org/zap"
)

// Notify queues a notification. It returns at once unless the queue is
// full of items that cannot be merged; then it waits for room
// (backpressure: a notification is never dropped while the connection is
// open). params is encoded now; nil sends no params.
func (c *Conn) Notify(method string, params any) {
	var raw json.RawMessage
	if params != nil {
		var err error
		if raw, err = encodeJSON(params); err != nil {
			c.log.Error("notification params not encodable", zap.String("method", method), zap.Error(err))
			return
		}
	}
	if err := c.queue.push(context.Background(), &outItem{kind: itemNotify, method: method, raw: raw}); err != nil {
		c.log.Debug("notification dropped: connection closed", zap.String("method", method))
	}
}

// NotifyMergeable is Notify for notifications that may be folded together,
// such as text deltas. When the queue is more than half full and its newest
// item is a mergeable notification with the same method and key, the new
// one is merged into it with merge(older, newer) instead of being added.
// merge runs with the queue locked: it must be quick and must not call back
// into the Conn. params is encoded only when written, so the caller must
// not change it after the call.
func (c *Conn) NotifyMergeable(method, key string, params any, merge func(older, newer any) any) {
	if merge == nil {
		c.Notify(method, params)
		return
	}
	it := &outItem{kind: itemNotify, method: method, key: key, params: params, merge: merge}
	if err := c.queue.push(context.Background(), it); err != nil {
		c.log.Debug("notification dropped: connection closed", zap.String("method", method))
	}
}

type callState int

const (
	callQueued callState = iota
	callSending
	callSent
	callFailed
	callAbandoned // the caller gave up
)

// pendingCall is an outgoing request between Call and the writer.
type pendingCall struct {
	id   uint64
	ctx  context.Context
	done chan callStart // buffered: the writer never waits for the caller

	mu    sync.Mutex
	state callState
}

type callStart struct {
	waiter jsonrpc2.Waiter
	err    error
}

func (p *pendingCall) started(w jsonrpc2.Waiter, err error) {
	p.done <- callStart{waiter: w, err: err}
}

// abandon marks the call given up and reports whether the request had been
// written (so the peer should be told to cancel it).
func (p *pendingCall) abandon() (wasSent bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	wasSent = p.state == callSent
	p.state = callAbandoned
	return wasSent
}

// Call sends a request to the peer and waits for its answer, decoded into
// result (a pointer, or nil to ignore it). Ids are unguessable (see
// nextCallID); an answer is taken only for a request still waited on, and
// only once. The request
// goes through the same queue as notifications, so it is written after
// every frame queued before it. Call may be used from inside a handler
// while other requests run. When ctx ends first it returns ctx.Err(), the
// request is forgotten and, if it was already written, the peer is sent
// "$/cancelRequest" {id}. An error answer is returned as an *Error; a
// closed connection as ErrClosed.
func (c *Conn) Call(ctx context.Context, method string, params, result any) error {
	var raw json.RawMessage
	if params != nil {
		var err error
		if raw, err = encodeJSON(params); err != nil {
			return fmt.Errorf("encode %s params: %w", method, err)
		}
	}
	p := &pendingCall{id: c.nextCallID(), ctx: ctx, done: make(chan callStart, 1)}
	if err := c.queue.push(ctx, &outItem{kind: itemCall, method: method, raw: raw, call: p}); err != nil {
		return err
	}
	var start callStart
	select {
	case start = <-p.done:
	case <-ctx.Done():
		if p.abandon() {
			c.Notify(c.cancelMethod(), c.cancelParamsFor(p.id))
		}
		return ctx.Err()
	}
	if start.err != nil {
		if errors.Is(start.err, jsonrpc2.ErrClosed) || errors.Is(start.err, ErrClosed) {
			return ErrClosed
		}
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(start.err, ctxErr) {
			return ctxErr
		}
		return fmt.Errorf("send %s: %w", method, start.err)
	}
	err := start.waiter.Wait(ctx, result)
	var libErr *jsonrpc2.Error
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		c.Notify(c.cancelMethod(), c.cancelParamsFor(p.id))
		return ctx.Err()
	case errors.Is(err, jsonrpc2.ErrClosed):
		return ErrClosed
	case errors.As(err, &libErr):
		out := &Error{Code: libErr.Code, Message: libErr.Message}
		if libErr.Data != nil {
			out.Data = *libErr.Data
		}
		return out
	}
	return fmt.Errorf("decode %s result: %w", method, err)
}

// writeLoop is the one writer: it drains the queue in order until the
// queue is closed and empty.
func (c *Conn) writeLoop(peer *jsonrpc2.Conn) {
	for {
		it, ok := c.queue.pop()
		if !ok {
			return
		}
		c.write(peer, it)
	}
}

// write writes one item. Failures are logged and the item dropped: the
// writer keeps draining so that nobody waits on a dead output.
func (c *Conn) write(peer *jsonrpc2.Conn, it *outItem) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("writing a frame panicked", zap.String("method", it.method),
				zap.String("panic", fmt.Sprint(r)), zap.StackSkip("stack", 1))
		}
	}()
	var err error
	switch it.kind {
	case itemNotify:
		raw := it.raw
		if it.merge != nil && it.params != nil {
			if raw, err = encodeJSON(it.params); err != nil {
				c.log.Error("notification params not encodable", zap.String("method", it.method), zap.Error(err))
				return
			}
		}
		err = c.stream.WriteObject(wireNotification{JSONRPC: "2.0", Method: it.method, Params: raw})
	case itemReply:
		err = c.stream.WriteObject(wireResponse{JSONRPC: "2.0", ID: it.id, Result: it.result, Error: it.err})
	case itemCall:
		err = c.writeCall(peer, it)
	case itemFrame:
		err = c.stream.WriteObject(it.raw)
	}
	if err != nil {
		c.log.Debug("frame not written", zap.String("method", it.method), zap.Error(err))
	}
}

// writeCall sends an outgoing request through jsonrpc2, which keeps the
// pending entry the answer will be matched to, unless the caller already
// gave up.
func (c *Conn) writeCall(peer *jsonrpc2.Conn, it *outItem) error {
	p := it.call
	p.mu.Lock()
	if p.state == callAbandoned {
		p.mu.Unlock()
		p.started(jsonrpc2.Waiter{}, p.ctx.Err())
		return nil
	}
	p.state = callSending
	p.mu.Unlock()

	var params any
	if it.raw != nil {
		params = it.raw
	}
	w, err := peer.DispatchCall(p.ctx, it.method, params, jsonrpc2.PickID(jsonrpc2.ID{Num: p.id}))

	p.mu.Lock()
	abandoned := p.state == callAbandoned
	if err != nil {
		p.state = callFailed
	} else if !abandoned {
		p.state = callSent
	}
	p.mu.Unlock()
	p.started(w, err)
	if err == nil && abandoned {
		return c.stream.WriteObject(wireNotification{JSONRPC: "2.0", Method: c.cancelMethod(),
			Params: c.cancelParamsFor(p.id)})
	}
	return err
}

// nextCallID returns the id of a new outgoing request: a counter in the
// high bits, so that no two requests in flight share an id, over 32 random
// bits. A process that can write into deckhand's stdin but cannot read its
// stdout (one that opened /proc/<pid>/fd/0 in the instant after exec) must
// not be able to answer a permission request by guessing its id: counting
// from 1, a spray of "allowAlways" for ids 1..300 did. Ids stay below 2^46
// (under 10^14): a JavaScript editor reads them exactly, and one that
// prints numbers with 14 significant digits (Neovim's JSON encoder) sends
// them back exactly.
func (c *Conn) nextCallID() uint64 {
	n := c.lastID.Add(1) & (1<<14 - 1)
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail (it crashes the program first)
	return n<<32 | uint64(binary.LittleEndian.Uint32(b[:]))
}
