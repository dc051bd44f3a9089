package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/sourcegraph/jsonrpc2"
	"go.uber.org/zap"
)

// dispatcher is the jsonrpc2.Handler. jsonrpc2 calls it on its read loop,
// one message at a time, in arrival order.
type dispatcher struct{ c *Conn }

func (d dispatcher) Handle(_ context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) {
	if req.Notif {
		d.c.handleNotification(req)
		return
	}
	d.c.startRequest(req)
}

func paramsOf(req *jsonrpc2.Request) json.RawMessage {
	if req.Params == nil {
		return nil
	}
	return *req.Params
}

// handleNotification runs a notification inline.
func (c *Conn) handleNotification(req *jsonrpc2.Request) {
	if req.Method == c.cancelMethod() {
		c.cancelRequest(paramsOf(req))
		return
	}
	c.mu.Lock()
	h, stopping, ctx := c.notifs[req.Method], c.stopping, c.base
	if h != nil && !stopping {
		c.active.Add(1)
	}
	c.mu.Unlock()
	switch {
	case stopping:
		return
	case h == nil:
		c.log.Debug("notification without handler ignored", zap.String("method", req.Method))
		return
	}
	defer c.active.Done()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("notification handler panicked", zap.String("method", req.Method),
				zap.String("panic", fmt.Sprint(r)), zap.StackSkip("stack", 1))
		}
	}()
	h(ctx, paramsOf(req))
}

// cancelRequest cancels the context of the request named by params {id}.
func (c *Conn) cancelRequest(params json.RawMessage) {
	id, ok := c.cancelledID(params)
	if !ok {
		c.log.Debug("cancellation without a usable id ignored")
		return
	}
	c.mu.Lock()
	cancel := c.inflight[*id]
	c.mu.Unlock()
	if cancel == nil {
		c.log.Debug("cancellation for no running request", zap.Stringer("id", *id))
		return
	}
	cancel()
}

// startRequest enters the request in the cancellation map and starts its
// goroutine.
func (c *Conn) startRequest(req *jsonrpc2.Request) {
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		return
	}
	if _, busy := c.inflight[req.ID]; busy {
		c.mu.Unlock()
		c.enqueueReply(req.ID, nil, &wireError{
			Code:    CodeInvalidRequest,
			Message: fmt.Sprintf("Invalid request: id %s is already used by a request in progress; use a new id.", req.ID),
		})
		return
	}
	h := c.handlers[req.Method]
	if h == nil {
		h = methodNotFound(req.Method)
	}
	mw, gate, inline := c.middleware, c.gate, c.inline[req.Method]
	ctx, cancel := context.WithCancel(context.WithValue(context.WithValue(c.base, requestIDKey{}, req.ID), afterKey{}, &afterReply{}))
	c.inflight[req.ID] = cancel
	c.active.Add(1)
	c.mu.Unlock()

	if gate != nil {
		if err := gate(req.Method); err != nil {
			h = func(context.Context, json.RawMessage) (any, error) { return nil, err }
			inline = true
		}
	}
	if inline {
		defer c.active.Done()
		c.serveRequest(ctx, cancel, req, h, mw, true)
		return
	}
	go func() {
		defer c.active.Done()
		c.serveRequest(ctx, cancel, req, h, mw, false)
	}()
}

type requestIDKey struct{}

// RequestID is the id of the request a handler serves, as the peer sent it
// (a JSON number or string); false outside a request handler.
func RequestID(ctx context.Context) (json.RawMessage, bool) {
	id, ok := ctx.Value(requestIDKey{}).(jsonrpc2.ID)
	if !ok {
		return nil, false
	}
	raw, err := json.Marshal(id)
	return raw, err == nil
}

func methodNotFound(method string) HandlerFunc {
	return func(context.Context, json.RawMessage) (any, error) {
		return nil, &Error{Code: CodeMethodNotFound, Message: fmt.Sprintf("Method not found: %q is not a method this server serves.", method)}
	}
}

