package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// readAll feeds input to a Stream and returns what ReadObject accepted,
// its final error, what the stream wrote, and the framing it chose.
func readAll(t *testing.T, input string, maxFrame int64) (objects []string, out []msg, framing string, err error) {
	t.Helper()
	var buf bytes.Buffer
	s := NewStream(strings.NewReader(input), &buf, maxFrame)
	for i := 0; ; i++ {
		if i > len(input)+1 {
			t.Fatalf("ReadObject does not end")
		}
		var raw json.RawMessage
		if err = s.ReadObject(&raw); err != nil {
			break
		}
		objects = append(objects, string(raw))
	}
	return objects, outputOf(t, s.Framing(), buf.Bytes()), s.Framing(), err
}

const (
	req1  = `{"jsonrpc":"2.0","id":1,"method":"a"}`
	req2  = `{"jsonrpc":"2.0","id":"two","method":"b","params":{"x":[1,2]}}`
	note  = `{"jsonrpc":"2.0","method":"n"}`
	resp7 = `{"jsonrpc":"2.0","id":7,"result":null}`
)

func TestStreamFramingDetection(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		framing string
		objects []string
	}{
		{"ndjson", req1 + "\n" + note + "\n", FramingNDJSON, []string{req1, note}},
		{"ndjson leading whitespace", " \r\n\t\n" + req1 + "\n", FramingNDJSON, []string{req1}},
		{"ndjson crlf and blank lines", req1 + "\r\n\r\n\n  " + req2 + "\r\n", FramingNDJSON, []string{req1, req2}},
		{"ndjson last line without newline", req1 + "\n" + note, FramingNDJSON, []string{req1, note}},
		{"lsp", frame(FramingLSP, req1) + frame(FramingLSP, req2), FramingLSP, []string{req1, req2}},
		{"lsp leading whitespace", "\r\n  \n" + frame(FramingLSP, req1), FramingLSP, []string{req1}},
		{"lsp lower case, no space, lf only", fmt.Sprintf("content-length:%d\n\n%s", len(req1), req1), FramingLSP, []string{req1}},
		{"lsp upper case with content type", fmt.Sprintf("CONTENT-LENGTH: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n%s", len(req1), req1), FramingLSP, []string{req1}},
		{"lsp content type first", fmt.Sprintf("Content-Type: x\r\nContent-Length: %d\r\n\r\n%s", len(req1), req1), FramingLSP, []string{req1}},
		{"lsp very long extra header", "X-Long: " + strings.Repeat("x", 3*maxHeaderLine) + "\r\n" + frame(FramingLSP, req1), FramingLSP, []string{req1}},
		{"lsp blank lines between frames", frame(FramingLSP, req1) + "\r\n\r\n" + frame(FramingLSP, note), FramingLSP, []string{req1, note}},
		{"response", frame(FramingLSP, resp7), FramingLSP, []string{resp7}},
		{"only whitespace", " \n\t ", "", nil},
		{"empty", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objects, out, framing, err := readAll(t, tt.input, MaxFrame)
			if !errors.Is(err, io.EOF) {
				t.Errorf("final error %v, want io.EOF", err)
			}
			if framing != tt.framing {
				t.Errorf("framing %q, want %q", framing, tt.framing)
			}
			if strings.Join(objects, "|") != strings.Join(tt.objects, "|") {
				t.Errorf("objects %q, want %q", objects, tt.objects)
			}
			if len(out) != 0 {
				t.Errorf("stream answered %v", out)
			}
		})
	}
}

