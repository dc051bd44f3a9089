package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzStream feeds arbitrary bytes to a Stream with a small frame limit and
// reads until it fails. It must not panic, must end (every call makes
// progress on a finite input), must only hand out JSON objects, and must
// only write well-formed error frames in the framing it chose.
func FuzzStream(f *testing.F) {
	// The seeds are in testdata/fuzz/FuzzStream: both framings, malformed
	// headers, a huge Content-Length, batches, bad ids and nested garbage.
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		s := NewStream(bytes.NewReader(data), &out, 256)
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("ReadObject made no progress after %d calls", i)
			}
			var raw json.RawMessage
			err := s.ReadObject(&raw)
			if err != nil {
				if s.inClosed.Load() || errors.Is(err, ErrClosed) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			if !json.Valid(raw) || !strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
				t.Fatalf("handed out %q", raw)
			}
		}
		for _, m := range outputOf(t, s.Framing(), out.Bytes()) {
			if c := m.code(); c != -32700 && c != -32600 {
				t.Fatalf("stream wrote %s", m.raw)
			}
		}
	})
}
