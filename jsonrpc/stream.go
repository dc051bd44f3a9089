package jsonrpc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
)

// MaxFrame is the largest frame deckhand accepts: 64 MiB.
const MaxFrame = 64 << 20

// Framings reported by Stream.Framing.
const (
	FramingLSP    = "lsp"    // Content-Length headers (the LSP base protocol)
	FramingNDJSON = "ndjson" // one JSON object per line
)

const (
	framingNone int32 = iota
	framingNDJSON
	framingLSP
)

// Stream is a jsonrpc2.ObjectStream that serves both framings. The framing
// is chosen from the first non-whitespace byte read ('{' means
// newline-delimited JSON, anything else Content-Length headers) and used in
// both directions for the life of the stream.
//
// ReadObject never fails on bad input: an unparsable frame is answered with
// -32700 and an invalid message, or a frame larger than the limit, with
// -32600, written by the stream itself, and reading goes on. It returns only
// messages jsonrpc2 accepts, or an I/O error. ReadObject must not be called
// concurrently with itself; WriteObject may be called from any goroutine.
type Stream struct {
	r        io.Reader
	br       *bufio.Reader
	w        io.Writer
	maxFrame int64
	line     []byte // ReadObject's scratch buffer

	framing    atomic.Int32
	framed     chan struct{} // closed once the framing is known or the input ended
	framedOnce sync.Once

	wmu  sync.Mutex // one frame at a time on the output
	wbuf bytes.Buffer

	// errSink, when set (by a Conn), takes the stream's own error answers
	// into the Conn's ordered output queue; it reports false when it could
	// not, and the answer is then written directly.
	errSink func(body json.RawMessage) bool

	errMu   sync.Mutex
	readErr error

	inClosed  atomic.Bool
	inOnce    sync.Once
	outClosed atomic.Bool
	outOnce   sync.Once
	outDone   chan struct{}
}

// NewStream returns a Stream reading frames from r and writing them to w.
// A frame larger than maxFrame bytes (MaxFrame in production) is refused
// without being held in memory.
//
// Close closes r if it is an io.Closer, and w if it is an io.Closer other
// than os.Stdout, os.Stderr or r itself: standard output stays open, so the
// process may still write to it (or exit) as it sees fit.
func NewStream(r io.Reader, w io.Writer, maxFrame int64) *Stream {
	if maxFrame <= 0 {
		maxFrame = MaxFrame
	}
	return &Stream{
		r:        r,
		br:       bufio.NewReaderSize(r, 64<<10),
		w:        w,
		maxFrame: maxFrame,
		framed:   make(chan struct{}),
		outDone:  make(chan struct{}),
	}
}

// Framing returns FramingLSP or FramingNDJSON once the first frame has
// started, and "" before.
func (s *Stream) Framing() string {
	switch s.framing.Load() {
	case framingLSP:
		return FramingLSP
	case framingNDJSON:
		return FramingNDJSON
	}
	return ""
}

func (s *Stream) setFraming(f int32) {
	s.framing.Store(f)
	s.framedOnce.Do(func() { close(s.framed) })
}

// WriteObject writes obj as one frame in the stream's framing. Before the
// framing is known it waits for the first byte of input (if the input ends
// first, it writes newline-delimited JSON).
func (s *Stream) WriteObject(obj any) error {
	body, err := encodeJSON(obj)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	select {
	case <-s.framed:
	case <-s.outDone:
		return ErrClosed
	}
	return s.writeFrame(body)
}

// writeFrame writes body, which holds no newline, as one frame.
func (s *Stream) writeFrame(body []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.outClosed.Load() {
		return ErrClosed
	}
	s.wbuf.Reset()
	if s.framing.Load() == framingLSP {
		s.wbuf.WriteString("Content-Length: ")
		s.wbuf.WriteString(strconv.Itoa(len(body)))
		s.wbuf.WriteString("\r\n\r\n")
		s.wbuf.Write(body)
	} else {
		s.wbuf.Write(body)
		s.wbuf.WriteByte('\n')
	}
	_, err := s.w.Write(s.wbuf.Bytes())
	if s.wbuf.Cap() > 1<<20 {
		s.wbuf = bytes.Buffer{} // do not keep a huge frame's buffer around
	}
	if err != nil {
		if s.outClosed.Load() {
			return ErrClosed
		}
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// errorFrame is an error response written by the stream itself; unlike
// jsonrpc2.Response its id can be null.
type errorFrame struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   wireError       `json:"error"`
}

// writeError answers a frame the Conn will never see. A nil id is null.
// Write failures are ignored here: the reader goes on, and the Conn's
// writer meets the same failure on its next write.
func (s *Stream) writeError(id json.RawMessage, code int64, message string) {
	if id == nil {
		id = json.RawMessage("null")
	}
	body, err := encodeJSON(errorFrame{JSONRPC: "2.0", ID: id, Error: wireError{Code: code, Message: message}})
	if err != nil {
		return
	}
	if s.errSink != nil && s.errSink(body) {
		return
	}
	_ = s.writeFrame(body)
}

// Close closes the input and the output (see NewStream for which closers
// are called). It is safe to call more than once.
func (s *Stream) Close() error {
	errIn := s.closeInput()
	errOut := s.closeOutput()
	if errIn != nil {
		return errIn
	}
	return errOut
}

// closeInput stops reading: ReadObject returns ErrClosed from now on, and
// closing r unblocks a read in progress where the reader supports it.
func (s *Stream) closeInput() error {
	var err error
	s.inOnce.Do(func() {
		s.inClosed.Store(true)
		s.framedOnce.Do(func() { close(s.framed) })
		if c, ok := s.r.(io.Closer); ok {
			err = c.Close()
		}
	})
	return err
}

// closeOutput stops writing; closing w unblocks a write in progress where
// the writer supports it.
func (s *Stream) closeOutput() error {
	var err error
	s.outOnce.Do(func() {
		s.outClosed.Store(true)
		close(s.outDone)
		c, ok := s.w.(io.Closer)
		if !ok || s.w == io.Writer(os.Stdout) || s.w == io.Writer(os.Stderr) || sameValue(s.w, s.r) {
			return
		}
		err = c.Close()
	})
	return err
}

// sameValue reports whether a and b are the same comparable value, without
// panicking on uncomparable dynamic types.
func sameValue(a, b any) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta != nil && ta == tb && ta.Comparable() && a == b
}

// setReadError records why reading ended (the first reason wins).
func (s *Stream) setReadError(err error) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.readErr == nil {
		s.readErr = err
	}
}

// readError returns why reading ended, or nil while it goes on.
func (s *Stream) readError() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.readErr
}

// encodeJSON marshals v without HTML escaping and without the trailing
// newline json.Encoder adds. Like json.Marshal, it compacts the output of
// json.Marshaler values, so a frame never holds a raw newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
