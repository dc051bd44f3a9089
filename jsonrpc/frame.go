package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
)

// maxHeaderLine bounds one header line of the LSP framing; a longer line is
// skipped without being held in memory.
const maxHeaderLine = 8 << 10

// ReadObject reads the next message jsonrpc2 will accept and decodes it
// into v (a pointer). Frames that are not such a message are answered on
// the output and skipped. It returns io.EOF (or io.ErrUnexpectedEOF inside
// a frame) when the input ends, and ErrClosed once the input is closed.
func (s *Stream) ReadObject(v any) error {
	for {
		if s.inClosed.Load() {
			return ErrClosed
		}
		frame, err := s.readFrame()
		if err != nil {
			if s.inClosed.Load() {
				err = ErrClosed
			}
			s.setReadError(err)
			s.framedOnce.Do(func() { close(s.framed) })
			return err
		}
		if frame == nil {
			continue // answered already
		}
		if s.accept(frame, v) {
			return nil
		}
	}
}

// readFrame returns the next frame's bytes, nil when the frame was refused
// and answered, or an I/O error.
func (s *Stream) readFrame() ([]byte, error) {
	if s.framing.Load() == framingNone {
		if err := s.detect(); err != nil {
			return nil, err
		}
	}
	if s.framing.Load() == framingLSP {
		return s.readLSP()
	}
	return s.readNDJSON()
}

// detect skips leading whitespace and picks the framing from the first
// other byte, which it leaves unread.
func (s *Stream) detect() error {
	for {
		b, err := s.br.ReadByte()
		if err != nil {
			return err
		}
		if isSpace(b) {
			continue
		}
		if err := s.br.UnreadByte(); err != nil {
			return err
		}
		if b == '{' {
			s.setFraming(framingNDJSON)
		} else {
			s.setFraming(framingLSP)
		}
		return nil
	}
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\r' || b == '\n'
}

// readNDJSON returns the next non-blank line, without its line end.
func (s *Stream) readNDJSON() ([]byte, error) {
	for {
		tooLong := false
		line, err := s.readLine(s.maxFrame, func() {
			tooLong = true
			s.writeError(nil, CodeInvalidRequest, s.tooLargeMessage())
		})
		if err != nil {
			return nil, err
		}
		if tooLong {
			return nil, nil
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			return line, nil
		}
	}
}

// readLine reads one line and returns it without its "\n" or "\r\n". When
// the line grows beyond limit bytes, it calls tooLong at once (as soon as
// the bytes that cross the limit are read, not when the line ends),
// discards the rest of the line as it arrives and returns nil. A last line
// without a line end is returned as a line; io.EOF comes on the next call.
func (s *Stream) readLine(limit int64, tooLong func()) ([]byte, error) {
	s.line = s.line[:0]
	if cap(s.line) > 1<<20 {
		s.line = nil // do not keep a huge line's buffer around
	}
	over := false
	for {
		if s.br.Buffered() == 0 {
			// One read of whatever is available, so that a long line is
			// noticed as it grows.
			if _, err := s.br.Peek(1); err != nil {
				if errors.Is(err, io.EOF) && !over && len(s.line) > 0 {
					return s.line, nil
				}
				return nil, err
			}
		}
		chunk, _ := s.br.Peek(s.br.Buffered())
		end := bytes.IndexByte(chunk, '\n')
		if end >= 0 {
			chunk = chunk[:end+1]
		}
		if !over {
			size := int64(len(s.line) + len(chunk))
			if end >= 0 {
				size -= lineEndSize(s.line, chunk)
			} else {
				size-- // a partial line may end in the '\r' of a "\r\n" still to come
			}
			if size > limit {
				over = true
				s.line = s.line[:0]
				if tooLong != nil {
					tooLong()
				}
			} else {
				s.line = append(s.line, chunk...)
			}
		}
		if _, err := s.br.Discard(len(chunk)); err != nil {
			return nil, err
		}
		if end >= 0 {
			if over {
				return nil, nil
			}
			return trimLineEnd(s.line), nil
		}
	}
}

