package tools

import (
	"fmt"
	"strings"
	"sync"
)

// headTail is an io.Writer that keeps the first and the last bytes written
// to it, up to a total, and counts what falls between.
type headTail struct {
	mu      sync.Mutex
	headMax int
	tailMax int
	head    []byte
	tail    []byte // the last tailMax bytes are the tail; the slice may hold up to twice that
	total   int64
}

func newHeadTail(limit int) *headTail {
	return &headTail{headMax: limit / 2, tailMax: limit - limit/2}
}

func (w *headTail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	w.total += int64(n)
	if room := w.headMax - len(w.head); room > 0 {
		take := min(room, len(p))
		w.head = append(w.head, p[:take]...)
		p = p[take:]
	}
	if len(p) == 0 {
		return n, nil
	}
	if len(p) >= w.tailMax {
		w.tail = append(w.tail[:0], p[len(p)-w.tailMax:]...)
		return n, nil
	}
	w.tail = append(w.tail, p...)
	if len(w.tail) > 2*w.tailMax {
		w.tail = append(w.tail[:0], w.tail[len(w.tail)-w.tailMax:]...)
	}
	return n, nil
}

// String returns what was kept, with a marker where bytes were left out.
func (w *headTail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	tail := w.tail
	if len(tail) > w.tailMax {
		tail = tail[len(tail)-w.tailMax:]
	}
	omitted := w.total - int64(len(w.head)) - int64(len(tail))
	var b strings.Builder
	b.Write(w.head)
	if omitted > 0 {
		fmt.Fprintf(&b, "\n... %d bytes omitted ...\n", omitted)
	}
	b.Write(tail)
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

// parts returns what was kept, the head and the tail apart, and how many
// bytes fell between them.
func (w *headTail) parts() (head, tail []byte, omitted int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	tail = w.tail
	if len(tail) > w.tailMax {
		tail = tail[len(tail)-w.tailMax:]
	}
	omitted = w.total - int64(len(w.head)) - int64(len(tail))
	return append([]byte(nil), w.head...), append([]byte(nil), tail...), omitted
}
