package jsonrpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// hangGuard bounds every wait in these tests; it only catches hangs.
const hangGuard = 10 * time.Second

var framings = []string{FramingNDJSON, FramingLSP}

// frame encodes body in the given framing, as an editor would.
func frame(framing, body string) string {
	if framing == FramingLSP {
		return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	return body + "\n"
}

// msg is a frame the server wrote, decoded loosely.
type msg struct {
	raw     string
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int64           `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

func (m msg) code() int64 {
	if m.Error == nil {
		return 0
	}
	return m.Error.Code
}

// readServerFrame reads one frame the server wrote; the server's own output
// is held to the strict form (exact header, \r\n, one object per line).
func readServerFrame(br *bufio.Reader, framing string) ([]byte, error) {
	if framing == FramingNDJSON {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return nil, err
		}
		return line[:len(line)-1], nil
	}
	header, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, ok := strings.CutPrefix(header, "Content-Length: ")
	if !ok || !strings.HasSuffix(n, "\r\n") {
		return nil, fmt.Errorf("bad header %q", header)
	}
	size, err := strconv.Atoi(strings.TrimSuffix(n, "\r\n"))
	if err != nil {
		return nil, fmt.Errorf("bad length in %q", header)
	}
	if blank, err := br.ReadString('\n'); err != nil || blank != "\r\n" {
		return nil, fmt.Errorf("no blank line after header: %q %v", blank, err)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, err
	}
	return body, nil
}

func decodeMsg(t *testing.T, body []byte) msg {
	t.Helper()
	var m msg
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("server wrote invalid JSON %q: %v", body, err)
	}
	if m.JSONRPC != "2.0" {
		t.Fatalf("server frame without jsonrpc 2.0: %s", body)
	}
	m.raw = string(body)
	return m
}

// peer plays the editor.
type peer struct {
	t       *testing.T
	framing string
	in      io.WriteCloser // the server's input
	out     io.Reader      // the server's output
	frames  chan []byte
	readers sync.WaitGroup
}

func (p *peer) startReading() {
	p.readers.Go(func() {
		defer close(p.frames)
		br := bufio.NewReader(p.out)
		for {
			body, err := readServerFrame(br, p.framing)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
					p.t.Errorf("reading server output: %v", err)
				}
				return
			}
			p.frames <- body
		}
	})
}

func (p *peer) sendRaw(s string) {
	p.t.Helper()
	if _, err := io.WriteString(p.in, s); err != nil {
		p.t.Fatalf("write to server: %v", err)
	}
}

func (p *peer) send(body string) { p.t.Helper(); p.sendRaw(frame(p.framing, body)) }

func (p *peer) request(id any, method string, params any) {
	p.t.Helper()
	p.send(mustJSON(p.t, map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
}

func (p *peer) notify(method string, params any) {
	p.t.Helper()
	p.send(mustJSON(p.t, map[string]any{"jsonrpc": "2.0", "method": method, "params": params}))
}

func (p *peer) reply(id json.RawMessage, result any) {
	p.t.Helper()
	p.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, id, mustJSON(p.t, result)))
}

// next returns the next frame the server wrote.
func (p *peer) next() msg {
	p.t.Helper()
	select {
	case body, ok := <-p.frames:
		if !ok {
			p.t.Fatalf("server output ended")
		}
		return decodeMsg(p.t, body)
	case <-time.After(hangGuard):
		p.t.Fatalf("no frame from the server")
	}
	return msg{}
}

// expectError reads the next frame and checks it is an error with code and id.
func (p *peer) expectError(code int64, id string) msg {
	p.t.Helper()
	m := p.next()
	if m.Error == nil || m.Error.Code != code || string(m.ID) != id {
		p.t.Fatalf("want error %d with id %s, got %s", code, id, m.raw)
	}
	return m
}

// expectResult reads the next frame and checks it is a result for id.
func (p *peer) expectResult(id, result string) msg {
	p.t.Helper()
	m := p.next()
	if m.Error != nil || string(m.ID) != id || string(m.Result) != result {
		p.t.Fatalf("want result %s for id %s, got %s", result, id, m.raw)
	}
	return m
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// harness is a Conn being served, with a peer on the other side.
type harness struct {
	t      *testing.T
	conn   *Conn
	peer   *peer
	cancel context.CancelFunc
	served chan error
	closer func() // closes the peer's side
}

type options struct {
	pipes      bool // two io.Pipes (half-close possible) instead of net.Pipe
	queueLimit int
	delayRead  bool // the peer does not read until startReading
	maxFrame   int64
}

// serve starts a Conn in the given framing; setup registers handlers.
func serve(t *testing.T, framing string, opt options, setup func(c *Conn)) *harness {
	t.Helper()
	if opt.maxFrame == 0 {
		opt.maxFrame = MaxFrame
	}
	p := &peer{t: t, framing: framing, frames: make(chan []byte, 8192)}
	var stream *Stream
	var closer func()
	if opt.pipes {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		stream = NewStream(inR, outW, opt.maxFrame)
		p.in, p.out = inW, outR
		closer = func() { _ = inW.Close(); _ = outR.Close() }
	} else {
		server, client := net.Pipe()
		stream = NewStream(server, server, opt.maxFrame)
		p.in, p.out = client, client
		closer = func() { _ = client.Close() }
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.DebugLevel))
	c := NewConn(stream, log)
	if opt.queueLimit != 0 {
		c = newConn(stream, log, opt.queueLimit)
	}
	if setup != nil {
		setup(c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, conn: c, peer: p, cancel: cancel, served: make(chan error, 1), closer: closer}
	go func() { h.served <- c.Serve(ctx) }()
	if !opt.delayRead {
		p.startReading()
	}
	t.Cleanup(func() {
		closer()
		cancel()
		h.wait()
		p.readers.Wait()
	})
	return h
}

// wait returns Serve's result, once.
func (h *harness) wait() error {
	h.t.Helper()
	select {
	case err, ok := <-h.served:
		if !ok {
			return nil
		}
		close(h.served)
		return err
	case <-time.After(hangGuard):
		h.t.Fatalf("Serve did not return")
	}
	return nil
}

// leakCheck fails the test if goroutines started during it are still
// running shortly after it ends. Register it first: cleanups run last-in
// first-out.
func leakCheck(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(hangGuard)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("goroutines leaked: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// outputOf splits what a Stream wrote into messages.
func outputOf(t *testing.T, framing string, out []byte) []msg {
	t.Helper()
	if framing == "" {
		framing = FramingNDJSON
	}
	var msgs []msg
	br := bufio.NewReader(bytes.NewReader(out))
	for {
		body, err := readServerFrame(br, framing)
		if errors.Is(err, io.EOF) {
			return msgs
		}
		if err != nil {
			t.Fatalf("stream output %q: %v", out, err)
		}
		msgs = append(msgs, decodeMsg(t, body))
	}
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