// TestStreamRefusals checks each refused frame is answered (in the input's
// framing) and that reading goes on to the next frame.
func TestStreamRefusals(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		code  int64
		id    string
	}{
		{"not json", `{not json}`, -32700, "null"},
		{"truncated json", `{"jsonrpc":"2.0","id":1,"method":"a"`, -32700, "null"},
		{"batch", `[` + req1 + `]`, -32600, "null"},
		{"empty batch", `[]`, -32600, "null"},
		{"string", `"hello"`, -32600, "null"},
		{"number", `42`, -32600, "null"},
		{"id without method", `{"id":3}`, -32600, "3"},
		{"string id without method", `{"jsonrpc":"2.0","id":"x"}`, -32600, `"x"`},
		{"fractional id", `{"jsonrpc":"2.0","id":1.5,"method":"a"}`, -32600, "null"},
		{"exponent id", `{"jsonrpc":"2.0","id":1e3,"method":"a"}`, -32600, "null"},
		{"object id", `{"jsonrpc":"2.0","id":{"a":1},"method":"a"}`, -32600, "null"},
		{"array id", `{"jsonrpc":"2.0","id":[1],"method":"a"}`, -32600, "null"},
		{"bool id", `{"jsonrpc":"2.0","id":true,"method":"a"}`, -32600, "null"},
		{"negative id", `{"jsonrpc":"2.0","id":-1,"method":"a"}`, -32600, "-1"},
		{"huge id", `{"jsonrpc":"2.0","id":99999999999999999999,"method":"a"}`, -32600, "99999999999999999999"},
		{"method not a string", `{"jsonrpc":"2.0","id":4,"method":5}`, -32600, "4"},
		{"method null", `{"jsonrpc":"2.0","id":4,"method":null}`, -32600, "4"},
		{"method and result", `{"jsonrpc":"2.0","id":5,"method":"a","result":1}`, -32600, "5"},
		{"method in capitals", `{"jsonrpc":"2.0","id":6,"METHOD":"a"}`, -32600, "6"},
	}
	for _, framing := range framings {
		for _, tt := range tests {
			t.Run(framing+"/"+tt.name, func(t *testing.T) {
				// The first frame fixes the framing, as an editor's first message would.
				input := frame(framing, req1) + frame(framing, tt.frame) + frame(framing, req2)
				objects, out, got, err := readAll(t, input, MaxFrame)
				if !errors.Is(err, io.EOF) || got != framing {
					t.Fatalf("err %v framing %q", err, got)
				}
				if strings.Join(objects, "|") != req1+"|"+req2 {
					t.Errorf("objects %q: the refused frame must be skipped and the next one read", objects)
				}
				if len(out) != 1 || out[0].code() != tt.code || string(out[0].ID) != tt.id {
					t.Fatalf("answer %+v, want one error %d with id %s", out, tt.code, tt.id)
				}
				if out[0].Error.Message == "" {
					t.Errorf("error without a message")
				}
			})
		}
	}
}

func TestStreamDropsUnusableResponses(t *testing.T) {
	for _, framing := range framings {
		bad := `{"jsonrpc":"2.0","id":{"x":1},"result":true}`
		objects, out, _, _ := readAll(t, frame(framing, req1)+frame(framing, bad)+frame(framing, resp7), MaxFrame)
		if strings.Join(objects, "|") != req1+"|"+resp7 || len(out) != 0 {
			t.Errorf("%s: objects %q, output %v; a response is never answered", framing, objects, out)
		}
	}
}

func TestStreamLSPHeaderErrors(t *testing.T) {
	tests := []struct{ name, headers string }{
		{"no content length", "Content-Type: x\r\n\r\n"},
		{"bad number", "Content-Length: ten\r\n\r\n"},
		{"negative", "Content-Length: -5\r\n\r\n"},
		{"conflicting", "Content-Length: 3\r\nContent-Length: 4\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := frame(FramingLSP, req1) + tt.headers + frame(FramingLSP, req2)
			objects, out, _, err := readAll(t, input, MaxFrame)
			if !errors.Is(err, io.EOF) || strings.Join(objects, "|") != req1+"|"+req2 {
				t.Fatalf("objects %q err %v", objects, err)
			}
			if len(out) != 1 || out[0].code() != -32700 || string(out[0].ID) != "null" {
				t.Fatalf("answer %v, want one -32700 with id null", out)
			}
		})
	}
}

