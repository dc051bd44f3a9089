package upstreamtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Hostile endings: a stream that never stops growing, to check that a
// client bounds what it keeps.

type hostileKind int

const (
	hostileNone hostileKind = iota
	// hostileEndlessEvent: after the first event, one event whose data
	// lines never end (no blank line ever comes).
	hostileEndlessEvent
	// hostileEndlessText: the first text delta repeats forever.
	hostileEndlessText
)

// EndlessEvent makes the step, after its first event, send one event whose
// data never ends, until the client goes away.
func (b *StepBuilder) EndlessEvent() *StepBuilder {
	b.sc.hostile = hostileEndlessEvent
	return b
}

// EndlessText makes the step's first text delta (add a Text) repeat
// forever, until the client goes away.
func (b *StepBuilder) EndlessText() *StepBuilder {
	b.sc.hostile = hostileEndlessText
	return b
}

// hostileFlood runs a hostile ending after ev was written, and reports
// whether it did (the reply is then over).
func hostileFlood(w http.ResponseWriter, rc *http.ResponseController, r *http.Request, sc *script, ev sseEvent, first bool) bool {
	var chunk []byte
	switch {
	case sc.hostile == hostileEndlessEvent && first:
		line := append([]byte("data: "), bytes.Repeat([]byte("x"), 64<<10)...)
		chunk = append(line, '\n')
		if _, err := w.Write([]byte("event: response.output_text.delta\n")); err != nil {
			return true
		}
	case sc.hostile == hostileEndlessText && ev.typ == "response.output_text.delta":
		// The same delta, made 16 KiB long.
		var delta map[string]any
		if json.Unmarshal(ev.data, &delta) != nil {
			return false
		}
		delta["delta"] = strings.Repeat("flood ", 16<<10/6)
		data, _ := json.Marshal(delta)
		var buf bytes.Buffer
		for buf.Len() < 64<<10 {
			fmt.Fprintf(&buf, "event: %s\ndata: %s\n\n", ev.typ, data)
		}
		chunk = buf.Bytes()
	default:
		return false
	}
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			break
		}
		if rc.Flush() != nil {
			break
		}
	}
	return true
}
