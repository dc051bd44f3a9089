package upstreamtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// serveReply writes rep: a plain answer, or a step as server-sent events,
// flushed one event at a time.
func (s *Server) serveReply(w http.ResponseWriter, r *http.Request, rep Reply, model string) {
	if rep.step == nil {
		s.servePlain(w, rep)
		return
	}
	sc := rep.step
	s.mu.Lock()
	meta := responseMeta{id: fmt.Sprintf("resp_%d", s.nextSerial()), model: model, createdAt: time.Now().Unix()}
	s.mu.Unlock()
	events := sc.render(meta)
	if ev, ok := s.rateEvent(); ok && r.URL.Path == PathCodexResponses {
		events = append(events[:1:1], append([]sseEvent{ev}, events[1:]...)...)
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	for i := 0; i+1 < len(sc.header); i += 2 {
		h.Set(sc.header[i], sc.header[i+1])
	}
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	for i, ev := range events {
		if sc.delay > 0 {
			s.sleep(r.Context(), sc.delay)
			if r.Context().Err() != nil {
				return
			}
		}
		if err := writeEvent(w, ev); err != nil {
			return // the client went away
		}
		if rc.Flush() != nil {
			return
		}
		if sc.hostile != hostileNone && hostileFlood(w, rc, r, sc, ev, i == 0) {
			return
		}
	}
	switch sc.end.kind {
	case endAbort:
		// net/http closes the connection without ending the chunked body,
		// which the client reads as an unexpected EOF.
		panic(http.ErrAbortHandler)
	case endStall:
		s.mu.Lock()
		s.model.stalls++
		s.mu.Unlock()
		select {
		case s.stalls <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-s.closing:
			s.abortIfClosing()
		}
	}
}

// servePlain writes an Error reply.
func (s *Server) servePlain(w http.ResponseWriter, rep Reply) {
	h := w.Header()
	if t := strings.TrimSpace(rep.body); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		h.Set("Content-Type", "application/json")
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	for i := 0; i+1 < len(rep.header); i += 2 {
		h.Set(rep.header[i], rep.header[i+1])
	}
	w.WriteHeader(rep.status)
	_, _ = fmt.Fprint(w, rep.body)
}

// writeEvent writes one event in the SSE wire format; a multi-line data
// (only a raw event can have one) goes out as several data lines.
func writeEvent(w http.ResponseWriter, ev sseEvent) error {
	data := strings.ReplaceAll(string(ev.data), "\n", "\ndata: ")
	var err error
	if ev.typ != "" {
		_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.typ, data)
	} else {
		_, err = fmt.Fprintf(w, "data: %s\n\n", data)
	}
	return err
}

// sleep waits d, or less if the request ends first (the next write then
// fails). A server that closes meanwhile cuts the stream.
func (s *Server) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-s.closing:
		s.abortIfClosing()
	}
}

// abortIfClosing cuts the stream abruptly when the server is closing, so a
// client held by a stall or a delay sees a broken stream, not a clean end.
func (s *Server) abortIfClosing() {
	select {
	case <-s.closing:
		panic(http.ErrAbortHandler)
	default:
	}
}