func TestStreamTooLarge(t *testing.T) {
	const limit = 64
	prefix, suffix := `{"jsonrpc":"2.0","method":"n","params":"`, `"}`
	fits := prefix + strings.Repeat("x", limit-len(prefix)-len(suffix)) + suffix
	if len(fits) != limit {
		t.Fatalf("test frame is %d bytes", len(fits))
	}
	big := `{"jsonrpc":"2.0","id":9,"method":"n","params":"` + strings.Repeat("x", 100) + `"}`
	for _, framing := range framings {
		t.Run(framing, func(t *testing.T) {
			input := frame(framing, req1) + frame(framing, big) + frame(framing, fits)
			if framing == FramingNDJSON {
				input += fits + "\r\n" // the limit does not count the line end
			} else {
				input += frame(framing, fits)
			}
			objects, out, _, err := readAll(t, input, limit)
			if !errors.Is(err, io.EOF) || strings.Join(objects, "|") != req1+"|"+fits+"|"+fits {
				t.Fatalf("objects %q err %v", objects, err)
			}
			if len(out) != 1 || out[0].code() != -32600 || string(out[0].ID) != "null" {
				t.Fatalf("answer %v, want one -32600 with id null", out)
			}
		})
	}
}

func TestStreamTruncatedLSPBody(t *testing.T) {
	objects, _, _, err := readAll(t, frame(FramingLSP, req1)+"Content-Length: 50\r\n\r\n{\"js", MaxFrame)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(objects) != 1 {
		t.Fatalf("objects %q err %v, want one object then io.ErrUnexpectedEOF", objects, err)
	}
}

func TestStreamWriteFraming(t *testing.T) {
	tests := []struct{ input, want string }{
		{req1 + "\n", `{"jsonrpc":"2.0","method":"x","params":{"s":"<a&b>"}}` + "\n"},
		{frame(FramingLSP, req1), frame(FramingLSP, `{"jsonrpc":"2.0","method":"x","params":{"s":"<a&b>"}}`)},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		s := NewStream(strings.NewReader(tt.input), &out, MaxFrame)
		var raw json.RawMessage
		if err := s.ReadObject(&raw); err != nil {
			t.Fatal(err)
		}
		// A json.RawMessage with newlines must still make one line.
		params := json.RawMessage("{\n  \"s\": \"<a&b>\"\n}")
		if err := s.WriteObject(wireNotification{JSONRPC: "2.0", Method: "x", Params: params}); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("wrote %q, want %q", out.String(), tt.want)
		}
	}
}

