package engine

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/openai/openai-go/v3/option"
)

// Bounds on one streamed model answer. openai-go's decoder keeps a whole
// server-sent event in memory, however many data lines it has, and the
// engine keeps the answer's text: a stream that never ends an event, or
// never ends, would grow without limit.
const (
	// maxEventBytes bounds one server-sent event (a response.completed
	// event repeats the whole answer, so this is well above any real one).
	maxEventBytes = 8 << 20
	// maxAnswerBytes bounds the bytes of one streamed answer.
	maxAnswerBytes = 16 << 20
)

// ErrAnswerTooLarge is a stream cut because it went past a bound.
var ErrAnswerTooLarge = errors.New("the model's answer went past deckhand's size limit and was cut off")

// capStream is middleware that bounds the body of a streamed answer.
func capStream(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	res, err := next(req)
	if err != nil || res == nil || res.StatusCode != http.StatusOK {
		return res, err
	}
	res.Body = &cappedBody{rc: res.Body, eventMax: maxEventBytes, totalMax: maxAnswerBytes}
	return res, nil
}

// cappedBody fails a read once the body, or one event in it (the bytes since
// the last blank line), passes its bound.
type cappedBody struct {
	rc                 io.ReadCloser
	eventMax, totalMax int64
	total, event       int64
	lastNL             bool // the previous byte was a newline
	err                error
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	b.total += int64(n)
	for _, c := range p[:n] {
		if c == '\n' {
			if b.lastNL {
				b.event = 0
			}
			b.lastNL = true
		} else if c != '\r' {
			b.lastNL = false
		}
		b.event++
	}
	switch {
	case b.total > b.totalMax:
		b.err = fmt.Errorf("%w (%d MiB in all)", ErrAnswerTooLarge, b.totalMax>>20)
	case b.event > b.eventMax:
		b.err = fmt.Errorf("%w (one event over %d MiB)", ErrAnswerTooLarge, b.eventMax>>20)
	}
	if b.err != nil {
		_ = b.rc.Close()
		return 0, b.err
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
