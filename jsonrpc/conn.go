package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deckhand-dev/deckhand/protocol"
	"github.com/sourcegraph/jsonrpc2"
	"go.uber.org/zap"
)

// HandlerFunc answers one request. It runs in its own goroutine with its
// own context, cancelled by $/cancelRequest for its id or when the
// connection stops. See Conn for how its result and error are sent.
type HandlerFunc func(ctx context.Context, params json.RawMessage) (result any, err error)

// NotificationFunc handles one notification. Notifications run one at a
// time on the read loop, in arrival order, so a NotificationFunc must be
// quick: nothing else is read while it runs.
type NotificationFunc func(ctx context.Context, params json.RawMessage)

// Middleware wraps the handler of every request, including the one that
// answers -32601 for a method nobody handles; method is the request's.
// It is how a server answers -32002 before initialize, for example.
type Middleware func(method string, next HandlerFunc) HandlerFunc

// Conn is a JSON-RPC peer over a Stream, on jsonrpc2.Conn, with deckhand's
// dispatch:
//
//   - notifications run inline on the read loop, in arrival order;
//     "$/cancelRequest" {id} is handled by the Conn itself and cancels that
//     request's context (unknown ids are ignored); other notifications with
//     no handler are ignored;
//   - each request runs in its own goroutine with its own context (a child
//     of Serve's), entered in the id-to-cancel map before it starts;
//   - a handler's error is answered as is when it is (or wraps) an *Error;
//     context.Canceled from a cancelled request is -32800 "request
//     cancelled"; any other error is -32603 "internal error: <err>"; a panic
//     is -32603 "internal error", logged with its stack; an unknown method
//     is -32601; a nil result is "result": null;
//   - everything written (notifications, replies, outgoing requests) goes
//     through one bounded FIFO queue drained by one writer goroutine, so a
//     reply follows every notification queued before it.
type Conn struct {
	stream *Stream
	log    *zap.Logger
	queue  *queue
	lastID atomic.Uint64 // counts outgoing requests (the high bits of their ids)

	mu          sync.Mutex
	handlers    map[string]HandlerFunc
	notifs      map[string]NotificationFunc
	middleware  Middleware
	gate        func(method string) error
	cancelName  string          // the cancellation notification's method
	cancelField string          // and the member of its params that holds the id
	inline      map[string]bool // methods answered on the read loop
	serving     bool
	stopping    bool                               // no new handler starts
	base        context.Context                    // parent of every handler context
	inflight    map[jsonrpc2.ID]context.CancelFunc // the one cancellation map
	active      sync.WaitGroup                     // running handlers, requests and notifications

	closeOnce  sync.Once
	closed     chan struct{}
	finishOnce sync.Once
	finish     chan struct{}
}

// NewConn returns a Conn speaking over stream; log may be nil.
func NewConn(stream *Stream, log *zap.Logger) *Conn {
	return newConn(stream, log, queueLimit)
}

func newConn(stream *Stream, log *zap.Logger, limit int) *Conn {
	if log == nil {
		log = zap.NewNop()
	}
	c := &Conn{
		stream:     stream,
		log:        log,
		queue:      newQueue(limit),
		handlers:   map[string]HandlerFunc{},
		notifs:     map[string]NotificationFunc{},
		inflight:   map[jsonrpc2.ID]context.CancelFunc{},
		inline:     map[string]bool{},
		cancelName: protocol.MethodCancelRequest,
		base:       context.Background(),
		closed:     make(chan struct{}),
		finish:     make(chan struct{}),
	}
	// The stream's answers to frames it refuses go through the one ordered
	// queue too: one writer owns the output.
	stream.errSink = func(body json.RawMessage) bool {
		return c.queue.push(context.Background(), &outItem{kind: itemFrame, raw: body}) == nil
	}
	return c
}

// Handle registers the handler of a request method. Call it before Serve.
func (c *Conn) Handle(method string, h HandlerFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers[method] = h
}

// HandleNotification registers the handler of a notification method. Call
// it before Serve. "$/cancelRequest" is handled by the Conn and cannot be
// overridden.
func (c *Conn) HandleNotification(method string, h NotificationFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notifs[method] = h
}

// HandleInline registers the handler of a request method that runs on the
// read loop, before the next message is read: a quick request whose effect
// later requests must see, such as initialize or shutdown. Call it before
// Serve.
func (c *Conn) HandleInline(method string, h HandlerFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers[method] = h
	c.inline[method] = true
}