// serveRequest runs one request and queues its reply.
func (c *Conn) serveRequest(ctx context.Context, cancel context.CancelFunc, req *jsonrpc2.Request, h HandlerFunc, mw Middleware, inline bool) {
	result, err := c.invoke(ctx, req.Method, paramsOf(req), h, mw)
	cancelled := ctx.Err() != nil
	c.mu.Lock()
	delete(c.inflight, req.ID)
	c.mu.Unlock()
	cancel()
	if err != nil {
		c.enqueueReply(req.ID, nil, c.errorReply(req.Method, err, cancelled))
		yieldIf(inline)
		return
	}
	c.enqueueReply(req.ID, result, nil)
	yieldIf(inline)
	if a, ok := ctx.Value(afterKey{}).(*afterReply); ok {
		a.run()
	}
}

// yieldIf lets the writer take an answer the read loop queued before the
// loop reads on. The read blocks its thread in read(2); the writer, made
// ready on that thread's queue, then waited for another thread to wake and
// take it, which on a busy two-core machine put a tenth of a millisecond
// or more between initialize's answer and the editor.
func yieldIf(inline bool) {
	if inline {
		runtime.Gosched()
	}
}

type afterKey struct{}

// afterReply holds what a handler asked to run once its answer is queued.
type afterReply struct {
	mu  sync.Mutex
	fns []func()
}

func (a *afterReply) run() {
	a.mu.Lock()
	fns := a.fns
	a.fns = nil
	a.mu.Unlock()
	for _, f := range fns {
		func() {
			defer func() { _ = recover() }() // the answer went out; nothing to fail
			f()
		}()
	}
}

// AfterReply runs f once the handler serving ctx has returned a result and
// that result is queued, so that what f sends goes out after the answer (a
// notification about what the answer created, say). f does not run when the
// handler fails or outside a request handler.
func AfterReply(ctx context.Context, f func()) {
	if a, ok := ctx.Value(afterKey{}).(*afterReply); ok {
		a.mu.Lock()
		a.fns = append(a.fns, f)
		a.mu.Unlock()
	}
}

// invoke calls the handler (through the middleware) and encodes its
// result; a panic in either becomes errPanic.
func (c *Conn) invoke(ctx context.Context, method string, params json.RawMessage, h HandlerFunc, mw Middleware) (raw json.RawMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("request handler panicked", zap.String("method", method),
				zap.String("panic", fmt.Sprint(r)), zap.StackSkip("stack", 1))
			raw, err = nil, errPanic
		}
	}()
	if mw != nil {
		h = mw(method, h)
	}
	result, err := h(ctx, params)
	if err != nil {
		return nil, err
	}
	raw, err = encodeJSON(result)
	if err != nil {
		c.log.Error("result not encodable", zap.String("method", method), zap.Error(err))
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return raw, nil
}

// The texts of the errors the Conn makes itself.
const (
	msgPanic     = "Internal error: the request failed unexpectedly (the log has the details); the server goes on."
	msgCancelled = "The request was cancelled."
)

// errorReply maps a handler's error to the error object sent.
func (c *Conn) errorReply(method string, err error, cancelled bool) *wireError {
	var rpcErr *Error
	var libErr *jsonrpc2.Error
	switch {
	case errors.As(err, &rpcErr):
		out := &wireError{Code: rpcErr.Code, Message: rpcErr.Message}
		if rpcErr.Data != nil {
			data, derr := encodeJSON(rpcErr.Data)
			if derr != nil {
				c.log.Error("error data not encodable", zap.String("method", method), zap.Error(derr))
			} else {
				out.Data = data
			}
		}
		return out
	case errors.As(err, &libErr):
		out := &wireError{Code: libErr.Code, Message: libErr.Message}
		if libErr.Data != nil {
			out.Data = *libErr.Data
		}
		return out
	case errors.Is(err, errPanic):
		return &wireError{Code: CodeInternalError, Message: msgPanic}
	case cancelled && errors.Is(err, context.Canceled):
		return &wireError{Code: CodeRequestCancelled, Message: msgCancelled}
	}
	return &wireError{Code: CodeInternalError, Message: "Internal error: " + strings.TrimRight(err.Error(), ".") + "; the server goes on, try again."}
}

// enqueueReply queues a reply; when the connection is closed it is dropped.
func (c *Conn) enqueueReply(id jsonrpc2.ID, result json.RawMessage, werr *wireError) {
	it := &outItem{kind: itemReply, id: id, result: result, err: werr}
	if werr == nil && result == nil {
		it.result = json.RawMessage("null")
	}
	if err := c.queue.push(context.Background(), it); err != nil {
		c.log.Debug("reply dropped: connection closed", zap.Stringer("id", id))
	}
}
