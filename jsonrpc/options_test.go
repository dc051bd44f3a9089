package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// ACP names the cancellation "$/cancel_request" {"requestId"}: both
// directions follow the configured name.
func TestConnCancelNotificationRenamed(t *testing.T) {
	leakCheck(t)
	callErr := make(chan error, 1)
	h := serve(t, FramingNDJSON, options{}, func(c *Conn) {
		c.SetCancelNotification("$/cancel_request", "requestId")
		waitHandlers(nil)(c)
		c.Handle("ask", func(ctx context.Context, _ json.RawMessage) (any, error) {
			err := c.Call(ctx, "session/request_permission", map[string]string{}, &decision{})
			callErr <- err
			return nil, err
		})
	})
	p := h.peer
	p.request(1, "wait", nil)
	p.notify("$/cancelRequest", map[string]any{"id": 1}) // the other name: ignored
	p.request(2, "fast", nil)
	p.expectResult("2", `"fast"`)
	p.notify("$/cancel_request", map[string]any{"requestId": 1})
	p.expectError(-32800, "1")

	p.request(5, "ask", nil)
	m := p.next()
	if m.Method != "session/request_permission" {
		t.Fatalf("got %s", m.raw)
	}
	p.notify("$/cancel_request", map[string]any{"requestId": 5})
	got := []msg{p.next(), p.next()}
	if got[0].Method != "$/cancel_request" || string(got[0].Params) != `{"requestId":`+string(m.ID)+`}` {
		t.Errorf("want $/cancel_request {requestId:%s} first, got %s", m.ID, got[0].raw)
	}
	if got[1].code() != -32800 || string(got[1].ID) != "5" {
		t.Errorf("want -32800 for id 5, got %s", got[1].raw)
	}
	if err := <-callErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Call returned %v", err)
	}
}