// SetGate sets a check that every request passes, in arrival order on the
// read loop, before its handler starts; an error is the request's answer.
// Call it before Serve.
func (c *Conn) SetGate(gate func(method string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gate = gate
}

// Finish ends Serve as the end of the input does: nothing more is read,
// in-flight requests are cancelled, and what is queued is still written.
// It is safe to call more than once, and from a handler.
func (c *Conn) Finish() {
	c.finishOnce.Do(func() { close(c.finish) })
}

// SetMiddleware sets the middleware that wraps every request's handler
// (nil for none). Call it before Serve.
func (c *Conn) SetMiddleware(mw func(method string, next HandlerFunc) HandlerFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.middleware = mw
}

// Close stops Serve at once: in-flight requests are cancelled, the stream
// is closed and frames still queued are dropped. It is safe to call more
// than once, and before Serve.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// Serve reads and dispatches messages until the input ends, ctx ends or
// Close is called. When the input ends (EOF) it cancels every in-flight
// request, waits for the handlers, writes what they and others queued, and
// returns nil; a read error other than EOF is returned. When ctx ends or
// Close is called it cancels every in-flight request, closes the stream,
// drops what is queued, waits for the handlers (their replies are dropped)
// and returns ctx.Err() or nil. Serve may be called once.
func (c *Conn) Serve(ctx context.Context) error {
	c.mu.Lock()
	if c.serving {
		c.mu.Unlock()
		return errors.New("jsonrpc: Serve called twice")
	}
	c.serving = true
	base, cancelBase := context.WithCancel(ctx)
	defer cancelBase()
	c.base = base
	c.mu.Unlock()

	// jsonrpc2 logs only late answers to forgotten calls and read errors
	// (which Serve returns): debug level is enough.
	libLog, err := zap.NewStdLogAt(c.log.Named("jsonrpc2"), zap.DebugLevel)
	if err != nil {
		return fmt.Errorf("jsonrpc2 logger: %w", err)
	}
	peer := jsonrpc2.NewConn(base, connStream{c.stream}, dispatcher{c}, jsonrpc2.SetLogger(libLog))
	var writer sync.WaitGroup
	writer.Go(func() { c.writeLoop(peer) })

	select {
	case <-peer.DisconnectNotify():
	case <-c.finish:
	case <-ctx.Done():
	case <-c.closed:
	}
	var result error
	hard := true
	select {
	case <-c.closed:
	default:
		if result = ctx.Err(); result == nil {
			hard = false
			if err := c.stream.readError(); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				result = fmt.Errorf("read: %w", err)
			}
		}
	}

	c.mu.Lock()
	c.stopping = true
	for _, cancel := range c.inflight {
		cancel()
	}
	c.mu.Unlock()
	_ = peer.Close() // closes the input first, so jsonrpc2 logs no protocol error
	if hard {
		c.abort()
		c.active.Wait()
	} else {
		c.drain(ctx, &writer)
	}
	c.queue.close()
	writer.Wait()
	_ = c.stream.Close()
	return result
}

// abort drops everything that is still to be written.
func (c *Conn) abort() {
	_ = c.stream.Close()
	c.queue.abort()
}

// drainGrace bounds the flush of the replies after the input ended.
const drainGrace = 5 * time.Second

// drain waits for the handlers and lets the writer flush their replies.
// Close or the end of ctx meanwhile turns it into an abort.
func (c *Conn) drain(ctx context.Context, writer *sync.WaitGroup) {
	drained := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		select {
		case <-drained:
		case <-ctx.Done():
			c.abort()
		case <-c.closed:
			c.abort()
		case <-time.After(drainGrace):
			// The editor stopped reading: what is left cannot be written.
			c.abort()
		}
	})
	c.active.Wait()
	c.queue.close()
	writer.Wait()
	close(drained)
	watch.Wait()
}

// connStream is the Stream as jsonrpc2 sees it. jsonrpc2 closes its stream
// when reading ends; that must stop the input only, so the replies of the
// requests still running can be written.
type connStream struct{ s *Stream }

func (cs connStream) ReadObject(v any) error  { return cs.s.ReadObject(v) }
func (cs connStream) WriteObject(v any) error { return cs.s.WriteObject(v) }
func (cs connStream) Close() error            { return cs.s.closeInput() }