// lineEndSize returns the size of the line end ("\n" or "\r\n") closing
// the line made of prev followed by chunk, which ends in '\n'.
func lineEndSize(prev, chunk []byte) int64 {
	n := len(chunk)
	if (n >= 2 && chunk[n-2] == '\r') || (n == 1 && len(prev) > 0 && prev[len(prev)-1] == '\r') {
		return 2
	}
	return 1
}

func trimLineEnd(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// readLSP reads one header block and its body. Header names are matched
// case-insensitively, lines may end in "\n" alone, blank lines before a
// block are skipped, and headers other than Content-Length (or lines that
// are no header at all, or lines longer than maxHeaderLine) are ignored.
func (s *Stream) readLSP() ([]byte, error) {
	length, valid, seen := int64(-1), true, false
	for {
		tooLong := false
		line, err := s.readLine(maxHeaderLine, func() { tooLong = true })
		if err != nil {
			if seen && errors.Is(err, io.EOF) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if tooLong {
			seen = true // a header nobody needs; it was skipped
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if !seen {
				continue
			}
			break
		}
		seen = true
		// After a frame whose Content-Length was wrong, the rest of its body
		// (or the next frame's) runs into the next header: read the header
		// from where it starts, so that one bad frame does not misalign
		// every frame after it.
		if i := bytes.Index(bytes.ToLower(line), []byte("content-length:")); i > 0 {
			line = line[i:]
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")) {
			continue
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
		if err != nil || n < 0 || (length >= 0 && n != length) {
			valid = false
			continue
		}
		length = n
	}
	if !valid || length < 0 {
		s.writeError(nil, CodeParseError, "Parse error: the frame has no valid Content-Length header; send \"Content-Length: <bytes>\" and a blank line before each message.")
		return nil, nil
	}
	if length > s.maxFrame {
		s.writeError(nil, CodeInvalidRequest, s.tooLargeMessage())
		if _, err := io.CopyN(io.Discard, s.br, length); err != nil {
			return nil, unexpected(err)
		}
		return nil, nil
	}
	return s.readBody(length)
}

// readBody reads a body of n bytes. Large bodies grow with the bytes that
// actually arrive rather than being allocated from the announced length.
func (s *Stream) readBody(n int64) ([]byte, error) {
	if n <= 64<<10 {
		body := make([]byte, n)
		if _, err := io.ReadFull(s.br, body); err != nil {
			return nil, unexpected(err)
		}
		return body, nil
	}
	var buf bytes.Buffer
	buf.Grow(64 << 10)
	if _, err := io.CopyN(&buf, s.br, n); err != nil {
		return nil, unexpected(err)
	}
	return buf.Bytes(), nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (s *Stream) tooLargeMessage() string {
	return fmt.Sprintf("Invalid request: the frame is larger than the limit of %d bytes; send smaller messages.", s.maxFrame)
}

// accept checks frame and decodes it into v. It answers a frame it refuses
// and returns false.
func (s *Stream) accept(frame []byte, v any) bool {
	if !json.Valid(frame) {
		s.writeError(nil, CodeParseError, "Parse error: the frame is not valid JSON.")
		return false
	}
	verdict := check(frame)
	if verdict.drop {
		return false
	}
	if verdict.message != "" {
		s.writeError(verdict.id, CodeInvalidRequest, verdict.message)
		return false
	}
	if err := decodeFresh(frame, v); err != nil {
		s.writeError(verdict.id, CodeInvalidRequest, "Invalid request: the message is not a valid JSON-RPC 2.0 request.")
		return false
	}
	return true
}

// decodeFresh decodes frame into a zero value of v's element type and
// stores it in v only on success, so a failed decode leaves nothing behind.
func decodeFresh(frame []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return json.Unmarshal(frame, v) // reports the misuse
	}
	fresh := reflect.New(rv.Elem().Type())
	if err := json.Unmarshal(frame, fresh.Interface()); err != nil {
		return err
	}
	rv.Elem().Set(fresh.Elem())
	return nil
}
