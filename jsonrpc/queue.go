package jsonrpc

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/sourcegraph/jsonrpc2"
)

// queueLimit is how many frames may wait for the writer.
const queueLimit = 4096

type itemKind int

const (
	itemNotify itemKind = iota
	itemReply
	itemCall
	itemFrame // a whole frame made elsewhere (the stream's own error answers)
)

// outItem is one frame waiting for the writer.
type outItem struct {
	kind itemKind

	// notifications and calls
	method string
	raw    json.RawMessage // encoded params; nil means none (or not yet encoded)

	// mergeable notifications: params are encoded when written, so that
	// merge can work on the values
	key    string
	params any
	merge  func(older, newer any) any

	// replies
	id     jsonrpc2.ID
	result json.RawMessage
	err    *wireError

	// calls
	call *pendingCall
}

// queue is the bounded FIFO between everything that speaks to the peer and
// the one writer. A push waits while the queue is full (backpressure, never
// a drop), except that a mergeable notification under pressure folds into
// the newest queued item of the same method and key.
type queue struct {
	mu       sync.Mutex
	notEmpty sync.Cond
	notFull  sync.Cond
	buf      []*outItem // ring buffer
	head, n  int
	closed   bool
}

func newQueue(limit int) *queue {
	q := &queue{buf: make([]*outItem, limit)}
	q.notEmpty.L = &q.mu
	q.notFull.L = &q.mu
	return q
}

// push adds it at the tail, waiting while the queue is full. It fails with
// ErrClosed once the queue is closed, or with ctx's error.
func (q *queue) push(ctx context.Context, it *outItem) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var stopWake func() bool
	defer func() {
		if stopWake != nil {
			stopWake()
		}
	}()
	for {
		if q.closed {
			return ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if it.merge != nil && q.mergeLocked(it) {
			return nil
		}
		if q.n < len(q.buf) {
			q.buf[(q.head+q.n)%len(q.buf)] = it
			q.n++
			q.notEmpty.Signal()
			return nil
		}
		if stopWake == nil && ctx.Done() != nil {
			stopWake = context.AfterFunc(ctx, func() {
				q.mu.Lock()
				defer q.mu.Unlock()
				q.notFull.Broadcast()
			})
		}
		q.notFull.Wait()
	}
}

// mergeLocked folds it into the tail when the queue is more than half full
// and the tail is a mergeable notification of the same method and key.
func (q *queue) mergeLocked(it *outItem) bool {
	if q.n == 0 || q.n <= len(q.buf)/2 {
		return false
	}
	tail := q.buf[(q.head+q.n-1)%len(q.buf)]
	if tail.kind != itemNotify || tail.merge == nil || tail.method != it.method || tail.key != it.key {
		return false
	}
	tail.params = it.merge(tail.params, it.params)
	return true
}

// pop takes the head, waiting while the queue is empty. It returns false
// once the queue is closed and drained.
func (q *queue) pop() (*outItem, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n == 0 && !q.closed {
		q.notEmpty.Wait()
	}
	if q.n == 0 {
		return nil, false
	}
	it := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	q.notFull.Broadcast() // waiters may have given up; wake them all
	return it, true
}

// close refuses further pushes; pop drains what is queued.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.notEmpty.Broadcast()
	q.notFull.Broadcast()
}

// abort closes the queue and drops what is queued. Calls that were waiting
// to be sent learn that the connection closed.
func (q *queue) abort() {
	q.mu.Lock()
	var dropped []*outItem
	for q.n > 0 {
		dropped = append(dropped, q.buf[q.head])
		q.buf[q.head] = nil
		q.head = (q.head + 1) % len(q.buf)
		q.n--
	}
	q.closed = true
	q.notEmpty.Broadcast()
	q.notFull.Broadcast()
	q.mu.Unlock()
	for _, it := range dropped {
		if it.kind == itemCall {
			it.call.started(jsonrpc2.Waiter{}, ErrClosed)
		}
	}
}
