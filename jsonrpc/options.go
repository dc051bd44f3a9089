package jsonrpc

import (
	"encoding/json"
	"fmt"

	"github.com/sourcegraph/jsonrpc2"
)

// SetCancelNotification names the notification that cancels a request, in
// both directions, and the member of its params that holds the request's
// id: "$/cancelRequest" {"id"} (LSP's, deckhand's protocol) unless set; ACP
// has "$/cancel_request" {"requestId"}. Call it before Serve.
func (c *Conn) SetCancelNotification(method, idMember string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancelName, c.cancelField = method, idMember
}

func (c *Conn) cancelMethod() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancelName
}

// cancelParamsFor returns the params that cancel outgoing request id.
func (c *Conn) cancelParamsFor(id uint64) json.RawMessage {
	c.mu.Lock()
	field := c.cancelField
	c.mu.Unlock()
	if field == "" {
		field = "id"
	}
	name, _ := json.Marshal(field)
	return json.RawMessage(fmt.Sprintf(`{%s:%d}`, name, id))
}

// cancelledID reads the id from the params of a cancellation.
func (c *Conn) cancelledID(params json.RawMessage) (*jsonrpc2.ID, bool) {
	c.mu.Lock()
	field := c.cancelField
	c.mu.Unlock()
	if field == "" {
		field = "id"
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(params, &members) != nil || members[field] == nil {
		return nil, false
	}
	var id jsonrpc2.ID
	if json.Unmarshal(members[field], &id) != nil {
		return nil, false
	}
	return &id, true
}