// TestStreamWriteWaitsForFraming: nothing is written before the editor's
// first byte tells the framing.
func TestStreamWriteWaitsForFraming(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := NewStream(inR, outW, MaxFrame)
	written := make(chan error, 1)
	go func() { written <- s.WriteObject(map[string]string{"jsonrpc": "2.0", "method": "early"}) }()
	go func() { _, _ = io.WriteString(inW, frame(FramingLSP, req1)) }()
	var raw json.RawMessage
	if err := s.ReadObject(&raw); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len("Content-Length: "))
	if _, err := io.ReadFull(outR, got); err != nil || string(got) != "Content-Length: " {
		t.Fatalf("first output %q %v, want LSP framing", got, err)
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteObject(map[string]string{}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
	if err := s.ReadObject(&raw); !errors.Is(err, ErrClosed) {
		t.Errorf("read after Close: %v, want ErrClosed", err)
	}
}

// TestStreamHugeAnnouncement announces 100 MB against the real 64 MiB
// limit, sends three bytes and keeps the input open: the -32600 must come
// before any body arrives, and the body must not be allocated.
func TestStreamHugeAnnouncement(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := NewStream(inR, outW, MaxFrame)
	done := make(chan error, 1)
	go func() {
		var raw json.RawMessage
		done <- s.ReadObject(&raw)
	}()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() { _, _ = io.WriteString(inW, "Content-Length: 100000000\r\n\r\nabc") }()

	answer := make(chan []byte, 1)
	go func() {
		body, err := readServerFrame(bufioReader(outR), FramingLSP)
		if err != nil {
			t.Errorf("read answer: %v", err)
		}
		answer <- body
	}()
	select {
	case body := <-answer:
		m := decodeMsg(t, body)
		if m.code() != -32600 || string(m.ID) != "null" {
			t.Fatalf("answer %s, want -32600 with id null", body)
		}
	case <-time.After(hangGuard):
		t.Fatal("no answer before the body arrived")
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 16<<20 {
		t.Errorf("allocated %d bytes for a refused frame", grown)
	}
	_ = inW.Close()
	select {
	case err := <-done:
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("ReadObject: %v, want io.ErrUnexpectedEOF", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("ReadObject did not end")
	}
	_ = s.Close()
}

// TestStreamLongLineAnsweredAtOnce: a line crossing the limit is answered
// as soon as it does, before its end arrives, and the next line is read.
func TestStreamLongLineAnsweredAtOnce(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := NewStream(inR, outW, 64)
	objects := make(chan string, 4)
	go func() {
		defer close(objects)
		for {
			var raw json.RawMessage
			if s.ReadObject(&raw) != nil {
				return
			}
			objects <- string(raw)
		}
	}()
	go func() {
		_, _ = io.WriteString(inW, `{"jsonrpc":"2.0","method":"n","params":"`+strings.Repeat("x", 200))
	}()
	body, err := readServerFrame(bufioReader(outR), FramingNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	if m := decodeMsg(t, body); m.code() != -32600 || string(m.ID) != "null" {
		t.Fatalf("answer %s", body)
	}
	go func() {
		_, _ = io.WriteString(inW, strings.Repeat("y", 300)+"\"}\n"+note+"\n")
		_ = inW.Close()
	}()
	var got []string
	for o := range objects {
		got = append(got, o)
	}
	if strings.Join(got, "|") != note {
		t.Errorf("objects %q, want only %s", got, note)
	}
	_ = s.Close()
}

// TestStreamCloseKeepsStdout: Close never closes the process's stdout.
func TestStreamCloseKeepsStdout(t *testing.T) {
	in := &closeCounter{}
	out := &closeCounter{}
	if err := NewStream(in, out, 0).Close(); err != nil {
		t.Fatal(err)
	}
	if in.closed != 1 || out.closed != 1 {
		t.Errorf("closed input %d, output %d times; want 1 and 1", in.closed, out.closed)
	}
	s := NewStream(strings.NewReader(""), os.Stdout, 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stdout.Stat(); err != nil {
		t.Errorf("stdout after Close: %v", err)
	}
	both := &closeCounter{}
	_ = NewStream(both, both, 0).Close()
	if both.closed != 1 {
		t.Errorf("a shared reader/writer closed %d times, want 1", both.closed)
	}
}

type closeCounter struct {
	bytes.Buffer
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

// TestStreamResyncsAfterAWrongContentLength: a client that counts
// characters instead of bytes sends a wrong length; the frames after it are
// still read.
func TestStreamResyncsAfterAWrongContentLength(t *testing.T) {
	good := func(id int) string {
		b := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"m"}`, id)
		return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(b), b)
	}
	bad := func(id, delta int) string {
		b := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"hé"}`, id)
		return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(b)+delta, b)
	}
	for _, delta := range []int{-1, +1} {
		t.Run(fmt.Sprint(delta), func(t *testing.T) {
			in := good(1) + bad(2, delta) + good(3) + good(4) + good(5)
			var out bytes.Buffer
			s := NewStream(strings.NewReader(in), &out, 1<<20)
			var ids []string
			for {
				var raw json.RawMessage
				if s.ReadObject(&raw) != nil {
					break
				}
				var m struct{ ID json.RawMessage }
				json.Unmarshal(raw, &m)
				ids = append(ids, string(m.ID))
			}
			got := strings.Join(ids, ",")
			if !strings.HasPrefix(got, "1,") || !strings.HasSuffix(got, "4,5") {
				t.Errorf("frames read: %s; want 1 first and 4,5 last (the frames after the bad one)", got)
			}
		})
	}
}
