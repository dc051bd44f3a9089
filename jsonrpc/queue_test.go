package jsonrpc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"
)

func notifyItem(method string) *outItem { return &outItem{kind: itemNotify, method: method} }

func mergeItem(key, text string) *outItem {
	return &outItem{kind: itemNotify, method: "chat/delta", key: key, params: text,
		merge: func(o, n any) any { return o.(string) + n.(string) }}
}

func drain(q *queue) []string {
	q.close()
	var out []string
	for {
		it, ok := q.pop()
		if !ok {
			return out
		}
		if it.merge != nil {
			out = append(out, it.key+":"+it.params.(string))
		} else {
			out = append(out, it.method)
		}
	}
}

func TestQueueMerging(t *testing.T) {
	bg := context.Background()
	tests := []struct {
		name  string
		items []*outItem
		want  []string
	}{
		{"no pressure at half", []*outItem{notifyItem("a"), mergeItem("k", "1"), mergeItem("k", "2")},
			[]string{"a", "k:1", "k:2"}},
		{"pressure past half", []*outItem{notifyItem("a"), notifyItem("b"), mergeItem("k", "1"), mergeItem("k", "2"), mergeItem("k", "3")},
			[]string{"a", "b", "k:123"}},
		{"other key", []*outItem{notifyItem("a"), notifyItem("b"), mergeItem("k", "1"), mergeItem("j", "2")},
			[]string{"a", "b", "k:1", "j:2"}},
		{"tail not mergeable", []*outItem{notifyItem("a"), mergeItem("k", "1"), notifyItem("b"), mergeItem("k", "2")},
			[]string{"a", "k:1", "b", "k:2"}},
	}
	for _, tt := range tests {
		q := newQueue(4)
		for _, it := range tt.items {
			if err := q.push(bg, it); err != nil {
				t.Fatalf("%s: push: %v", tt.name, err)
			}
		}
		if got := drain(q); len(got) != len(tt.want) || (len(got) > 0 && !equal(got, tt.want)) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestQueueBackpressure: a push into a full queue waits for a pop, is never
// dropped, and order holds.
func TestQueueBackpressure(t *testing.T) {
	q := newQueue(2)
	bg := context.Background()
	for _, m := range []string{"a", "b"} {
		if err := q.push(bg, notifyItem(m)); err != nil {
			t.Fatal(err)
		}
	}
	pushed := make(chan error, 1)
	go func() { pushed <- q.push(bg, notifyItem("c")) }()
	select {
	case <-pushed:
		t.Fatal("push into a full queue did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	if it, _ := q.pop(); it.method != "a" {
		t.Fatalf("popped %s", it.method)
	}
	select {
	case err := <-pushed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(hangGuard):
		t.Fatal("push still waiting after a pop")
	}
	if got := drain(q); !equal(got, []string{"b", "c"}) {
		t.Errorf("rest %v", got)
	}
}

func TestQueuePushGivesUp(t *testing.T) {
	q := newQueue(1)
	if err := q.push(context.Background(), notifyItem("a")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pushed := make(chan error, 1)
	go func() { pushed <- q.push(ctx, notifyItem("b")) }()
	cancel()
	if err := <-pushed; !errors.Is(err, context.Canceled) {
		t.Errorf("push with a cancelled context: %v", err)
	}
	go func() { pushed <- q.push(context.Background(), notifyItem("c")) }()
	q.abort()
	if err := <-pushed; !errors.Is(err, ErrClosed) {
		t.Errorf("push into an aborted queue: %v", err)
	}
}

func TestQueueAbortReleasesCalls(t *testing.T) {
	q := newQueue(4)
	p := &pendingCall{id: 1, ctx: context.Background(), done: make(chan callStart, 1)}
	if err := q.push(context.Background(), &outItem{kind: itemCall, call: p}); err != nil {
		t.Fatal(err)
	}
	q.abort()
	if start := <-p.done; !errors.Is(start.err, ErrClosed) || start.waiter != (jsonrpc2.Waiter{}) {
		t.Errorf("dropped call got %+v", start)
	}
	if _, ok := q.pop(); ok {
		t.Error("aborted queue still yields items")
	}
}
